// The CLI (main.ts) serving from inside a network namespace, reached from another namespace over
// a veth pair by the real kubectl, including the fault-control endpoint. Needs root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot, toolPath } from '../../test/support/tools.ts';

const tag = String(process.pid % 100000);
const nsApi = `mlbk-api-${tag}`;
const nsClient = `mlbk-cli-${tag}`;
const apiAddress = '198.51.100.1';
let dir: string;
let proc: ChildProcess | undefined;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlbk-net-'));
  ip('netns', 'add', nsApi);
  ip('netns', 'add', nsClient);
  ip('link', 'add', `mlbk${tag}a`, 'netns', nsApi, 'type', 'veth', 'peer', 'name', `mlbk${tag}c`, 'netns', nsClient);
  ip('-n', nsApi, 'addr', 'add', `${apiAddress}/30`, 'dev', `mlbk${tag}a`);
  ip('-n', nsClient, 'addr', 'add', '198.51.100.2/30', 'dev', `mlbk${tag}c`);
  for (const [ns, dev] of [[nsApi, `mlbk${tag}a`], [nsClient, `mlbk${tag}c`]] as const) {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', dev, 'up');
  }
  proc = spawn('ip', ['netns', 'exec', nsApi, process.execPath, '--import', 'tsx', join(repoRoot, 'lab/kube-api/main.ts'), '--dir', dir, '--host', apiAddress, '--port', '6443'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface(proc!.stdout!);
    rl.once('line', resolve);
    proc!.once('exit', (code) => reject(new Error(`kube-api exited with ${code}`)));
    setTimeout(() => reject(new Error('kube-api printed no address within 30 s')), 30_000).unref();
  });
  assert.deepEqual(JSON.parse(first), { url: `https://${apiAddress}:6443`, kubeconfig: join(dir, 'kubeconfig') });
});

after(() => {
  if (proc?.pid && proc.exitCode === null) proc.kill('SIGTERM');
  for (const ns of [nsApi, nsClient]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function kubectl(...args: string[]): string {
  return kubectlInput('', ...args);
}

function kubectlInput(input: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', nsClient, toolPath('kubectl'), '--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], { encoding: 'utf8', input });
}

test('kubectl in another namespace talks to the API listening on a namespace address, TLS verified', () => {
  assert.match(kubectl('get', 'namespaces'), /^default\s+Active/m);
  kubectlInput(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { k: 'v' } }), 'apply', '-f', '-');
  assert.equal(kubectl('get', 'configmap', 'c', '-o', 'jsonpath={.data.k}'), 'v');
});

test('the fault switches are reachable over HTTP', () => {
  const body = join(dir, 'faults.json');
  writeFileSync(body, JSON.stringify({ watchDelayMs: 250 }));
  kubectl('create', '--raw', '/lab/faults', '-f', body);
  assert.equal((JSON.parse(kubectl('get', '--raw', '/lab/faults')) as { watchDelayMs: number }).watchDelayMs, 250);
});
