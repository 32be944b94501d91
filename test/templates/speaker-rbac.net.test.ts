// The rendered chart against the real speaker in Kubernetes mode. The speaker (dist bundle) runs in
// a network namespace as node1, reads the ConfigMap and the membership key exactly as the chart
// renders them, and talks to the embedded Kubernetes API (lab/kube-api; no kube-apiserver can run
// here) through an auditing proxy. Every request it makes must be allowed by the ServiceAccount's
// rendered RBAC (rbacAllows, RBAC's own rules), and it must announce its Service IP by ARP.
//
//   tplr-n1 (speaker) --tcp 127.0.0.1:6443--> lab/forward.ts --unix socket--> audit proxy (this
//   process, records each request) --https--> embedded API (this process, 127.0.0.1)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { KubeApiServer } from '../../lab/kube-api/server.ts';
import { NetnsLab, type NsProcess } from '../support/netns.ts';
import { repoRoot } from '../support/tools.ts';
import { find, moduleValues, renderChart, type KubeObject } from './chart.ts';
import { parseApiRequest, rbacAllows, type ApiRequest } from './policy.ts';

const NODE_IP = '198.51.100.11';
const CLIENT_IP = '198.51.100.1';
const NODE_MAC = '02:00:00:00:51:11';
const SERVICE_IP = '198.51.100.100';
const speakerSA = { name: 'metallb-speaker', namespace: 'd8-metallb' };
const klass = { name: 'ingress', interfaces: ['eth0'], nodeSelector: { 'node-role.kubernetes.io/loadbalancer': '' } };

let dir = '';
let api: KubeApiServer | undefined;
let proxy: Server | undefined;
let lab: NetnsLab | undefined;
let speaker: NsProcess | undefined;
const audited: { method: string; url: string; request: ApiRequest }[] = [];
const rendered = renderChart(moduleValues({ classes: [klass] }));

/** Plain HTTP on a Unix socket in, HTTPS to the embedded API out; records every request. */
function startAuditProxy(socket: string, upstream: KubeApiServer): Promise<Server> {
  const target = new URL(upstream.url);
  const server = createServer((req, res) => {
    audited.push({ method: req.method ?? '', url: req.url ?? '', request: parseApiRequest(req.method ?? '', req.url ?? '') });
    const up = httpsRequest({
      host: target.hostname, port: target.port, path: req.url, method: req.method,
      headers: { ...req.headers, host: target.host }, ca: upstream.caCertPem,
    }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(socket, () => resolve(server)));
}

async function seed(kc: k8s.KubeConfig): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: 'd8-metallb' } } });
  const cm = find(rendered, 'ConfigMap', 'speaker-config') as KubeObject & { data: Record<string, string> };
  await core.createNamespacedConfigMap({ namespace: 'd8-metallb', body: { metadata: { name: 'speaker-config' }, data: cm.data } });
  // Another ConfigMap in the namespace: the speaker must not need to read it.
  await core.createNamespacedConfigMap({ namespace: 'd8-metallb', body: { metadata: { name: 'unrelated' }, data: { a: 'b' } } });
  await core.createNode({ body: {
    metadata: { name: 'node1', labels: { 'node-role.kubernetes.io/loadbalancer': '', 'kubernetes.io/hostname': 'node1' } },
    status: { addresses: [{ type: 'InternalIP', address: NODE_IP }] },
  } });
  await custom.createClusterCustomObject({ group: 'network.deckhouse.io', version: 'v1alpha1', plural: 'metalloadbalancerclasses', body: {
    apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', metadata: { name: 'ingress' },
    spec: { type: 'L2', addressPool: ['198.51.100.100-198.51.100.110'], nodeSelector: klass.nodeSelector, l2: { interfaces: ['eth0'] } },
  } });
  await core.createNamespacedService({ namespace: 'default', body: {
    metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] },
  } });
  await core.patchNamespacedServiceStatus({ name: 'web', namespace: 'default', body: { status: {
    loadBalancer: { ingress: [{ ip: SERVICE_IP }] },
    conditions: [{ type: 'network.deckhouse.io/load-balancer-class', status: 'True', reason: 'LoadBalancerClassBound', message: 'ingress', lastTransitionTime: new Date() }],
  } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
}

before(async () => {
  if (!existsSync(join(repoRoot, 'dist', 'speaker', 'main.cjs'))) {
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), 'native', 'speaker'], { stdio: 'inherit' });
  }
  dir = mkdtempSync(join(tmpdir(), 'metallb-rbac-'));
  mkdirSync(join(dir, 'api'));
  api = await KubeApiServer.start({ dir: join(dir, 'api') });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  await seed(kc);
  const socket = join(dir, 'audit.sock');
  proxy = await startAuditProxy(socket, api);

  // The speaker's files as the DaemonSet mounts them: the rendered Secret's membership-key.
  const secret = find(rendered, 'Secret', 'speaker-secrets') as KubeObject & { data: Record<string, string> };
  mkdirSync(join(dir, 'secrets'));
  for (const [k, v] of Object.entries(secret.data)) writeFileSync(join(dir, 'secrets', k), Buffer.from(v, 'base64'));
  writeFileSync(join(dir, 'kubeconfig'), [
    'apiVersion: v1', 'kind: Config', 'current-context: speaker',
    'clusters: [{name: lab, cluster: {server: "http://127.0.0.1:6443", insecure-skip-tls-verify: true}}]',
    'users: [{name: speaker, user: {token: speaker-service-account-token}}]',
    'contexts: [{name: speaker, context: {cluster: lab, user: speaker}}]', '',
  ].join('\n'));

  lab = new NetnsLab('tplr-');
  lab.addSwitch('sw');
  lab.addHost('cl', 'sw', { mac: '02:00:00:00:51:01', addrs: [`${CLIENT_IP}/24`] });
  lab.addHost('n1', 'sw', { mac: NODE_MAC, addrs: [`${NODE_IP}/24`] });
  const fwd = lab.spawn('n1', process.execPath, ['--import', 'tsx', join(repoRoot, 'lab', 'forward.ts'), '--listen', 'tcp:127.0.0.1:6443', '--connect', `unix:${socket}`], { name: 'forward' });
  await fwd.waitFor('forward ready', 20_000);
  speaker = lab.spawn('n1', process.execPath, [join(repoRoot, 'dist', 'speaker', 'main.cjs')], {
    name: 'speaker-k8s',
    env: { PATH: process.env.PATH, NODE_NAME: 'node1', KUBECONFIG: join(dir, 'kubeconfig'), METALLB_SECRETS_DIR: join(dir, 'secrets') },
  });
});

after(async () => {
  await speaker?.stop('SIGTERM', 5000);
  await lab?.cleanup();
  proxy?.closeAllConnections();
  proxy?.close();
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function arpMacs(ip: string): string[] {
  const r = (lab as NetnsLab).exec('cl', 'arping', ['-c', '2', '-W', '0.15', '-w', '1', '-i', 'eth0', ip]);
  return [...new Set([...r.stdout.matchAll(/bytes from ([0-9a-f:]{17}) \(/g)].map((m) => m[1] as string))];
}

test('the speaker, configured by the rendered ConfigMap and Secret, announces its Service IP', async () => {
  const deadline = Date.now() + 30_000;
  while (!arpMacs(SERVICE_IP).includes(NODE_MAC)) {
    if (Date.now() > deadline) assert.fail(`no ARP answer for ${SERVICE_IP}; speaker output:\n${speaker?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

test('every request the speaker made is allowed by the rendered RBAC, and it watched what it needs', async () => {
  // Informers list, then open their watches; the last watch may start after the first ARP answer.
  const needed = ['/nodes', '/services', 'discovery.k8s.io/endpointslices', 'network.deckhouse.io/metalloadbalancerclasses', '/configmaps'];
  const seenNow = () => new Set(audited.flatMap((a) => a.request.kind === 'resource' ? [`${a.request.verb} ${a.request.group}/${a.request.resource}`] : []));
  const until = Date.now() + 15_000;
  while (!needed.every((r) => seenNow().has(`watch ${r}`)) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  const denied = audited.filter((a) => !rbacAllows(rendered, speakerSA, a.request)).map((a) => `${a.method} ${a.url}`);
  assert.deepEqual(denied, [], 'requests the speaker ServiceAccount would be refused');
  const seen = seenNow();
  for (const r of needed) {
    assert.ok(seen.has(`list ${r}`) && seen.has(`watch ${r}`), `list and watch ${r}; seen: ${[...seen].join(', ')}`);
  }
});
