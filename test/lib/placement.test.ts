// Placement (DESIGN §4): properties that every speaker and the hooks rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { availableNodes, orderEligible, placeService, rotationOffset, type IpPlacement } from '../../lib/placement/index.ts';

const nodeNames = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,9}$/), { minLength: 1, maxLength: 12 });
const v4 = (i: number): string => `192.0.2.${100 + i}`;
const v6 = (i: number): string => `2001:db8::${(0x100 + i).toString(16)}`;
const nodesOf = (p: IpPlacement[]): (string | undefined)[] => p.map((x) => x.node);

test('N IPs on at least N eligible, all available, land on N distinct nodes, each its preferred one', () => {
  fc.assert(fc.property(nodeNames, fc.integer({ min: 1, max: 12 }), fc.string(), (nodes, n, key) => {
    fc.pre(n <= nodes.length);
    const ips = Array.from({ length: n }, (_, i) => v4(i));
    const p = placeService({ className: 'c', eligible: nodes, available: new Set(nodes), serviceKey: key, ips });
    assert.equal(new Set(nodesOf(p)).size, n);
    for (const x of p) assert.ok(x.node !== undefined && x.node === x.preferred);
  }));
});

test('the answer does not depend on the order in which nodes are listed', () => {
  fc.assert(fc.property(nodeNames, fc.string(), (nodes, key) => {
    const ips = [v4(0), v4(1), v4(2)];
    const a = placeService({ className: 'c', eligible: nodes, available: new Set(nodes), serviceKey: key, ips });
    const b = placeService({ className: 'c', eligible: [...nodes].reverse(), available: new Set([...nodes].reverse()), serviceKey: key, ips });
    assert.deepEqual(a, b);
  }));
});

test('losing a node moves only its IPs, to available nodes, and they come back when it returns', () => {
  fc.assert(fc.property(nodeNames, fc.integer({ min: 1, max: 6 }), fc.string(), fc.nat(), (nodes, n, key, pick) => {
    fc.pre(nodes.length >= 2);
    const ips = Array.from({ length: n }, (_, i) => v4(i));
    const all = new Set(nodes);
    const before = placeService({ className: 'c', eligible: nodes, available: all, serviceKey: key, ips });
    const lost = nodes[pick % nodes.length] as string;
    const fewer = new Set(nodes.filter((x) => x !== lost));
    const during = placeService({ className: 'c', eligible: nodes, available: fewer, serviceKey: key, ips });
    before.forEach((b, i) => {
      const d = during[i] as IpPlacement;
      if (b.node !== lost) assert.equal(d.node, b.node, 'an IP not on the lost node moved');
      else assert.ok(d.node !== undefined && fewer.has(d.node));
    });
    const after = placeService({ className: 'c', eligible: nodes, available: all, serviceKey: key, ips });
    assert.deepEqual(after, before);
  }));
});

test('fallback avoids nodes already holding another IP of the Service while there are free ones', () => {
  fc.assert(fc.property(nodeNames, fc.string(), fc.nat(), (nodes, key, pick) => {
    fc.pre(nodes.length >= 4);
    const ips = [v4(0), v4(1), v4(2)];
    const lost = nodes[pick % nodes.length] as string;
    const p = placeService({ className: 'c', eligible: nodes, available: new Set(nodes.filter((x) => x !== lost)), serviceKey: key, ips });
    assert.equal(new Set(nodesOf(p)).size, 3);
  }));
});

test('IPv4 i and IPv6 i share a node, also after a failure (A/AAAA pairs)', () => {
  fc.assert(fc.property(nodeNames, fc.string(), fc.nat(), (nodes, key, pick) => {
    const ips = [v4(0), v6(0), v4(1), v6(1)];
    const lost = nodes[pick % nodes.length] as string;
    for (const avail of [new Set(nodes), new Set(nodes.filter((x) => x !== lost))]) {
      const p = placeService({ className: 'c', eligible: nodes, available: avail, serviceKey: key, ips });
      assert.equal(p[0]?.node, p[1]?.node);
      assert.equal(p[2]?.node, p[3]?.node);
      assert.deepEqual(p.map((x) => x.index), [0, 0, 1, 1]);
    }
  }));
});

test('no eligible nodes and no available nodes are reasons, not crashes', () => {
  assert.deepEqual(placeService({ className: 'c', eligible: [], available: new Set(), serviceKey: 'a/b', ips: [v4(0)] }),
    [{ ip: v4(0), index: 0, node: undefined, preferred: undefined, reason: 'NoEligibleNodes' }]);
  const p = placeService({ className: 'c', eligible: ['n1'], available: new Set(), serviceKey: 'a/b', ips: [v4(0)] });
  assert.equal(p[0]?.node, undefined);
  assert.equal((p[0] as { reason: string }).reason, 'NoAvailableNodes');
});

test('the rotation spreads index 0 of different Services over the nodes', () => {
  const nodes = ['n1', 'n2', 'n3', 'n4'];
  const firsts = new Set<string | undefined>();
  for (let s = 0; s < 40; s++) firsts.add(placeService({ className: 'c', eligible: nodes, available: new Set(nodes), serviceKey: `ns/svc-${s}`, ips: [v4(0)] })[0]?.node);
  assert.equal(firsts.size, 4);
  assert.equal(rotationOffset('x', 0), 0);
  assert.deepEqual(orderEligible('c', ['a', 'a', 'b']).length, 2);
});

test('available set: live, network available, and for ETP Local only nodes with a ready endpoint', () => {
  const facts = (n: string): { live: boolean; networkUnavailable?: boolean } =>
    ({ n1: { live: true }, n2: { live: false }, n3: { live: true, networkUnavailable: true }, n4: { live: true } })[n] ?? { live: false };
  const eligible = ['n1', 'n2', 'n3', 'n4'];
  assert.deepEqual([...availableNodes(eligible, facts, { externalTrafficPolicy: 'Cluster' })], ['n1', 'n4']);
  assert.deepEqual([...availableNodes(eligible, facts, { externalTrafficPolicy: 'Local', endpointNodes: new Set(['n4', 'n2']) })], ['n4']);
  assert.deepEqual([...availableNodes(eligible, facts, { externalTrafficPolicy: 'Local' })], ['n1', 'n4']);
  assert.deepEqual([...availableNodes(eligible, facts, { externalTrafficPolicy: 'Cluster', endpointNodes: new Set(['n4']) })], ['n1', 'n4']);
  assert.deepEqual([...availableNodes(eligible, facts, { externalTrafficPolicy: 'Cluster', endpointNodes: new Set() })], []);
});
