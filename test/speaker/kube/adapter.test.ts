// The speaker's Kubernetes adapter against the embedded API (lab/kube-api: no kube-apiserver binary
// can run here, so that in-memory server with kube-apiserver's semantics stands in) through the
// real @kubernetes/client-node informers: the desired state follows Nodes, classes, Services,
// EndpointSlices and the ConfigMap, survives the API going away, and Events are written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import * as k8s from '@kubernetes/client-node';
import { KubeApiServer } from '../../../lab/kube-api/server.ts';
import { startKubeAdapter, type KubeAdapter } from '../../../images/speaker/src/kube/adapter.ts';
import type { DesiredState } from '../../../images/speaker/src/state.ts';

let api: KubeApiServer;
let dir: string;
let core: k8s.CoreV1Api;
let adapter: KubeAdapter | undefined;
const states: DesiredState[] = [];
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const last = (): DesiredState => states[states.length - 1] as DesiredState;

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}; last state: ${JSON.stringify(states.at(-1)?.l2)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function node(name: string, ip: string, labels: Record<string, string>): k8s.V1Node {
  return { metadata: { name, labels }, status: { addresses: [{ type: 'InternalIP', address: ip }] } };
}

async function service(name: string, ips: string[], etp: 'Cluster' | 'Local' = 'Cluster'): Promise<void> {
  await core.createNamespacedService({ namespace: 'default', body: {
    metadata: { name }, spec: { type: 'LoadBalancer', externalTrafficPolicy: etp, ports: [{ port: 80, protocol: 'TCP' }] },
  } });
  await core.patchNamespacedServiceStatus({ name, namespace: 'default', body: { status: {
    loadBalancer: { ingress: ips.map((ip) => ({ ip })) },
    conditions: [{ type: 'network.deckhouse.io/load-balancer-class', status: 'True', reason: 'LoadBalancerClassBound', message: 'ingress', lastTransitionTime: new Date() }],
  } } }, mergePatch);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlb2-kube-'));
  mkdirSync(join(dir, 'api'));
  api = await KubeApiServer.start({ dir: join(dir, 'api') });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: 'd8-metallb' } } });
  for (const [n, ip] of [['node1', '192.0.2.11'], ['node2', '192.0.2.12'], ['node3', '192.0.2.13'], ['worker', '192.0.2.20']] as const) {
    await core.createNode({ body: node(n, ip, n === 'worker' ? {} : { 'node-role.kubernetes.io/loadbalancer': '' }) });
  }
  await custom.createClusterCustomObject({ group: 'network.deckhouse.io', version: 'v1alpha1', plural: 'metalloadbalancerclasses', body: {
    apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', metadata: { name: 'ingress' },
    spec: { type: 'L2', addressPool: ['192.0.2.100-192.0.2.110'], nodeSelector: { 'node-role.kubernetes.io/loadbalancer': '' }, l2: { interfaces: [] } },
  } });
  await core.createNamespacedConfigMap({ namespace: 'd8-metallb', body: { metadata: { name: 'speaker-config' }, data: {
    'config.yaml': 'version: 1\nmembership: {port: 4230, interval: 100ms, multiplier: 5}\nl2: {interfaces: [eth0]}\n',
  } } });
  await service('web', ['192.0.2.100', '192.0.2.101']);
  const secrets = join(dir, 'secrets');
  mkdirSync(secrets);
  writeFileSync(join(secrets, 'membership-key'), 'a2V5\n');
  adapter = await startKubeAdapter({
    log: pino({ level: 'silent' }), node: 'node1', kubeconfig: kc, secretsDir: secrets,
    onState: async (s) => { states.push(s); },
  });
});

after(async () => {
  adapter?.stop();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the first state: eligible nodes from the class selector, peers with InternalIPs, ConfigMap timers, Service IPs', () => {
  const s = last();
  assert.equal(s.node, 'node1');
  assert.deepEqual(s.l2.classes, [{ name: 'ingress', eligible: ['node1', 'node2', 'node3'], interfaces: ['eth0'] }]);
  assert.deepEqual({ ...s.membership, keys: s.membership?.keys.map(String) }, {
    address: '192.0.2.11', port: 4230, intervalMs: 100, multiplier: 5, keys: ['a2V5'],
    peers: [{ node: 'node2', address: '192.0.2.12' }, { node: 'node3', address: '192.0.2.13' }],
  });
  assert.deepEqual(s.l2.services, [{ namespace: 'default', name: 'web', class: 'ingress', placementKey: 'default/web', ips: ['192.0.2.100', '192.0.2.101'], externalTrafficPolicy: 'Cluster' }]);
});

test('the exclusion label takes a node out; NetworkUnavailable is passed on', async () => {
  await core.patchNode({ name: 'node3', body: { metadata: { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } } } }, mergePatch);
  await until('node3 excluded', () => last().l2.classes[0]?.eligible.join() === 'node1,node2');
  assert.deepEqual(last().membership?.peers.map((p) => p.node), ['node2']);
  await core.patchNodeStatus({ name: 'node2', body: { status: { conditions: [{ type: 'NetworkUnavailable', status: 'True', reason: 'NoRoute', message: 'x' }] } } }, mergePatch);
  await until('node2 network unavailable', () => last().l2.networkUnavailable.join() === 'node2');
});

test('ETP Local Services carry the ready endpoints\' nodes from their EndpointSlices', async () => {
  await service('local', ['192.0.2.102'], 'Local');
  const discovery = (() => { const kc = new k8s.KubeConfig(); kc.loadFromFile(api.kubeconfigPath); return kc.makeApiClient(k8s.DiscoveryV1Api); })();
  await discovery.createNamespacedEndpointSlice({ namespace: 'default', body: {
    metadata: { name: 'local-abc', labels: { 'kubernetes.io/service-name': 'local' } }, addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1'], nodeName: 'node2', conditions: { ready: true } }, { addresses: ['10.0.0.2'], nodeName: 'node3', conditions: { ready: false } }],
  } });
  await until('local Service with endpoint nodes', () => last().l2.services.some((s) => s.name === 'local' && s.endpointNodes?.join() === 'node2'));
  assert.equal(last().l2.services.find((s) => s.name === 'local')?.externalTrafficPolicy, 'Local');
});

test('the API going away keeps the last state; changes made meanwhile arrive when it is back', async () => {
  const before = states.length;
  api.setFaults({ stopAnswering: true });
  api.dropWatches('reset');
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(states.slice(before).every((s) => s.l2.services.length >= 2), 'never an emptied state while the API is down');
  api.setFaults({ stopAnswering: false });
  // Written straight into the store (the API was unreachable for clients).
  const t = api.store.type('', 'services');
  assert.ok(t);
  const svc = api.store.get(t, 'default', 'web');
  api.store.update(t, { ...svc, status: { ...(svc.status as object), loadBalancer: { ingress: [{ ip: '192.0.2.100' }, { ip: '192.0.2.101' }, { ip: '192.0.2.103' }] } } }, 'status');
  await until('the change made during the outage arrives', () => last().l2.services.find((s) => s.name === 'web')?.ips.length === 3, 15_000);
});

test('AnnouncingNodeChanged becomes an Event on the Service', async () => {
  adapter?.reporter.announcingNodeChanged('default', 'web', ['192.0.2.100'], 'node1');
  await until('the Event exists', () => {
    const t = api.store.type('', 'events');
    return !!t && api.store.list(t).items.some((e) => (e as { reason?: string }).reason === 'AnnouncingNodeChanged'
      && (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'web');
  });
});

test('an unusable interface becomes a Warning Event on the Node', async () => {
  adapter?.reporter.interfaceUnusable?.('node1', 'eth9', 'interface not found');
  await until('the Node Event exists', () => {
    const t = api.store.type('', 'events');
    return !!t && api.store.list(t).items.some((e) => (e as { reason?: string }).reason === 'InterfaceUnusable'
      && (e as { involvedObject?: { kind?: string; name?: string } }).involvedObject?.name === 'node1');
  });
});
