#!/usr/bin/env node
// The speaker image's file tree, without a container engine: the same steps the final stage of
// images/speaker/Dockerfile takes (it runs this script in its builder stage and copies the tree
// into an empty image). The tree holds:
//
//   /usr/bin/node                      this Node.js binary
//   /opt/metallb-speaker/main.cjs      the esbuild bundle (dist/speaker/main.cjs)
//   /opt/metallb-speaker/metallb_native.node
//                                      the socket shim, where the speaker looks first (beside the
//                                      entry script; images/speaker/src/native/addon.ts)
//   /opt/metallb-speaker/node_modules/cap/
//                                      the bundle's one external package, runtime files only
//                                      (package.json, lib/*.js, build/Release/cap.node): the
//                                      speaker requires it relative to the bundle
//   /lib..., /lib64/ld-linux-*.so.2    every shared library `ldd` lists for node and each addon
//                                      (libpcap with its dependencies, libstdc++, glibc)
//   /etc/passwd, /etc/group, /etc/nsswitch.conf, /tmp
//
// and nothing else from node_modules: everything the speaker runs is in the bundle or beside it.
//
//   node scripts/image-tree.mjs [--out DIR] [--build]
//     --out    default build/image-speaker (replaced)
//     --build  run the build steps first (node scripts/build.mjs native speaker)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { filesUnder } from './files.mjs';

const root = new URL('..', import.meta.url).pathname;

/** Where the bundle and its addons live in the image; templates/speaker/daemonset.yaml runs it there. */
export const SPEAKER_DIR = '/opt/metallb-speaker';
export const NODE_PATH = '/usr/bin/node';
/**
 * V8 flags the speaker runs with (DaemonSet command and Dockerfile ENTRYPOINT spell them out; the
 * package test checks they agree). --optimize-for-size keeps V8's young generation at 1 MiB and
 * grows the heap more slowly: 10k+10k BGP routes 109 -> 78 MiB RSS (bench/RESULTS.md).
 */
export const NODE_FLAGS = ['--optimize-for-size'];

/** The speaker's own N-API shim, as scripts/build/15-native.mjs writes it. */
const SHIM = join('images', 'speaker', 'src', 'native', 'build', 'Release', 'metallb_native.node');

/** Packages the bundle keeps external (scripts/build/20-speaker.mjs) and their runtime files. */
const EXTERNAL_PACKAGES = [{ name: 'cap', files: /^(package\.json|lib\/[^/]+\.js|build\/Release\/[^/]+\.node)$/ }];

/** Shared libraries an ELF file needs, as `ldd` resolves them on this machine (absolute paths). */
export function sharedLibraries(file) {
  const out = execFileSync('ldd', [file], { encoding: 'utf8' });
  const libs = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push(m[1]);
    else if (/not found/.test(line)) throw new Error(`image-tree: ${file}: ${line.trim()}`);
  }
  return libs;
}

function copyInto(tree, hostPath, treePath = hostPath) {
  const dest = join(tree, treePath);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(hostPath), dest); // symlinks resolved: the tree holds real files
  chmodSync(dest, statSync(realpathSync(hostPath)).mode & 0o777);
}

/** Builds the tree in `out` and returns its files (relative paths, sorted). */
export function buildImageTree({ out = join(root, 'build', 'image-speaker'), bundleDir = join(root, 'dist', 'speaker') } = {}) {
  const entry = join(bundleDir, 'main.cjs');
  if (!existsSync(entry)) throw new Error(`image-tree: ${relative(root, entry)} missing (run: node scripts/build.mjs native speaker)`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  copyInto(out, process.execPath, NODE_PATH);
  const elfs = [process.execPath];
  for (const name of readdirSync(bundleDir)) {
    const src = join(bundleDir, name);
    if (!statSync(src).isFile() || name.endsWith('.map')) continue;
    copyInto(out, src, join(SPEAKER_DIR, name));
    if (name.endsWith('.node')) elfs.push(src);
  }
  const shim = join(root, SHIM);
  if (!existsSync(shim)) throw new Error(`image-tree: ${SHIM} missing (run: node scripts/build.mjs native)`);
  copyInto(out, shim, join(SPEAKER_DIR, 'metallb_native.node'));
  elfs.push(shim);
  const require = createRequire(join(root, 'package.json'));
  for (const pkg of EXTERNAL_PACKAGES) {
    const pkgDir = dirname(require.resolve(`${pkg.name}/package.json`));
    for (const f of filesUnder(pkgDir).filter((p) => pkg.files.test(p))) {
      copyInto(out, join(pkgDir, f), join(SPEAKER_DIR, 'node_modules', pkg.name, f));
      if (f.endsWith('.node')) elfs.push(join(pkgDir, f));
    }
  }
  const libs = new Set(elfs.flatMap(sharedLibraries));
  for (const lib of libs) copyInto(out, lib);

  mkdirSync(join(out, 'etc'), { recursive: true });
  writeFileSync(join(out, 'etc', 'passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n');
  writeFileSync(join(out, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(out, 'etc', 'nsswitch.conf'), 'hosts: files dns\n');
  mkdirSync(join(out, 'tmp'), { recursive: true });
  chmodSync(join(out, 'tmp'), 0o1777);
  return filesUnder(out);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--out');
  const out = i >= 0 ? args[i + 1] : undefined;
  try {
    if (args.includes('--build')) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), 'native', 'speaker'], { stdio: 'inherit' });
    const files = buildImageTree(out ? { out } : {});
    process.stdout.write(`image-tree: ${files.length} files in ${out ?? join(root, 'build', 'image-speaker')}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
