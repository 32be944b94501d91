// The CLI (main.ts) serving from inside a network namespace, reached from another namespace over
// a veth pair by the real kubectl, including the fault-control endpoint. Needs root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, toolPath } from '../../test/support/tools.ts';
import { NetnsLab, type NsProcess } from '../../test/support/netns.ts';

const apiAddress = '198.51.100.1';
let lab: NetnsLab | undefined;
let dir: string;
let proc: NsProcess | undefined;

before(async () => {
  // The lab removes its namespaces and kills the API by PID in after(), and also on exit or signal.
  lab = new NetnsLab(`mlbk-${process.pid % 100000}-`);
  lab.addNamespace('api');
  lab.addNamespace('cli');
  lab.ip('api', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lab.ns('cli')]);
  lab.addAddress('api', 'eth0', `${apiAddress}/30`);
  lab.addAddress('cli', 'eth0', '198.51.100.2/30');
  for (const ns of ['api', 'cli']) lab.setLink(ns, 'eth0', true);
  dir = join(lab.workDir, 'kube-api');
  mkdirSync(dir);
  proc = lab.spawn('api', process.execPath, ['--import', 'tsx', join(repoRoot, 'lab/kube-api/main.ts'), '--dir', dir, '--host', apiAddress, '--port', '6443'], { name: 'kube-api' });
  await proc.waitFor(/^\{.*\}$/m, 30_000);
  const first = proc.output().split('\n').find((l) => l.startsWith('{')) ?? '';
  assert.deepEqual(JSON.parse(first), { url: `https://${apiAddress}:6443`, kubeconfig: join(dir, 'kubeconfig') });
});

after(async () => {
  await lab?.cleanup();
});

function kubectl(...args: string[]): string {
  return kubectlInput('', ...args);
}

function kubectlInput(input: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', (lab as NetnsLab).ns('cli'), toolPath('kubectl'), '--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], { encoding: 'utf8', input });
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
