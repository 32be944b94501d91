// The speaker image's file tree (scripts/image-tree.mjs, the runtime stage of
// images/speaker/Dockerfile) runs the speaker on its own: chroot into the tree, so nothing of this
// machine is visible (no node_modules, no host libraries, no Node.js but the tree's), then
// `--version`, every native addon loads (libpcap and its dependencies resolve inside the tree),
// and a static-mode start reaches /readyz. Needs root (chroot), as the network suites do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/tools.ts';

interface ImageTreeScript {
  buildImageTree(opts: { out: string }): string[];
  SPEAKER_DIR: string;
  NODE_PATH: string;
}

let dir = '';
let tree = '';
let files: string[] = [];
let script: ImageTreeScript;

before(async () => {
  if (process.getuid?.() !== 0) throw new Error('image tree test: needs root for chroot');
  if (!existsSync(join(repoRoot, 'dist', 'speaker', 'main.cjs'))) {
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), 'native', 'speaker'], { stdio: 'inherit' });
  }
  script = (await import(pathToFileURL(join(repoRoot, 'scripts', 'image-tree.mjs')).href)) as ImageTreeScript;
  dir = mkdtempSync(join(tmpdir(), 'metallb-image-'));
  tree = join(dir, 'tree');
  files = script.buildImageTree({ out: tree });
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const chroot = existsSync('/usr/sbin/chroot') ? '/usr/sbin/chroot' : 'chroot';

/** Runs the tree's node inside the tree with an empty environment. */
function inTree(args: string[]): string {
  return execFileSync(chroot, [tree, script.NODE_PATH, ...args], { env: {}, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('the tree holds node, the bundle, its addons and their libraries; of node_modules only cap\'s runtime files', () => {
  const speakerDir = script.SPEAKER_DIR.slice(1);
  assert.ok(files.includes(script.NODE_PATH.slice(1)));
  assert.ok(files.includes(`${speakerDir}/main.cjs`));
  assert.ok(files.includes(`${speakerDir}/metallb_native.node`), 'the socket shim');
  assert.ok(files.some((f) => /libpcap\.so/.test(f)), 'libpcap for the cap addon');
  const vendored = files.filter((f) => f.includes('node_modules'));
  assert.ok(vendored.includes(`${speakerDir}/node_modules/cap/build/Release/cap.node`), vendored.join(', '));
  assert.deepEqual(vendored.filter((f) => !/^opt\/metallb-speaker\/node_modules\/cap\/(package\.json|lib\/\w+\.js|build\/Release\/cap\.node)$/.test(f)), []);
});

test('the bundle prints its version from the tree', () => {
  const out = inTree([`${script.SPEAKER_DIR}/main.cjs`, '--version']).trim();
  const pkg = JSON.parse(execFileSync('cat', [join(repoRoot, 'package.json')], { encoding: 'utf8' })) as { version: string };
  assert.match(out, new RegExp(pkg.version.replace(/\./g, '\\.')));
});

test('every native addon loads inside the tree', () => {
  // Resolved as the bundle resolves them: `cap` from beside the bundle, the shim beside the entry.
  const out = inTree(['-e', `
    const req = require('node:module').createRequire(${JSON.stringify(`${script.SPEAKER_DIR}/main.cjs`)});
    const cap = req('cap');
    const shim = req('./metallb_native.node');
    console.log(typeof cap.Cap, typeof cap.deviceList, Object.keys(shim).length > 0);
  `]).trim();
  assert.equal(out, 'function function true');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, deadlineMs: number): Promise<number> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`speaker exited with ${child.exitCode} before /readyz answered`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return res.status;
    } catch { /* not listening yet */ }
    if (Date.now() > until) throw new Error(`${url} not ready within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a static-mode start from the tree reaches /readyz and stops on SIGTERM', async () => {
  const port = await freePort();
  writeFileSync(join(tree, 'tmp', 'static.yaml'), `node: image-tree\nmetrics: {address: 127.0.0.1, port: ${port}}\n`);
  const child = spawn(chroot, [tree, script.NODE_PATH, `${script.SPEAKER_DIR}/main.cjs`, '--config', '/tmp/static.yaml'], {
    env: {}, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout?.resume();
  try {
    assert.equal(await waitReady(`http://127.0.0.1:${port}/readyz`, child, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\nstderr:\n${stderr}`);
    }), 200);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `exit status after SIGTERM; stderr:\n${stderr}`);
  } finally {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  }
});
