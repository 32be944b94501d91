// Build step: the speaker's native shim (images/speaker/src/native, an N-API addon in C) with
// node-gyp, into images/speaker/src/native/build/Release/metallb_native.node (git-ignored).
//
// node-gyp is the one bundled with npm; `--nodedir` points at the headers installed with Node
// (<prefix>/include/node), so nothing is downloaded. Skipped when the .node file is newer than
// every source. The result is also copied to dist/speaker/, next to the bundle (main.cjs), where
// the bundled speaker looks for it. See images/speaker/src/native/README.md ("Path contract").
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export default async function buildNative({ root }) {
  const dir = join(root, 'images', 'speaker', 'src', 'native');
  const out = join(dir, 'build', 'Release', 'metallb_native.node');
  const sources = readdirSync(dir).filter((f) => /\.(c|h|gyp)$/.test(f)).map((f) => join(dir, f));
  if (!existsSync(out) || sources.some((s) => statSync(s).mtimeMs > statSync(out).mtimeMs)) compile(dir, out);
  const dist = join(root, 'dist', 'speaker');
  mkdirSync(dist, { recursive: true });
  copyFileSync(out, join(dist, 'metallb_native.node'));
}

function compile(dir, out) {
  const prefix = dirname(dirname(process.execPath));
  if (!existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
    throw new Error(`native shim: Node headers not found under ${prefix}/include/node (install the nodejs headers)`);
  }
  const gyp = findNodeGyp(prefix);
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${prefix}`, '--loglevel=warn'], {
    cwd: dir, stdio: 'inherit',
  });
  if (r.status !== 0 || !existsSync(out)) throw new Error(`native shim: node-gyp failed (exit ${r.status}) in ${dir}`);
}

function findNodeGyp(prefix) {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const npmRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout?.trim();
  if (npmRoot) candidates.push(join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error(`native shim: node-gyp not found (looked in ${candidates.filter(Boolean).join(', ')})`);
  return found;
}
