import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { staticSpeakerConfig } from './static-speaker.ts';
import type { PodLaunch, SchedNode } from './pod-spec.ts';
import type { KubeObject } from './scenario.ts';
import { parseStaticConfig } from '../lib/config/index.ts';

const lb = { 'node-role.kubernetes.io/loadbalancer': '' };
const nodes: SchedNode[] = [
  { name: 'node1', labels: lb, address: '192.0.2.11' },
  { name: 'node2', labels: lb, address: '192.0.2.12' },
  { name: 'node3', labels: { ...lb, 'node.kubernetes.io/exclude-from-external-load-balancers': '' }, address: '192.0.2.13' },
];
const launch: PodLaunch = {
  node: 'node1', podName: 'metallb-speaker-node1', container: 'speaker', argv: ['node'], env: {}, ignored: [],
  mounts: [
    { mountPath: '/etc/metallb/secrets', volume: 'secrets', kind: 'secret', files: [{ path: 'membership-key', content: Buffer.from('a2V5'), mode: 0o400 }] },
    { mountPath: '/etc/metallb/config', volume: 'config', kind: 'configMap', files: [{ path: 'config.yaml', content: Buffer.from('{"membership":{"port":4230,"interval":"50ms","multiplier":6},"l2":{"interfaces":[]}}'), mode: 0o644 }] },
  ],
};
const cls: KubeObject = { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', metadata: { name: 'ingress' }, spec: { nodeSelector: lb, l2: { interfaces: [] } } };
function svc(name: string, cls: string | undefined, ips: string[]): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'LoadBalancer' },
    status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) }, conditions: cls ? [{ type: 'network.deckhouse.io/load-balancer-class', status: 'True', message: cls }] : [] },
  };
}
const slice: KubeObject = {
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'a-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'a' } },
  endpoints: [{ nodeName: 'node2', conditions: { ready: true } }, { nodeName: 'node1', conditions: { ready: false } }],
};

describe('lab static speaker configuration (fallback for the speaker\'s Kubernetes mode)', () => {
  // Read back with the speaker's own parser: the file is what `--config` accepts.
  const doc = parseStaticConfig(staticSpeakerConfig({ launch, speakerNodes: nodes, classes: [cls], services: [svc('a', 'ingress', ['198.51.100.100']), svc('b', undefined, ['198.51.100.9'])], endpointSlices: [slice] }));

  it('takes the membership key and timers from the pod\'s mounted Secret and ConfigMap', () => {
    assert.equal(doc.membership?.key.toString(), 'a2V5');
    assert.equal(doc.membership?.intervalMs, 50);
    assert.equal(doc.membership?.address, '192.0.2.11');
  });
  it('leaves a node labelled exclude-from-external-load-balancers out of the class and the peers', () => {
    assert.deepEqual(doc.l2?.classes, [{ name: 'ingress', nodes: ['node1', 'node2'] }]);
    assert.deepEqual(doc.membership?.peers, [{ node: 'node2', address: '192.0.2.12' }]);
  });
  it('announces only Services bound to one of its classes, with the ready endpoint nodes', () => {
    assert.deepEqual(doc.l2?.services, [{ namespace: 'default', name: 'a', class: 'ingress', ips: ['198.51.100.100'], externalTrafficPolicy: 'Cluster', endpointNodes: ['node2'] }]);
  });
  it('refuses a pod without the membership key file', () => {
    assert.throws(() => staticSpeakerConfig({ launch: { ...launch, mounts: [] }, speakerNodes: nodes, classes: [cls], services: [], endpointSlices: [] }), /membership-key/);
  });
});
