// The speaker's Kubernetes adapter in BGP mode against the embedded API (lab/kube-api stands in for
// kube-apiserver, which cannot run here) through the real client-node informers: the desired
// state's `bgp` part follows the ConfigMap's bgp section, the password file, this Node, the
// BGPPoolBound Services and their EndpointSlices.
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
let discovery: k8s.DiscoveryV1Api;
let adapter: KubeAdapter | undefined;
const states: DesiredState[] = [];
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const prefixes = (): string[] => (states.at(-1)?.bgp?.advertisements ?? []).flatMap((a) => a.prefixes);

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}; last bgp: ${JSON.stringify(states.at(-1)?.bgp)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CONFIG = JSON.stringify({
  version: 1,
  membership: { port: 4230, interval: '50ms', multiplier: 6 },
  l2: { interfaces: [] },
  bgp: {
    peers: [
      { index: 0, address: '192.0.2.1', asn: 64601, myASN: 64600, port: 179, holdTime: '3s', ebgpMultihop: false, gracefulRestart: false, hasPassword: true },
      { index: 1, address: '192.0.2.2', asn: 64602, myASN: 64600, port: 179, ebgpMultihop: false, gracefulRestart: false, hasPassword: false, nodeSelector: { matchLabels: { rack: 'b' } } },
    ],
    pools: [{ name: 'mypool', addresses: ['198.51.100.100-198.51.100.200'], advertisements: [{ aggregationLength: 32, aggregationLengthV6: 128, localPref: null, communities: ['65535:65282'], largeCommunities: [] }] }],
    speakerNodeSelector: { 'node-role.deckhouse.io/metallb': '' },
  },
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlbg-kube-'));
  mkdirSync(join(dir, 'api'));
  api = await KubeApiServer.start({ dir: join(dir, 'api') });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  await core.createNamespace({ body: { metadata: { name: 'd8-metallb' } } });
  for (const [n, ip] of [['n1', '192.0.2.11'], ['n2', '192.0.2.12']] as const) {
    await core.createNode({ body: { metadata: { name: n, labels: { 'node-role.deckhouse.io/metallb': '' } }, status: { addresses: [{ type: 'InternalIP', address: ip }] } } });
  }
  await core.createNamespacedConfigMap({ namespace: 'd8-metallb', body: { metadata: { name: 'speaker-config' }, data: { 'config.yaml': CONFIG } } });
  await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP' }] } } });
  await core.patchNamespacedServiceStatus({ name: 'web', namespace: 'default', body: { status: {
    loadBalancer: { ingress: [{ ip: '198.51.100.100' }] },
    conditions: [{ type: 'network.deckhouse.io/load-balancer-class', status: 'True', reason: 'BGPPoolBound', message: 'mypool', lastTransitionTime: new Date() }],
  } } }, mergePatch);
  await discovery.createNamespacedEndpointSlice({ namespace: 'default', body: {
    metadata: { name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.5'], nodeName: 'n2', conditions: { ready: true } }],
  } });
  const secrets = join(dir, 'secrets');
  mkdirSync(secrets);
  writeFileSync(join(secrets, 'membership-key'), 'a2V5\n');
  writeFileSync(join(secrets, 'bgp-password-0'), 'md5-secret');
  adapter = await startKubeAdapter({ log: pino({ level: 'silent' }), node: 'n1', kubeconfig: kc, secretsDir: secrets, onState: async (s) => { states.push(s); } });
});

after(async () => {
  adapter?.stop();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('peers by node selector with the password file and the Node address; the Service is announced (ETP Cluster)', async () => {
  await until('the route', () => prefixes().join() === '198.51.100.100/32');
  const bgp = states.at(-1)?.bgp;
  assert.equal(bgp?.routerID, '192.0.2.11');
  assert.deepEqual(bgp?.peers.map((p) => [p.address, p.sourceAddress, p.password, p.holdTimeMs]), [['192.0.2.1', '192.0.2.11', 'md5-secret', 3000]]);
  assert.deepEqual(bgp?.advertisements[0]?.communities, ['65535:65282']);
  assert.deepEqual(states.at(-1)?.l2.services, [], 'a BGP Service is not an L2 Service');
});

test('ETP Local: announced only while this node has a ready endpoint; the rack label adds a peer', async () => {
  await core.patchNamespacedService({ name: 'web', namespace: 'default', body: { spec: { externalTrafficPolicy: 'Local' } } }, mergePatch);
  await until('withdrawn: the endpoint is on n2', () => prefixes().length === 0);
  await discovery.patchNamespacedEndpointSlice({ name: 'web-1', namespace: 'default', body: { endpoints: [{ addresses: ['10.0.0.6'], nodeName: 'n1', conditions: { ready: true } }] } }, mergePatch);
  await until('announced: the endpoint moved to n1', () => prefixes().join() === '198.51.100.100/32');
  await core.patchNode({ name: 'n1', body: { metadata: { labels: { rack: 'b' } } } }, mergePatch);
  await until('second peer', () => (states.at(-1)?.bgp?.peers.length ?? 0) === 2);
});

test('a node outside the speaker selector has no BGP; deleting the Service withdraws', async () => {
  await core.patchNode({ name: 'n1', body: { metadata: { labels: { 'node-role.deckhouse.io/metallb': null } } } }, mergePatch);
  await until('no BGP on n1', () => states.at(-1)?.bgp === undefined);
  await core.patchNode({ name: 'n1', body: { metadata: { labels: { 'node-role.deckhouse.io/metallb': '' } } } }, mergePatch);
  await until('BGP back', () => prefixes().length === 1);
  await core.deleteNamespacedService({ name: 'web', namespace: 'default' });
  await until('withdrawn', () => states.at(-1)?.bgp !== undefined && prefixes().length === 0);
});
