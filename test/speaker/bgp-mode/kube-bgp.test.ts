// images/speaker/src/kube/bgp.ts: API objects and Secret files -> the node's BGP desired state
// (rules in lib/bgp/routes.ts). Plain objects shaped as client-node returns them; no API server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { bgpServicesOf, kubeBgp, readBgpPasswords, sharedBgpOf } from '../../../images/speaker/src/kube/bgp.ts';

const CONFIG = JSON.stringify({
  version: 1,
  bgp: {
    peers: [{ index: 0, address: '192.0.2.1', asn: 64601, myASN: 64600, port: 179, holdTime: '3s', ebgpMultihop: false, gracefulRestart: false, hasPassword: true }],
    pools: [{ name: 'mypool', addresses: ['198.51.100.100-198.51.100.200'], advertisements: [{ aggregationLength: 32, aggregationLengthV6: 128, localPref: null, communities: ['65535:65282'], largeCommunities: [] }] }],
  },
});
const node = (name: string): V1Node => ({ metadata: { name, labels: {} }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.11' }] } });
const svc = (name: string, reason: string, etp = 'Cluster'): V1Service => ({
  metadata: { namespace: 'default', name },
  spec: { type: 'LoadBalancer', externalTrafficPolicy: etp },
  status: {
    loadBalancer: { ingress: [{ ip: '198.51.100.100' }] },
    conditions: [{ type: 'network.deckhouse.io/load-balancer-class', status: 'True', reason, message: reason === 'BGPPoolBound' ? 'mypool' : 'ingress', lastTransitionTime: new Date(0) }],
  },
} as V1Service);
const slice = (service: string, nodes: string[]): V1EndpointSlice => ({
  addressType: 'IPv4', metadata: { namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  endpoints: nodes.map((n) => ({ addresses: ['10.0.0.1'], nodeName: n, conditions: { ready: true } })),
});

test('only BGPPoolBound Services, with their ready endpoint nodes', () => {
  const got = bgpServicesOf([svc('a', 'BGPPoolBound', 'Local'), svc('b', 'LoadBalancerClassBound')], [slice('a', ['n2', 'n1'])]);
  assert.deepEqual(got, [{ namespace: 'default', name: 'a', pool: 'mypool', ingressIPs: ['198.51.100.100'], externalTrafficPolicy: 'Local', endpointNodes: ['n1', 'n2'] }]);
});

test('ConfigMap, Node, Service and password file give the peer and the route', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbg-secrets-'));
  try {
    const shared = sharedBgpOf(CONFIG);
    assert.ok(shared);
    assert.deepEqual(readBgpPasswords(dir, shared).missing, [0], 'a missing file is reported');
    writeFileSync(join(dir, 'bgp-password-0'), 'md5');
    const bgp = kubeBgp({ node: 'n1', nodes: [node('n1')], configYaml: CONFIG, services: [svc('a', 'BGPPoolBound')], slices: [slice('a', ['n3'])], passwords: (s) => readBgpPasswords(dir, s).passwords });
    assert.deepEqual(bgp, {
      routerID: '192.0.2.11',
      peers: [{ address: '192.0.2.1', asn: 64601, myASN: 64600, port: 179, holdTimeMs: 3000, password: 'md5', sourceAddress: '192.0.2.11', ebgpMultihop: false, gtsm: false, gracefulRestart: false }],
      advertisements: [{ prefixes: ['198.51.100.100/32'], communities: ['65535:65282'], largeCommunities: [] }],
    });
    assert.equal(kubeBgp({ node: 'n1', nodes: [node('n1')], configYaml: JSON.stringify({ version: 1 }), services: [], slices: [], passwords: () => new Map() }), undefined, 'no bgp section: no BGP');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
