// The speaker image's file tree (scripts/image-tree.mjs, the runtime stage of
// images/speaker/Dockerfile), run as the image runs it. Needs root (chroot, network namespaces), so
// it runs with the root suites (`.net.test.ts`).
//
// 1. chroot into the tree, so nothing of this machine is visible (no node_modules, no host
//    libraries, no Node.js but the tree's): `--version`, every native addon loads (libpcap and its
//    dependencies resolve inside the tree), a static-mode start reaches /readyz.
// 2. The capability claim of templates/_helpers.tpl (metallb.speakerSecurityContext), with real
//    packets: the tree's speaker as the DaemonSet runs it (uid 0, bounding, permitted and effective
//    sets {NET_RAW}, no_new_privs) answers ARP and NDP for its Service IPs in a network namespace.
//    Without NET_RAW it answers nothing, so a template that asked for too little would show here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/tools.ts';
import { L2Topology, type L2Scenario } from '../speaker/l2/topology.ts';

const IPV4 = '198.51.100.40';
const IPV6 = '2001:db8:40::40';
const scenario: L2Scenario = {
  classes: [{ name: 'ingress', nodes: ['node1'], interfaces: ['eth0'] }],
  services: [{ namespace: 'default', name: 'web', class: 'ingress', ips: [IPV4, IPV6] }],
};

interface ImageTreeScript {
  buildImageTree(opts: { out: string }): string[];
  SPEAKER_DIR: string;
  NODE_PATH: string;
}

let dir = '';
let tree = '';
let files: string[] = [];
let script: ImageTreeScript;
let topo: L2Topology | undefined;

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

after(async () => {
  await topo?.lab.cleanup();
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
    // A speaker that ignores SIGTERM is killed after 15 s (exit status null: the assertion fails).
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    assert.equal(await exited.finally(() => clearTimeout(killer)), 0, `exit status after SIGTERM; stderr:\n${stderr}`);
  } finally {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  }
});

/** Starts the tree's speaker on node1 with exactly `caps` (setpriv, as a container runtime does). */
async function startWithCaps(caps: string[], started: RegExp | string): Promise<void> {
  const t = topo as L2Topology;
  const n = t.nodes[0];
  assert.ok(n);
  if (n.speaker) await n.speaker.stop('SIGKILL');
  const cfg = t.writeConfig(n, scenario);
  const bounding = ['-all', ...caps.map((c) => `+${c}`)].join(',');
  n.speaker = t.lab.spawn(n.ns, 'setpriv', [
    `--bounding-set=${bounding}`, '--inh-caps=-all', '--no-new-privs', '--',
    join(tree, script.NODE_PATH), join(tree, script.SPEAKER_DIR, 'main.cjs'), '--config', cfg,
  ], { name: `speaker-caps-${caps.join('-') || 'none'}` });
  await n.speaker.waitFor(started, 20_000);
}

test('with NET_RAW only, the speaker answers ARP and NDP for its IPs', async () => {
  topo = new L2Topology(1, [IPV4, IPV6], 'tpl-');
  const t = topo;
  await startWithCaps(['net_raw'], 'speaker started');
  const mac = t.nodes[0]?.mac;
  await t.until(`ARP answer for ${IPV4}`, () => t.arpMacs(IPV4).includes(mac as string));
  await t.until(`NDP answer for ${IPV6}`, () => t.ndpMacs(IPV6).includes(mac as string));
  assert.deepEqual(t.arpMacs(IPV4), [mac]);
});

test('without NET_RAW the same speaker answers nothing (the capability is needed)', async () => {
  const t = topo as L2Topology;
  // The responder reports the interface it cannot open (and keeps retrying); no answer may come.
  await startWithCaps([], /cannot open a capture on eth0: socket: Operation not permitted/);
  assert.deepEqual(t.arpMacs(IPV4, 3), []);
  assert.deepEqual(t.ndpMacs(IPV6), []);
});

test('the BGP socket options (TCP-MD5, minimum TTL, TTL, received TTL, bind to device) need no capability at all', () => {
  const t = topo as L2Topology;
  const n = t.nodes[0];
  assert.ok(n);
  // Inside the node's namespace, as the tree's node with an empty capability set.
  const code = `
    const shim = require(${JSON.stringify(join(tree, script.SPEAKER_DIR, 'metallb_native.node'))});
    const c = shim.constants;
    const fd = shim.socket(4, 'tcp');
    shim.setMd5Key(fd, '192.0.2.1', -1, Buffer.from('md5-secret'));
    shim.setIntOption(fd, c.IPPROTO_IP, c.IP_MINTTL, 255);
    shim.setIntOption(fd, c.IPPROTO_IP, c.IP_TTL, 255);
    shim.bindToDevice(fd, 'eth0');
    const u = shim.socket(4, 'udp');
    shim.setIntOption(u, c.IPPROTO_IP, c.IP_RECVTTL, 1);
    console.log('all set');
  `;
  const r = t.lab.exec(n.ns, 'setpriv', ['--bounding-set=-all', '--inh-caps=-all', '--no-new-privs', '--', join(tree, script.NODE_PATH), '-e', code]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'all set');
});
