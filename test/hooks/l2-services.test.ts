// The l2-services hook: the built executable run by the addon-operator imitation against YAML cluster
// states (real gojq filters, Group contexts, strict output application, re-runs on own writes),
// plus handler-level checks of values and metrics.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import l2Services from '../../hooks/l2-services.ts';
import { runHandler } from '../../hooks/lib/testing.ts';
import type { JsonObject } from '../../hooks/lib/types.ts';
import { placeService } from '../../lib/placement/index.ts';
import { AddonOperator, clusterFromYaml, ensureHooksExecutable } from '../support/addon-operator/index.ts';
import type { KubeObject, ObjectStore } from '../../lab/kube-api/store.ts';

const DOC_EXAMPLE = `
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Node
metadata: {name: frontend-1, labels: {node-role.kubernetes.io/loadbalancer: ""}}
---
apiVersion: v1
kind: Node
metadata: {name: frontend-2, labels: {node-role.kubernetes.io/loadbalancer: ""}}
---
apiVersion: v1
kind: Node
metadata: {name: frontend-3, labels: {node-role.kubernetes.io/loadbalancer: ""}}
---
apiVersion: v1
kind: Node
metadata: {name: worker-1}
---
apiVersion: network.deckhouse.io/v1alpha1
kind: MetalLoadBalancerClass
metadata: {name: ingress}
spec:
  isDefault: false
  type: L2
  addressPool: [192.168.2.100-192.168.2.150]
  nodeSelector: {node-role.kubernetes.io/loadbalancer: ""}
---
apiVersion: v1
kind: Service
metadata:
  name: nginx-deployment
  namespace: default
  annotations: {network.deckhouse.io/l2-load-balancer-external-ips-count: "3"}
spec:
  type: LoadBalancer
  loadBalancerClass: ingress
  selector: {app: nginx}
  ports: [{port: 80, protocol: TCP, targetPort: 80}]
`;

function service(store: ObjectStore, name: string, namespace = 'default'): KubeObject {
  return store.get(store.resolve('Service', '')!, namespace, name);
}

function ingress(store: ObjectStore, name: string): string[] {
  const st = service(store, name).status as { loadBalancer?: { ingress?: { ip: string }[] } } | undefined;
  return (st?.loadBalancer?.ingress ?? []).map((i) => i.ip);
}

function condition(store: ObjectStore, name: string, type: string): { status: string; reason: string; message: string } | undefined {
  const st = service(store, name).status as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined;
  return st?.conditions?.find((c) => c.type === type);
}

function events(store: ObjectStore, name: string): string[] {
  const t = store.resolve('Event', '')!;
  return store.list(t).items
    .filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === name || (e.regarding as { name?: string } | undefined)?.name === name)
    .map((e) => `${String(e.reason)}: ${String(e.message ?? e.note)}`);
}

function klass(store: ObjectStore, name: string): KubeObject {
  return store.get(store.resolve('MetalLoadBalancerClass', 'network.deckhouse.io')!, undefined, name);
}

describe('l2-services through addon-operator (built executable)', () => {
  const operators: AddonOperator[] = [];
  const start = async (store: ObjectStore, opts: { delayWatchEvents?: boolean; configValues?: JsonObject } = {}): Promise<AddonOperator> => {
    const op = await AddonOperator.start({ store, executable: ensureHooksExecutable(), now: () => new Date('2026-01-01T00:00:00Z'), ...opts });
    operators.push(op);
    return op;
  };
  afterEach(() => { for (const op of operators.splice(0)) op.dispose(); });

  it('the documentation example: 192.168.2.100-102, "3 of 3", distinct preferred nodes, values', async () => {
    const op = await start(clusterFromYaml(DOC_EXAMPLE));
    const ips = ingress(op.store, 'nginx-deployment');
    assert.deepEqual(ips, ['192.168.2.100', '192.168.2.101', '192.168.2.102']);
    assert.deepEqual(condition(op.store, 'nginx-deployment', 'AllPublicIPsAssigned'), { ...condition(op.store, 'nginx-deployment', 'AllPublicIPsAssigned'), status: 'True', reason: 'AllIPsAssigned', message: '3 of 3 public IPs were assigned' });
    assert.equal(condition(op.store, 'nginx-deployment', 'network.deckhouse.io/load-balancer-class')?.message, 'ingress');
    const eligible = ['frontend-1', 'frontend-2', 'frontend-3'];
    const preferred = placeService({ className: 'ingress', eligible, available: new Set(eligible), serviceKey: 'default/nginx-deployment', ips }).map((p) => p.preferred);
    assert.equal(new Set(preferred).size, 3);
    assert.deepEqual(events(op.store, 'nginx-deployment'), ['IPAllocated: Assigned 192.168.2.100, 192.168.2.101, 192.168.2.102 from class ingress']);
    const internal = op.values().internal as JsonObject;
    assert.deepEqual((internal.l2 as JsonObject).classes, [{ name: 'ingress', interfaces: [], nodeSelector: { 'node-role.kubernetes.io/loadbalancer': '' } }]);
    assert.deepEqual((internal.speaker as JsonObject).nodeSelectorTerms, [{ matchExpressions: [{ key: 'node-role.kubernetes.io/loadbalancer', operator: 'In', values: [''] }] }]);
    const cls = klass(op.store, 'ingress');
    assert.deepEqual((cls.metadata as { finalizers?: string[] }).finalizers, ['network.deckhouse.io/metal-load-balancer-class-in-use']);
    const st = cls.status as { totalAddresses: string; usedAddresses: string; nodes: number };
    assert.deepEqual([st.totalAddresses, st.usedAddresses, st.nodes], ['51', '3', 3]);
    const m = op.metrics().map((s) => `${s.name}${JSON.stringify(s.labels ?? {})}=${s.value}`);
    assert.ok(m.includes('metallb_allocator_addresses_total{"pool":"ingress"}=51'), m.join('\n'));
    assert.ok(m.includes('metallb_allocator_addresses_in_use_total{"pool":"ingress"}=3'));
    // Settled: the runs caused by our own writes wrote nothing more.
    const last = op.runs[op.runs.length - 1]!;
    assert.deepEqual(last.kubeOperations, []);
    // A new addon-operator pod (state directory and values lost): nothing moves, nothing is written.
    const before = op.runs.length;
    await op.restart();
    assert.deepEqual(ingress(op.store, 'nginx-deployment'), ['192.168.2.100', '192.168.2.101', '192.168.2.102']);
    const after = op.runs.slice(before).filter((r) => r.hook === 'l2-services');
    assert.ok(after.length > 0);
    assert.deepEqual(after.flatMap((r) => r.kubeOperations), [], 'no write after a restart');
  });

  it('with watch events delayed, no IP flips and none is handed out twice', async () => {
    const store = clusterFromYaml(DOC_EXAMPLE);
    const op = await start(store, { delayWatchEvents: true });
    assert.deepEqual(ingress(store, 'nginx-deployment'), ['192.168.2.100', '192.168.2.101', '192.168.2.102']);
    const svcType = store.resolve('Service', '')!;
    store.create(svcType, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'second', namespace: 'default' }, spec: { type: 'LoadBalancer', loadBalancerClass: 'ingress', ports: [{ port: 443, protocol: 'TCP' }] } });
    await op.settle();
    store.create(svcType, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'third', namespace: 'default', annotations: { 'network.deckhouse.io/l2-load-balancer-external-ips-count': '2' } }, spec: { type: 'LoadBalancer', loadBalancerClass: 'ingress', ports: [{ port: 443, protocol: 'TCP' }] } });
    store.delete(svcType, 'default', 'second');
    await op.settle();
    await op.settle();
    assert.deepEqual(ingress(store, 'nginx-deployment'), ['192.168.2.100', '192.168.2.101', '192.168.2.102']);
    assert.deepEqual(ingress(store, 'third'), ['192.168.2.103', '192.168.2.104']);
    const allocated = events(store, 'nginx-deployment');
    assert.deepEqual(allocated, ['IPAllocated: Assigned 192.168.2.100, 192.168.2.101, 192.168.2.102 from class ingress'], 'no repeated Events');
    // Every status patch of the first Service carried the same three IPs (no flip on any run).
    const patches = op.runs.flatMap((r) => r.kubeOperations).filter((o) => o.name === 'nginx-deployment' && o.subresource === 'status');
    for (const o of patches) assert.match(JSON.stringify(o), /192\.168\.2\.100.*192\.168\.2\.101.*192\.168\.2\.102/);
  });

  it('a Service of another controller is left alone; a deleted class waits, then its Services are released', async () => {
    const store = clusterFromYaml(`${DOC_EXAMPLE}
---
apiVersion: v1
kind: Service
metadata: {name: foreign, namespace: default}
spec: {type: LoadBalancer, loadBalancerClass: example.com/other, ports: [{port: 80}]}
`);
    const op = await start(store);
    assert.deepEqual(ingress(store, 'foreign'), []);
    assert.equal(condition(store, 'foreign', 'network.deckhouse.io/load-balancer-class'), undefined);
    // Deleting the class waits for its Services (finalizer, InUse); the IPs stay.
    const classType = store.resolve('MetalLoadBalancerClass', 'network.deckhouse.io')!;
    store.delete(classType, undefined, 'ingress');
    await op.settle();
    assert.deepEqual(ingress(store, 'nginx-deployment'), ['192.168.2.100', '192.168.2.101', '192.168.2.102']);
    const inUse = (klass(store, 'ingress').status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'InUse');
    assert.equal(inUse?.status, 'True');
    // Removing the finalizer by hand forces the deletion: the Service is released.
    store.patch(classType, undefined, 'ingress', 'merge', { metadata: { finalizers: [] } });
    await op.settle();
    assert.deepEqual(ingress(store, 'nginx-deployment'), []);
    assert.equal(condition(store, 'nginx-deployment', 'AllPublicIPsAssigned'), undefined);
    assert.ok(events(store, 'nginx-deployment').some((e) => e === 'IPReleased: Released 192.168.2.100, 192.168.2.101, 192.168.2.102: class ingress no longer exists'), events(store, 'nginx-deployment').join('\n'));
    assert.deepEqual((op.values().internal as JsonObject).l2, { classes: [] });
  });

  it('bad input is reported where the user looks and loses nothing', async () => {
    const store = clusterFromYaml(`${DOC_EXAMPLE}
---
apiVersion: v1
kind: Service
metadata:
  name: bad
  namespace: default
  annotations:
    network.deckhouse.io/l2-load-balancer-external-ips-count: "lots"
    network.deckhouse.io/load-balancer-ips: "10.9.9.9"
spec: {type: LoadBalancer, loadBalancerClass: ingress, ports: [{port: 81}]}
`);
    await start(store);
    assert.deepEqual(ingress(store, 'bad'), []);
    assert.equal(condition(store, 'bad', 'AllPublicIPsAssigned')?.message, '0 of 1 public IPs were assigned');
    const ev = events(store, 'bad');
    assert.ok(ev.some((e) => e.startsWith('InvalidAnnotation: network.deckhouse.io/l2-load-balancer-external-ips-count: "lots"')), ev.join('\n'));
    assert.ok(ev.some((e) => e.startsWith('AllocationFailed: RequestedIPNotInPool: IPv4 index 0: 10.9.9.9 is not in pool ingress')), ev.join('\n'));
    assert.deepEqual(ingress(store, 'nginx-deployment'), ['192.168.2.100', '192.168.2.101', '192.168.2.102']);
  });
});

describe('l2-services handler', () => {
  it('before any snapshot (onStartup) it does nothing', async () => {
    const r = await runHandler(l2Services, { binding: 'onStartup' });
    assert.deepEqual([r.values, r.kube, r.metrics], [[], [], []]);
  });

  it('BGP pools add the speaker selector to the affinity; layer2 pools are reported as obsolete', async () => {
    const r = await runHandler(l2Services, {
      values: {
        addressPools: [{ name: 'bgp1', protocol: 'bgp', addresses: ['198.51.100.0/24'] }, { name: 'old-l2', protocol: 'layer2', addresses: ['203.0.113.0/24'] }],
        speaker: { nodeSelector: { 'node-role.kubernetes.io/bgp': '' } },
        internal: {},
      },
    });
    const terms = r.values.find((v) => v.path === '/metallb/internal/speaker' || v.path === '/metallb/internal/speaker/nodeSelectorTerms');
    assert.match(JSON.stringify(terms), /node-role\.kubernetes\.io\/bgp/);
    assert.ok(r.metrics.some((m) => 'name' in m && m.name === 'd8_metallb_obsolete_layer2_pools_are_used' && m.labels?.name === 'old-l2'));
  });

  it('the state store carries the write cache: a stale snapshot in the next run neither flips nor re-allocates', async () => {
    const lb = { 'node-role.kubernetes.io/loadbalancer': '' };
    const klassRecord = { name: 'ingress', uid: 'c1', resourceVersion: '1', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z', deletionTimestamp: '', finalizers: [], isDefault: true, interfaces: [], addressPool: ['192.168.2.100-192.168.2.150'], nodeSelector: lb, status: null };
    const svcRecord = (name: string, created: string) => ({
      namespace: 'default', name, uid: `u-${name}`, resourceVersion: '1', creationTimestamp: created, type: 'LoadBalancer', loadBalancerClass: '',
      annotations: {}, ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', loadBalancerIP: '', externalTrafficPolicy: 'Cluster', selector: {}, ports: [{ port: 80, protocol: 'TCP' }], ingress: [], conditions: [],
    });
    const state = new Map();
    const nodes = [{ name: 'n1', labels: lb }];
    const first = await runHandler(l2Services, { state, snapshots: { services: [svcRecord('s1', '2026-01-01T00:00:01Z'), svcRecord('s2', '2026-01-01T00:00:02Z')], classes: [klassRecord], nodes } });
    const ipsOf = (r: typeof first, name: string) => JSON.stringify(r.kube.filter((o) => o.operation === 'MergePatch' && o.name === name));
    assert.match(ipsOf(first, 's2'), /192\.168\.2\.101/);
    // s1 is deleted; the informer still shows s2 as before the first run's write (no IP).
    const second = await runHandler(l2Services, { state, now: new Date('2026-01-01T00:00:01Z'), snapshots: { services: [svcRecord('s2', '2026-01-01T00:00:02Z')], classes: [klassRecord], nodes } });
    assert.equal(ipsOf(second, 's2'), '[]', 'no write: the cache knows s2 holds .101');
    assert.ok(!second.kube.some((o) => o.operation === 'CreateIfNotExists'), 'no Event repeated');
  });
});

