// lib/bgp/routes.ts: what one speaker announces in Kubernetes mode (peers by node selector, source
// address and router ID from the Node, ETP Cluster/Local, aggregation, communities) and
// lib/bgp/choice.ts table cases. Pure functions, no cluster.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectBgp, type SharedBgp, type BgpServiceInfo } from '../../lib/bgp/routes.ts';
import { chooseBgp, type BgpChoiceContext } from '../../lib/bgp/choice.ts';
import { resolvePools } from '../../lib/ipam/index.ts';
import { parseIP, parseRange } from '../../lib/net/index.ts';
import { aggregatesInside, parseBgpSettings } from '../../lib/bgp/settings.ts';

const shared: SharedBgp = {
  speakerNodeSelector: { 'node-role.deckhouse.io/metallb': '' },
  peers: [
    { index: 0, address: '198.51.100.1', asn: 64601, myASN: 64600, holdTime: '3s', hasPassword: true },
    { index: 1, address: '2001:db8::1', asn: 64601, myASN: 64600, nodeSelector: { matchLabels: { rack: 'a' } } },
  ],
  pools: [{
    name: 'mypool', addresses: ['203.0.113.0/24'],
    advertisements: [
      { aggregationLength: 32, aggregationLengthV6: 128, localPref: 150, communities: ['65535:65282'], largeCommunities: [] },
      { aggregationLength: 24, aggregationLengthV6: 64, localPref: null, communities: [], largeCommunities: ['4200000001:1:2'] },
    ],
  }],
};
const node = (name: string, labels: Record<string, string> = {}) => ({ name, labels: { 'node-role.deckhouse.io/metallb': '', ...labels }, internalIPs: ['192.0.2.11', '2001:db8::11'] });
const svc = (name: string, etp: 'Cluster' | 'Local', endpointNodes?: string[]): BgpServiceInfo => ({
  namespace: 'default', name, pool: 'mypool', ingressIPs: ['203.0.113.10', '2001:db8:100::10'], externalTrafficPolicy: etp, ...(endpointNodes ? { endpointNodes } : {}),
});

describe('projectBgp', () => {
  it('peers by selector, source address and router ID from the Node, password by index', () => {
    const c = projectBgp(node('n1'), shared, [], new Map([[0, 'secret']]));
    assert.equal(c?.routerID, '192.0.2.11');
    assert.deepEqual(c?.peers.map((p) => [p.address, p.sourceAddress, p.holdTimeMs, p.password]), [['198.51.100.1', '192.0.2.11', 3000, 'secret']]);
    const rackA = projectBgp(node('n1', { rack: 'a' }), shared, [], new Map());
    assert.deepEqual(rackA?.peers.map((p) => [p.address, p.sourceAddress, p.password]), [['198.51.100.1', '192.0.2.11', undefined], ['2001:db8::1', '2001:db8::11', undefined]]);
  });

  it('not a BGP speaker: other label or excluded', () => {
    assert.equal(projectBgp({ ...node('n1'), labels: {} }, shared, [svc('a', 'Cluster')], new Map()), undefined);
    assert.equal(projectBgp(node('n1', { 'node.kubernetes.io/exclude-from-external-load-balancers': '' }), shared, [svc('a', 'Cluster')], new Map()), undefined);
  });

  it('advertisements: aggregation, communities, local preference; families for the engine to split', () => {
    const c = projectBgp(node('n1'), shared, [svc('a', 'Cluster', ['n2'])], new Map());
    assert.deepEqual(c?.advertisements, [
      { prefixes: ['203.0.113.10/32', '2001:db8:100::10/128'], communities: ['65535:65282'], largeCommunities: [], localPref: 150 },
      { prefixes: ['203.0.113.0/24', '2001:db8:100::/64'], communities: [], largeCommunities: ['4200000001:1:2'] },
    ]);
  });

  it('ETP Cluster needs a ready endpoint somewhere; ETP Local one on this node', () => {
    const prefixes = (n: string, s: BgpServiceInfo) => projectBgp(node(n), shared, [s], new Map())?.advertisements.flatMap((a) => a.prefixes) ?? [];
    assert.deepEqual(prefixes('n1', svc('a', 'Cluster', [])), []);
    assert.equal(prefixes('n1', svc('a', 'Cluster', ['n3'])).length, 4);
    assert.equal(prefixes('n1', svc('a', 'Cluster')).length, 4, 'no EndpointSlice at all: announced');
    assert.deepEqual(prefixes('n1', svc('a', 'Local', ['n2'])), []);
    assert.equal(prefixes('n2', svc('a', 'Local', ['n2'])).length, 4);
    assert.deepEqual(prefixes('n1', { ...svc('a', 'Cluster'), pool: 'gone' }), []);
  });
});

describe('chooseBgp', () => {
  const [pool, manual] = resolvePools([
    { name: 'mypool', addresses: ['203.0.113.0/28'] },
    { name: 'manual', addresses: ['198.51.100.0/28'], autoAssign: false },
  ]).map((r) => r.spec);
  const ctx = (o: Partial<BgpChoiceContext> = {}): BgpChoiceContext => ({
    pools: [pool!, manual!], loadBalancerClass: '', classNames: new Set(['l2']), hasDefaultClass: false,
    boundPool: undefined, boundL2: false, held: [], pins: [], family: 4, ...o,
  });
  const lb = (o: { loadBalancerClass?: string; annotations?: Record<string, string>; type?: string } = {}) => ({ type: 'LoadBalancer', loadBalancerClass: '', annotations: {}, ...o });

  it('the rule, case by case', () => {
    assert.deepEqual(chooseBgp(lb(), ctx()), { type: 'bound', pool: 'mypool', sticky: false });
    assert.equal(chooseBgp(lb(), ctx({ hasDefaultClass: true })), undefined, 'a default class takes class-less Services');
    assert.equal(chooseBgp(lb(), ctx({ loadBalancerClass: 'bgp' })), undefined, 'with a BGP class set, class-less is not BGP');
    assert.deepEqual(chooseBgp(lb({ loadBalancerClass: 'bgp' }), ctx({ loadBalancerClass: 'bgp', hasDefaultClass: true })), { type: 'bound', pool: 'mypool', sticky: false });
    assert.equal(chooseBgp(lb({ loadBalancerClass: 'l2' }), ctx({ loadBalancerClass: 'l2' })), undefined, 'a class of that name wins');
    assert.equal(chooseBgp(lb({ loadBalancerClass: 'other' }), ctx()), undefined);
    assert.deepEqual(chooseBgp(lb({ annotations: { 'metallb.io/address-pool': 'manual' } }), ctx({ hasDefaultClass: true })), { type: 'bound', pool: 'manual', sticky: false });
    assert.equal(chooseBgp(lb({ annotations: { 'metallb.io/address-pool': 'old-layer2' } }), ctx({ hasDefaultClass: true })), undefined);
    assert.equal(chooseBgp(lb({ annotations: { 'network.deckhouse.io/metal-load-balancer-class': 'l2' } }), ctx()), undefined);
    assert.equal(chooseBgp(lb(), ctx({ boundL2: true })), undefined);
    assert.deepEqual(chooseBgp(lb(), ctx({ boundPool: 'manual', hasDefaultClass: true, held: [parseIP('198.51.100.2')] })), { type: 'bound', pool: 'manual', sticky: true });
    assert.deepEqual(chooseBgp(lb(), ctx({ boundPool: 'manual', held: [] })), { type: 'bound', pool: 'mypool', sticky: false }, 'holding nothing, the binding may move');
    const second = resolvePools([{ name: 'second', addresses: ['192.0.2.0/30'] }])[0]!.spec;
    const full = (name: string) => name !== 'mypool';
    assert.deepEqual(chooseBgp(lb(), ctx({ pools: [pool!, second], hasRoom: full })), { type: 'bound', pool: 'second', sticky: false }, 'a full pool passes new Services on');
    assert.deepEqual(chooseBgp(lb(), ctx({ pools: [pool!, second], hasRoom: () => false })), { type: 'bound', pool: 'mypool', sticky: false }, 'all full: the first pool (and PoolExhausted)');
    assert.deepEqual(chooseBgp(lb(), ctx({ pins: [parseIP('198.51.100.3')] })), { type: 'bound', pool: 'manual', sticky: false });
    assert.deepEqual(chooseBgp(lb({ type: 'ClusterIP' }), ctx({ boundPool: 'mypool' })), { type: 'release', why: 'the Service is of type ClusterIP now' });
    assert.deepEqual(chooseBgp(lb(), ctx({ boundPool: 'mypool', pools: [] })), { type: 'release', why: 'no BGP pool is configured any more' });
    assert.equal(chooseBgp(lb(), ctx({ pools: [manual!] }))?.type, 'pending', 'no auto-assign pool: reported');
  });
});

describe('parseBgpSettings', () => {
  it('an aggregation length wider than the pool is refused; a fitting one is kept', () => {
    assert.equal(aggregatesInside(parseRange('203.0.113.0/24'), 24), true);
    assert.equal(aggregatesInside(parseRange('203.0.113.0/28'), 24), false);
    assert.equal(aggregatesInside(parseRange('203.0.113.16-203.0.113.31'), 28), true);
    assert.equal(aggregatesInside(parseRange('2001:db8:100::/120'), 64), false);
    const s = parseBgpSettings({
      addressPools: [{ name: 'p', protocol: 'bgp', addresses: ['203.0.113.0/28', '2001:db8:100::/64'], 'bgp-advertisements': [
        { 'aggregation-length': 24 }, { 'aggregation-length': 28, 'aggregation-length-v6': 64 },
      ] }],
    }, []);
    assert.deepEqual(s.pools[0]?.advertisements.map((a) => [a.aggregationLength, a.aggregationLengthV6]), [[28, 64]]);
    assert.deepEqual(s.problems.map((p) => p.field), ['addressPools[0].bgp-advertisements[0].aggregation-length']);
  });

  it('peer problems: hold time, source address family, router-id on many nodes', () => {
    const nodes = ['a', 'b'].map((name) => ({ name, labels: { sp: '' } }));
    const s = parseBgpSettings({
      speaker: { nodeSelector: { sp: '' } },
      bgpPeers: [
        { 'peer-address': '192.0.2.1', 'peer-asn': 1, 'my-asn': 2, 'hold-time': '2s' },
        { 'peer-address': '192.0.2.2', 'peer-asn': 1, 'my-asn': 2, 'source-address': '2001:db8::1', 'router-id': '192.0.2.9' },
        { 'peer-address': '192.0.2.3', 'peer-asn': 1, 'my-asn': 2, 'router-id': '192.0.2.9', 'node-selector': { matchLabels: { 'kubernetes.io/hostname': 'a' } } },
      ],
    }, nodes.map((n) => (n.name === 'a' ? { ...n, labels: { ...n.labels, 'kubernetes.io/hostname': 'a' } } : n)));
    assert.deepEqual(s.peers.map((p) => [p.index, p.sourceAddress, p.routerID]), [[1, '', ''], [2, '', '192.0.2.9']]);
    assert.deepEqual(s.problems.map((p) => p.field), ['bgpPeers[0].hold-time', 'bgpPeers[1].source-address', 'bgpPeers[1].router-id']);
  });
});
