// Build step: the hooks as ONE self-contained executable, hooks/metallb-hooks.
// esbuild bundles hooks/main.ts to CommonJS (Node 20 single executable applications run a CommonJS
// entry), Node writes the SEA blob, postject injects it into a copy of this Node binary. The result
// needs no Node.js in Deckhouse's hook chroot, only the libraries `ldd` lists (libstdc++ among them).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

// Runs a tool, showing its output only when it fails (postject warns about ELF notes on success).
function quiet(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: 'pipe' });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    throw err;
  }
}

export default async function buildHooks({ root }) {
  const outDir = join(root, 'build', 'hooks');
  mkdirSync(outDir, { recursive: true });
  const bundle = join(outDir, 'main.cjs');
  await build({
    entryPoints: [join(root, 'hooks', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: bundle,
    logLevel: 'warning',
    legalComments: 'none',
  });
  const seaConfig = join(outDir, 'sea-config.json');
  const blob = join(outDir, 'sea.blob');
  writeFileSync(seaConfig, JSON.stringify({
    main: bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    // V8 code cache in the blob: the hooks start faster (the `hook config` / `hook run` budget is 150 ms).
    useCodeCache: true,
  }));
  quiet(process.execPath, ['--experimental-sea-config', seaConfig]);
  // A Node built without SEA support (e.g. Debian's nodejs, a launcher for libnode.so) lacks the fuse.
  if (!readFileSync(process.execPath).includes(`${SEA_FUSE}:0`)) {
    throw new Error(`${process.execPath} cannot make single executable applications (no ${SEA_FUSE}); use an official Node.js 20 build`);
  }
  const target = join(root, 'hooks', 'metallb-hooks');
  const tmp = `${target}.tmp-${process.pid}`;
  copyFileSync(process.execPath, tmp);
  chmodSync(tmp, 0o755);
  const require = createRequire(import.meta.url);
  const postject = require.resolve('postject/dist/cli.js');
  quiet(process.execPath, [postject, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  renameSync(tmp, target); // atomic: tests may be running the previous build
  rmSync(blob, { force: true });
  // Smoke run: a broken hook list (checkHooks) fails the build, not Deckhouse.
  const list = execFileSync(target, ['hook', 'list'], { env: {}, cwd: '/' }).toString();
  if (!/^Found [1-9]\d{0,3} items:/.test(list)) throw new Error(`hooks/metallb-hooks hook list printed: ${list}`);
}
