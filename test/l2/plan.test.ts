import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeService } from '../../lib/placement/index.ts';
import { CLASS_FINALIZER } from '../../lib/l2/index.ts';
import { Cluster, cls, docExample, eventLines, node, svc } from './helpers.ts';

const ASSIGNED = 'AllPublicIPsAssigned';
const CLASS = 'network.deckhouse.io/load-balancer-class';

test('the documentation example: three IPs, "3 of 3", class bound, preferred nodes distinct', () => {
  const { classes, nodes } = docExample();
  const c = new Cluster({ classes, nodes, services: [svc('nginx-deployment', { loadBalancerClass: 'ingress', count: '3' })] });
  const p = c.run();
  const s = c.get('nginx-deployment');
  assert.deepEqual(s.ingress, ['192.168.2.100', '192.168.2.101', '192.168.2.102']);
  assert.equal(c.condition('nginx-deployment', ASSIGNED), '3 of 3 public IPs were assigned');
  assert.equal(s.conditions.find((x) => x.type === ASSIGNED)?.reason, 'AllIPsAssigned');
  assert.equal(c.condition('nginx-deployment', CLASS), 'ingress');
  assert.equal(s.conditions.find((x) => x.type === CLASS)?.reason, 'LoadBalancerClassBound');
  assert.deepEqual(eventLines(p), ['IPAllocated: Assigned 192.168.2.100, 192.168.2.101, 192.168.2.102 from class ingress']);
  const eligible = ['frontend-1', 'frontend-2', 'frontend-3'];
  const placed = placeService({ className: 'ingress', serviceKey: 'default/nginx-deployment', ips: s.ingress, eligible, available: new Set(eligible) });
  const preferred = placed.map((x) => x.preferred);
  assert.equal(new Set(preferred).size, 3, `preferred nodes ${preferred.join(',')} are distinct`);
  assert.deepEqual(p.values.classes, [{ name: 'ingress', interfaces: [], nodeSelector: { 'node-role.kubernetes.io/loadbalancer': '' } }]);
  assert.deepEqual(p.values.nodeSelectorTerms, [{ matchExpressions: [{ key: 'node-role.kubernetes.io/loadbalancer', operator: 'In', values: [''] }] }]);
  assert.deepEqual(p.pools, [{ pool: 'ingress', total: 51n, inUse: 3 }]);
  const st = c.getClass('ingress')?.status;
  assert.equal(st?.totalAddresses, '51');
  assert.equal(st?.usedAddresses, '3');
  assert.equal(st?.nodes, 3);
  assert.deepEqual(c.getClass('ingress')?.finalizers, [CLASS_FINALIZER]);
});

test('a second run on the written state emits nothing', () => {
  const { classes, nodes } = docExample();
  const c = new Cluster({ classes, nodes, services: [svc('a', { loadBalancerClass: 'ingress', count: 2 }), svc('b', { loadBalancerClass: 'ingress' })] });
  c.run();
  const p = c.run();
  assert.deepEqual(p.serviceWrites, []);
  assert.deepEqual(p.classWrites, []);
  assert.deepEqual(p.events, []);
});

test('class choice is sticky: a later default does not move a bound Service', () => {
  const c = new Cluster({
    classes: [cls('a', { isDefault: true }), cls('b', { addressPool: ['192.0.2.0/24'] })],
    nodes: [node('n1')],
    services: [svc('web')],
  });
  c.run();
  assert.equal(c.condition('web', CLASS), 'a');
  c.editClass('a', (x) => ({ ...x, isDefault: false }));
  c.editClass('b', (x) => ({ ...x, isDefault: true }));
  c.edit('web', (s) => ({ ...s, annotations: { 'network.deckhouse.io/metal-load-balancer-class': 'b' } }));
  const p = c.run();
  assert.equal(c.condition('web', CLASS), 'a');
  assert.deepEqual(c.get('web').ingress, ['192.168.2.100']);
  assert.deepEqual(p.serviceWrites, []);
});

test('a Service of another controller is left alone, even with a default class', () => {
  const c = new Cluster({
    classes: [cls('a', { isDefault: true })],
    nodes: [node('n1')],
    services: [svc('other', { loadBalancerClass: 'example.com/other', ingress: ['203.0.113.5'] })],
  });
  const p = c.run({ settings: { loadBalancerClass: 'bgp' } });
  assert.deepEqual(p.serviceWrites, []);
  assert.deepEqual(p.events, []);
  assert.deepEqual(c.get('other').ingress, ['203.0.113.5']);
});

test('a Service whose class is the settings loadBalancerClass (BGP) is not served by L2', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('bgp', { loadBalancerClass: 'bgp' })] });
  assert.deepEqual(c.run({ settings: { loadBalancerClass: 'bgp' } }).serviceWrites, []);
});

test('a Service with a MetalLB pool annotation is a BGP Service', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('bgp', { annotations: { 'metallb.universe.tf/address-pool': 'p' } })] });
  assert.deepEqual(c.run().serviceWrites, []);
});

test('a Service that stops being ours is released: status cleared, IPs freed for others', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web')] });
  c.run();
  assert.deepEqual(c.get('web').ingress, ['192.168.2.100']);
  c.edit('web', (s) => ({ ...s, type: 'ClusterIP' }));
  c.put(svc('next', { creationTimestamp: '2026-02-01T00:00:00Z' }));
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, []);
  assert.deepEqual(c.get('web').conditions, []);
  assert.deepEqual(c.get('next').ingress, ['192.168.2.100']);
  assert.ok(eventLines(p, 'web').includes('IPReleased: Released 192.168.2.100: the Service is of type ClusterIP now'));
});

test('a Service whose bound class is gone is released', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web')] });
  c.run();
  c.classes = [];
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, []);
  assert.match(eventLines(p, 'web')[0] ?? '', /IPReleased: Released 192\.168\.2\.100: class a no longer exists/);
});

test('other controllers\' conditions survive our status writes', () => {
  const foreign = { type: 'example.com/Ready', status: 'True' as const, reason: 'Fine', message: 'ok', lastTransitionTime: '2025-01-01T00:00:00Z' };
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web', { conditions: [foreign] })] });
  c.run();
  assert.deepEqual(c.get('web').conditions[0], foreign);
  assert.equal(c.get('web').conditions.length, 3);
});

for (const bad of ['abc', '0', '-1', '257', '1.5', '']) {
  test(`invalid count ${JSON.stringify(bad)}: a new Service gets 1 IP and an InvalidAnnotation Warning`, () => {
    const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web', { count: bad })] });
    const p = c.run();
    assert.deepEqual(c.get('web').ingress, ['192.168.2.100']);
    const warn = p.events.find((e) => e.reason === 'InvalidAnnotation');
    assert.equal(warn?.type, 'Warning');
    assert.match(warn?.message ?? '', /l2-load-balancer-external-ips-count/);
    assert.deepEqual(c.run().events, [], 'reported once, not on every run');
  });
}

test('an invalid count keeps the IPs a Service holds', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1'), node('n2')], services: [svc('web', { count: 2 })] });
  c.run();
  c.edit('web', (s) => ({ ...s, annotations: { ...s.annotations, 'network.deckhouse.io/l2-load-balancer-external-ips-count': 'three' } }));
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, ['192.168.2.100', '192.168.2.101']);
  assert.deepEqual(p.serviceWrites, []);
  assert.deepEqual(eventLines(p), ['InvalidAnnotation: network.deckhouse.io/l2-load-balancer-external-ips-count: "three" is not a positive integer']);
});

test('more IPs than eligible nodes: assigned, with an IPsShareNodes Warning', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1'), node('n2')], services: [svc('web', { count: 3 })] });
  const p = c.run();
  assert.equal(c.get('web').ingress.length, 3);
  assert.ok(eventLines(p).some((l) => /^IPsShareNodes: 3 IPs per family asked, but class a has 2 eligible nodes/.test(l)));
});

test('a pin outside the pool: that index stays empty, AllocationFailed RequestedIPNotInPool, "1 of 2"', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1'), node('n2')], services: [svc('web', { count: 2, annotations: { 'network.deckhouse.io/load-balancer-ips': '10.0.0.1' } })] });
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, ['192.168.2.100']);
  assert.equal(c.condition('web', ASSIGNED), '1 of 2 public IPs were assigned');
  const failed = p.events.find((e) => e.reason === 'AllocationFailed');
  assert.equal(failed?.type, 'Warning');
  assert.match(failed?.message ?? '', /^RequestedIPNotInPool: IPv4 index 0: 10\.0\.0\.1 is not in pool a/);
  assert.deepEqual(p.unassigned, [{ namespace: 'default', name: 'web', className: 'a', missing: 1 }]);
  assert.deepEqual(c.run().events, [], 'no repeated AllocationFailed');
});

test('a pin held by another Service: RequestedIPInUse, the holder keeps it', () => {
  const c = new Cluster({
    classes: [cls('a', { isDefault: true })],
    nodes: [node('n1')],
    services: [svc('holder')],
  });
  c.run();
  c.put(svc('pinner', { creationTimestamp: '2026-03-01T00:00:00Z', annotations: { 'network.deckhouse.io/load-balancer-ips': '192.168.2.100' } }));
  const p = c.run();
  assert.deepEqual(c.get('holder').ingress, ['192.168.2.100']);
  assert.deepEqual(c.get('pinner').ingress, []);
  assert.match(eventLines(p, 'pinner')[0] ?? '', /^AllocationFailed: RequestedIPInUse: IPv4 index 0: 192\.168\.2\.100 is held by default\/holder/);
});

test('an unparsable pin is reported and the other pins still apply', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web', { annotations: { 'network.deckhouse.io/load-balancer-ips': 'nope, 192.168.2.120' } })] });
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, ['192.168.2.120']);
  assert.ok(eventLines(p).includes('InvalidAnnotation: network.deckhouse.io/load-balancer-ips: "nope" is not an IP address'));
});

test('Services with one sharing key and distinct ports share IPs index by index', () => {
  const key = { 'network.deckhouse.io/load-balancer-shared-ip-key': 'front' };
  const c = new Cluster({
    classes: [cls('a', { isDefault: true })],
    nodes: [node('n1'), node('n2')],
    services: [
      svc('http', { count: 2, annotations: key, ports: [{ port: 80, protocol: 'TCP' }] }),
      svc('https', { count: 2, annotations: key, ports: [{ port: 443, protocol: 'TCP' }] }),
    ],
  });
  c.run();
  assert.deepEqual(c.get('http').ingress, ['192.168.2.100', '192.168.2.101']);
  assert.deepEqual(c.get('https').ingress, ['192.168.2.100', '192.168.2.101']);
});

test('a sharing key with clashing ports: SharingConflict, and the first Service keeps its IP', () => {
  const key = { 'network.deckhouse.io/load-balancer-shared-ip-key': 'front' };
  const c = new Cluster({
    classes: [cls('a', { isDefault: true })],
    nodes: [node('n1')],
    services: [svc('one', { annotations: key }), svc('two', { annotations: key, creationTimestamp: '2026-05-01T00:00:00Z' })],
  });
  const p = c.run();
  assert.deepEqual(c.get('one').ingress, ['192.168.2.100']);
  assert.deepEqual(c.get('two').ingress, []);
  assert.match(eventLines(p, 'two')[0] ?? '', /^AllocationFailed: SharingConflict: .*ports TCP\/80 clash/);
});

test('pool exhausted: partial assignment, "2 of 3", PoolExhausted once', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true, addressPool: ['192.0.2.10-192.0.2.11'] })], nodes: [node('n1'), node('n2'), node('n3')], services: [svc('web', { count: 3 })] });
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, ['192.0.2.10', '192.0.2.11']);
  assert.equal(c.condition('web', ASSIGNED), '2 of 3 public IPs were assigned');
  assert.equal(c.get('web').conditions.find((x) => x.type === ASSIGNED)?.status, 'False');
  assert.ok(eventLines(p).some((l) => l.startsWith('AllocationFailed: PoolExhausted: IPv4 index 2: no free IPv4 address in pool a')));
  assert.deepEqual(c.run().events, []);
  // The pool grows: the missing IP arrives, the condition turns True.
  c.editClass('a', (x) => ({ ...x, addressPool: ['192.0.2.10-192.0.2.12'] }));
  const q = c.run();
  assert.deepEqual(c.get('web').ingress, ['192.0.2.10', '192.0.2.11', '192.0.2.12']);
  assert.equal(c.condition('web', ASSIGNED), '3 of 3 public IPs were assigned');
  assert.deepEqual(eventLines(q, 'web'), ['IPAllocated: Assigned 192.0.2.12 from class a']);
});

test('a shrunk pool frees the IPs outside it and the Service gets new ones, with Events', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web', { ingress: ['192.168.2.150'], conditions: [] })] });
  c.run();
  assert.deepEqual(c.get('web').ingress, ['192.168.2.150']);
  c.editClass('a', (x) => ({ ...x, addressPool: ['192.168.2.100-192.168.2.110'] }));
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, ['192.168.2.100']);
  assert.deepEqual(eventLines(p, 'web'), ['IPReleased: Released 192.168.2.150 (no longer valid for class a)', 'IPAllocated: Assigned 192.168.2.100 from class a']);
});

test('overlapping classes: the later one gets PoolOverlap naming the older and never a duplicate', () => {
  const c = new Cluster({
    classes: [
      cls('old', { addressPool: ['192.0.2.0/30'] }),
      cls('new', { creationTimestamp: '2025-06-01T00:00:00Z', addressPool: ['192.0.2.2-192.0.2.5'] }),
    ],
    nodes: [node('n1')],
    services: [svc('x', { loadBalancerClass: 'old', count: 4 }), svc('y', { loadBalancerClass: 'new', count: 3 })],
  });
  c.run();
  assert.deepEqual(c.get('x').ingress, ['192.0.2.0', '192.0.2.1', '192.0.2.2', '192.0.2.3']);
  assert.deepEqual(c.get('y').ingress, ['192.0.2.4', '192.0.2.5']);
  const overlap = c.getClass('new')?.status?.conditions.find((x) => x.type === 'PoolOverlap');
  assert.equal(overlap?.status, 'True');
  assert.match(overlap?.message ?? '', /class old/);
  assert.equal(c.getClass('new')?.status?.totalAddresses, '2');
  assert.equal(c.getClass('old')?.status?.conditions.find((x) => x.type === 'PoolOverlap')?.status, 'False');
});

test('several default classes: the oldest wins, the others get DefaultConflict', () => {
  const c = new Cluster({
    classes: [cls('young', { isDefault: true, creationTimestamp: '2025-09-01T00:00:00Z', addressPool: ['192.0.2.0/24'] }), cls('elder', { isDefault: true })],
    nodes: [node('n1')],
    services: [svc('web')],
  });
  c.run();
  assert.equal(c.condition('web', CLASS), 'elder');
  const dc = c.getClass('young')?.status?.conditions.find((x) => x.type === 'DefaultConflict');
  assert.equal(dc?.status, 'True');
  assert.match(dc?.message ?? '', /class elder is the default/);
});

test('deleting a class in use: finalizer and InUse hold it; the IPs stay; released when unused', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web')] });
  c.run();
  assert.deepEqual(c.getClass('a')?.finalizers, [CLASS_FINALIZER]);
  c.editClass('a', (x) => ({ ...x, deletionTimestamp: '2026-01-02T00:00:00Z' }));
  c.put(svc('newcomer', { loadBalancerClass: 'a' }));
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, ['192.168.2.100']);
  assert.deepEqual(c.get('newcomer').ingress, [], 'a class being deleted takes no new Service');
  assert.ok(eventLines(p, 'newcomer').some((l) => /^InvalidAnnotation: .*being deleted/.test(l)));
  const inUse = c.getClass('a')?.status?.conditions.find((x) => x.type === 'InUse');
  assert.equal(inUse?.status, 'True');
  assert.match(inUse?.message ?? '', /1 Service is bound to this class; deletion waits/);
  assert.deepEqual(c.getClass('a')?.finalizers, [CLASS_FINALIZER]);
  c.services = c.services.filter((s) => s.name !== 'web');
  c.run();
  assert.equal(c.getClass('a'), undefined, 'the finalizer is removed and the class goes away');
});

test('no eligible node: held IPs stay, new ones fail with NoEligibleNodes, class says NoMatchingNodes', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true, nodeSelector: { role: 'lb' } })], nodes: [node('n1', { role: 'lb' })], services: [svc('web')] });
  c.run();
  c.nodes = [node('n1', { role: 'lb', 'node.kubernetes.io/exclude-from-external-load-balancers': '' })];
  c.put(svc('later', { creationTimestamp: '2026-04-01T00:00:00Z' }));
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, ['192.168.2.100']);
  assert.deepEqual(c.get('later').ingress, []);
  assert.match(eventLines(p, 'later')[0] ?? '', /^AllocationFailed: NoEligibleNodes/);
  assert.equal(c.getClass('a')?.status?.conditions.find((x) => x.type === 'NoMatchingNodes')?.status, 'True');
  assert.equal(c.getClass('a')?.status?.nodes, 0);
});

test('an annotation naming a missing class leaves the Service unbound and says so', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web', { annotations: { 'network.deckhouse.io/metal-load-balancer-class': 'nope' } })] });
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, []);
  assert.deepEqual(eventLines(p), ['InvalidAnnotation: network.deckhouse.io/metal-load-balancer-class: class "nope" does not exist']);
  c.classes = [...c.classes, cls('nope', { addressPool: ['192.0.2.0/24'] })];
  c.run();
  assert.equal(c.condition('web', CLASS), 'nope');
  assert.deepEqual(c.get('web').ingress, ['192.0.2.0']);
});

test('dual stack: N per family, IPv4 first in ingress, "4 of 4"', () => {
  const c = new Cluster({
    classes: [cls('a', { isDefault: true, addressPool: ['2001:db8::/64', '192.0.2.0/24'] })],
    nodes: [node('n1'), node('n2')],
    services: [svc('web', { count: 2, ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'RequireDualStack' })],
  });
  c.run();
  assert.deepEqual(c.get('web').ingress, ['192.0.2.0', '192.0.2.1', '2001:db8::', '2001:db8::1']);
  assert.equal(c.condition('web', ASSIGNED), '4 of 4 public IPs were assigned');
});

test('spec.loadBalancerIP pins index 0 of its family', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web', { loadBalancerIP: '192.168.2.140' })] });
  c.run();
  assert.deepEqual(c.get('web').ingress, ['192.168.2.140']);
});

test('deprecated MetalLB annotations on an L2 Service are listed for the alert', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web', { loadBalancerClass: 'a', annotations: { 'metallb.universe.tf/loadBalancerIPs': '192.168.2.101' } })] });
  const p = c.run();
  assert.deepEqual(p.deprecatedAnnotations, [{ namespace: 'default', name: 'web', annotation: 'metallb.universe.tf/loadBalancerIPs' }]);
});

test('Events are capped per run; warnings over the budget come in later runs', () => {
  const services = Array.from({ length: 15 }, (_, i) => svc(`s${String(i).padStart(2, '0')}`, { count: 'x' }));
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services });
  const p = c.run({ budget: 20 });
  assert.equal(p.events.length, 20);
  assert.equal(p.events.filter((e) => e.reason === 'InvalidAnnotation').length, 15);
  assert.equal(p.suppressedEvents, 10);
  assert.equal(c.services.filter((s) => s.ingress.length === 1).length, 15, 'status is written for all');
  const q = c.run({ budget: 20 });
  assert.deepEqual(q.events, []);
});

test('values: one affinity term per distinct selector; an empty selector means every node', () => {
  const c = new Cluster({
    classes: [cls('b', { nodeSelector: { zone: 'b' } }), cls('a', { nodeSelector: {}, addressPool: ['192.0.2.0/24'] }), cls('c', { nodeSelector: { zone: 'b' }, addressPool: ['198.51.100.0/24'] })],
    nodes: [],
  });
  const p = c.run();
  assert.deepEqual(p.values.classes.map((x) => x.name), ['a', 'b', 'c']);
  assert.deepEqual(p.values.nodeSelectorTerms, [
    { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'Exists' }] },
    { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
  ]);
});

test('informer one run behind: a stale snapshot neither flips IPs nor repeats Events', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')] });
  c.put(svc('s1', { creationTimestamp: '2026-01-01T00:00:01Z' }));
  c.put(svc('s2', { creationTimestamp: '2026-01-01T00:00:02Z' }));
  c.run();
  assert.deepEqual(c.get('s2').ingress, ['192.168.2.101']);
  c.services = c.services.filter((s) => s.name !== 's1');
  // This run still sees s2 without its IP: without the write cache it would hand s2 the lower .100.
  const p = c.run({ lag: true });
  assert.deepEqual(c.get('s2').ingress, ['192.168.2.101']);
  assert.deepEqual(p.serviceWrites, []);
  assert.deepEqual(eventLines(p, 's2'), []);
  c.put(svc('s3', { creationTimestamp: '2026-01-01T00:00:03Z' }));
  c.run({ lag: true });
  assert.deepEqual(c.get('s3').ingress, ['192.168.2.100'], 'the IP s2 holds is not handed out again');
});

test('a write the informer never shows is sent again after a while', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web')] });
  const first = c.run();
  assert.equal(first.serviceWrites.length, 1);
  // The write was lost: the object is put back as it was, with a new resourceVersion.
  c.edit('web', (s) => ({ ...s, ingress: [], conditions: [] }));
  assert.deepEqual(c.run({ advanceMs: 1000 }).serviceWrites, [], 'a recent write is trusted');
  assert.equal(c.run({ advanceMs: 31_000 }).serviceWrites.length, 1, 'sent again after 30 s');
  assert.deepEqual(c.get('web').ingress, ['192.168.2.100']);
});

test('an unreadable pool entry (written before the schema refused it) is listed in InvalidAddressPool; the rest is used', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true, addressPool: ['192.0.2.10-192.0.2.5', '198.51.100.0/30'] })], nodes: [node('n1')], services: [svc('web')] });
  c.run();
  assert.deepEqual(c.get('web').ingress, ['198.51.100.0']);
  const invalid = c.getClass('a')?.status?.conditions.find((x) => x.type === 'InvalidAddressPool');
  assert.equal(invalid?.status, 'True');
  assert.match(invalid?.message ?? '', /192\.0\.2\.10-192\.0\.2\.5/);
  assert.equal(c.getClass('a')?.status?.totalAddresses, '4');
});

test('an unparsable spec.loadBalancerIP is reported and the Service still gets an IP', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1')], services: [svc('web', { loadBalancerIP: '300.1.1.1' })] });
  const p = c.run();
  assert.deepEqual(c.get('web').ingress, ['192.168.2.100']);
  assert.deepEqual(eventLines(p).filter((l) => l.startsWith('InvalidAnnotation')), ['InvalidAnnotation: spec.loadBalancerIP: "300.1.1.1" is not an IP address']);
});

test('an invalid count keeps the count the Service had, even with an unassigned pinned index', () => {
  const c = new Cluster({ classes: [cls('a', { isDefault: true, addressPool: ['192.0.2.0/29'] })], nodes: [node('n1'), node('n2'), node('n3')], services: [svc('web', { count: 3, annotations: { 'network.deckhouse.io/load-balancer-ips': '198.51.100.9' } })] });
  c.run();
  assert.deepEqual(c.get('web').ingress, ['192.0.2.0', '192.0.2.1']);
  c.edit('web', (s) => ({ ...s, annotations: { ...s.annotations, 'network.deckhouse.io/l2-load-balancer-external-ips-count': '0' } }));
  c.run();
  c.run();
  assert.deepEqual(c.get('web').ingress, ['192.0.2.0', '192.0.2.1'], 'nothing released');
  assert.equal(c.condition('web', 'AllPublicIPsAssigned'), '2 of 3 public IPs were assigned');
});
