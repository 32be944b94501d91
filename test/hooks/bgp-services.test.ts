// BGP mode in the hooks: the built executable run by the addon-operator imitation (real gojq
// filters, values schema, strict output application) with the documentation's BGP example, the
// annotations, sharing, exhaustion, settings problems and claims contested with L2 classes.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../../hooks/lib/types.ts';
import { AddonOperator, clusterFromYaml, ensureHooksExecutable } from '../support/addon-operator/index.ts';
import type { KubeObject, ObjectStore } from '../../lab/kube-api/store.ts';

const NODES = `
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Node
metadata: {name: node-1, labels: {node-role.deckhouse.io/metallb: ""}}
---
apiVersion: v1
kind: Node
metadata: {name: node-2, labels: {node-role.deckhouse.io/metallb: ""}}
---
apiVersion: v1
kind: Node
metadata: {name: node-3, labels: {node-role.deckhouse.io/metallb: ""}}
---
apiVersion: v1
kind: Node
metadata: {name: worker-1}
---
apiVersion: deckhouse.io/v1alpha1
kind: ModuleConfig
metadata: {name: metallb}
spec: {enabled: true, version: 2, settings: {}}
`;

const svcYaml = (name: string, extra = '', annotations = '{}') => `
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default, annotations: ${annotations}}
spec:
  type: LoadBalancer
  selector: {app: ${name}}
  ports: [{port: 80, protocol: TCP, targetPort: 80}]
${extra}`;

/** The documentation's example (deckhouse-metallb.md §6): BGP pool, one peer, speakers by label. */
const DOC_SETTINGS: JsonObject = {
  addressPools: [{ name: 'mypool', protocol: 'bgp', addresses: ['192.168.219.100-192.168.219.200'] }],
  bgpPeers: [{ 'peer-address': '172.18.18.10', 'peer-asn': 64601, 'my-asn': 64600, 'hold-time': '3s' }],
  speaker: { nodeSelector: { 'node-role.deckhouse.io/metallb': '' } },
};

function service(store: ObjectStore, name: string): KubeObject {
  return store.get(store.resolve('Service', '')!, 'default', name);
}
function ingress(store: ObjectStore, name: string): string[] {
  const st = service(store, name).status as { loadBalancer?: { ingress?: { ip: string }[] } } | undefined;
  return (st?.loadBalancer?.ingress ?? []).map((i) => i.ip);
}
function cond(store: ObjectStore, name: string, type: string): string | undefined {
  const st = service(store, name).status as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined;
  const c = st?.conditions?.find((x) => x.type === type);
  return c ? `${c.status} ${c.reason} ${c.message}` : undefined;
}
function events(store: ObjectStore, kind: string, name: string): string[] {
  return store.list(store.resolve('Event', '')!).items
    .filter((e) => { const o = e.involvedObject as { kind?: string; name?: string } | undefined; return o?.kind === kind && o.name === name; })
    .map((e) => `${String(e.reason)}: ${String(e.message)}`).sort();
}

describe('BGP Services through addon-operator (built executable)', () => {
  const operators: AddonOperator[] = [];
  const start = async (yaml: string, configValues: JsonObject, delayWatchEvents = false): Promise<AddonOperator> => {
    const op = await AddonOperator.start({ store: clusterFromYaml(yaml), executable: ensureHooksExecutable(), configValues, delayWatchEvents, now: () => new Date('2026-01-01T00:00:00Z') });
    operators.push(op);
    return op;
  };
  afterEach(() => { for (const op of operators.splice(0)) op.dispose(); });

  it('the documentation example: an IP from mypool, BGPPoolBound, peer and pool values, speaker affinity', async () => {
    const op = await start(NODES + svcYaml('nginx'), DOC_SETTINGS);
    assert.deepEqual(ingress(op.store, 'nginx'), ['192.168.219.100']);
    assert.equal(cond(op.store, 'nginx', 'network.deckhouse.io/load-balancer-class'), 'True BGPPoolBound mypool');
    assert.equal(cond(op.store, 'nginx', 'AllPublicIPsAssigned'), 'True AllIPsAssigned 1 of 1 public IPs were assigned');
    assert.deepEqual(events(op.store, 'Service', 'nginx'), ['IPAllocated: Assigned 192.168.219.100 from BGP pool mypool']);
    const internal = op.values().internal as JsonObject;
    assert.deepEqual((internal.bgp as JsonObject).peers, [{
      index: 0, peerAddress: '172.18.18.10', peerASN: 64601, myASN: 64600, peerPort: 179, holdTime: '3s', hasPassword: false,
      sourceAddress: '', routerID: '', ebgpMultihop: false, gracefulRestart: false, bfd: null,
    }]);
    assert.deepEqual((internal.bgp as JsonObject).pools, [{
      name: 'mypool', addresses: ['192.168.219.100-192.168.219.200'], autoAssign: true, avoidBuggyIPs: false,
      advertisements: [{ aggregationLength: 32, aggregationLengthV6: 128, localPref: null, communities: [], largeCommunities: [] }],
    }]);
    assert.deepEqual((internal.speaker as JsonObject).nodeSelectorTerms, [{ matchExpressions: [{ key: 'node-role.deckhouse.io/metallb', operator: 'In', values: [''] }] }]);
    const m = op.metrics().map((s) => `${s.name}${JSON.stringify(s.labels ?? {})}=${s.value}`);
    assert.ok(m.includes('metallb_allocator_addresses_total{"pool":"mypool"}=101'), m.join('\n'));
    assert.ok(m.includes('metallb_allocator_addresses_in_use_total{"pool":"mypool"}=1'));
    assert.ok(!m.some((x) => x.startsWith('d8_metallb_bgp_settings_problems')), 'no settings problem');
    assert.deepEqual(events(op.store, 'ModuleConfig', 'metallb'), []);

    // Sticky: a default class created later takes new class-less Services and moves nothing.
    const store = op.store;
    store.create(store.resolve('MetalLoadBalancerClass', 'network.deckhouse.io')!, {
      apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', metadata: { name: 'l2' },
      spec: { isDefault: true, type: 'L2', addressPool: ['192.0.2.10-192.0.2.20'], nodeSelector: {} },
    });
    store.create(store.resolve('Service', '')!, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'later', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] } });
    await op.settle();
    assert.deepEqual(ingress(store, 'nginx'), ['192.168.219.100']);
    assert.equal(cond(store, 'nginx', 'network.deckhouse.io/load-balancer-class'), 'True BGPPoolBound mypool');
    assert.deepEqual(ingress(store, 'later'), ['192.0.2.10']);
    assert.equal(cond(store, 'later', 'network.deckhouse.io/load-balancer-class'), 'True LoadBalancerClassBound l2');
  });

  it('annotations: pool choice, requested IPs (all three ways), sharing, dual stack', async () => {
    const settings: JsonObject = {
      ...DOC_SETTINGS,
      addressPools: [
        { name: 'mypool', protocol: 'bgp', addresses: ['192.168.219.100-192.168.219.200', '2001:db8:100::/120'] },
        { name: 'manual', protocol: 'bgp', addresses: ['198.51.100.0/28'], 'auto-assign': false },
      ],
    };
    const yaml = NODES
      + svcYaml('by-pool', '', '{metallb.io/address-pool: manual}')
      + svcYaml('by-metallb-ips', '', '{metallb.universe.tf/address-pool: manual, metallb.universe.tf/loadBalancerIPs: 198.51.100.7}')
      + svcYaml('by-deckhouse-ips', '', '{network.deckhouse.io/load-balancer-ips: "192.168.219.150"}')
      + svcYaml('by-spec', '  loadBalancerIP: 198.51.100.9')
      + svcYaml('share-a', '', '{metallb.universe.tf/allow-shared-ip: k1, network.deckhouse.io/load-balancer-ips: "192.168.219.160"}')
      + svcYaml('share-b', '', '{network.deckhouse.io/load-balancer-shared-ip-key: k1, network.deckhouse.io/load-balancer-ips: "192.168.219.160"}').replace('port: 80,', 'port: 443,')
      + svcYaml('dual', '  ipFamilies: [IPv4, IPv6]\n  ipFamilyPolicy: RequireDualStack', '{network.deckhouse.io/l2-load-balancer-external-ips-count: "3"}');
    const op = await start(yaml, settings);
    const s = op.store;
    assert.deepEqual(ingress(s, 'by-pool'), [], 'pinned-only pool: nothing without a requested IP');
    assert.match(cond(s, 'by-pool', 'AllPublicIPsAssigned') ?? '', /^False NotAllIPsAssigned 0 of 1/);
    assert.ok(events(s, 'Service', 'by-pool').some((e) => e.startsWith('AllocationFailed: PoolExhausted') && e.includes('pinned addresses only')), events(s, 'Service', 'by-pool').join('\n'));
    assert.deepEqual(ingress(s, 'by-metallb-ips'), ['198.51.100.7']);
    assert.equal(cond(s, 'by-metallb-ips', 'network.deckhouse.io/load-balancer-class'), 'True BGPPoolBound manual');
    assert.deepEqual(ingress(s, 'by-deckhouse-ips'), ['192.168.219.150']);
    assert.deepEqual(ingress(s, 'by-spec'), ['198.51.100.9'], 'spec.loadBalancerIP chooses the pool that holds it');
    assert.equal(cond(s, 'by-spec', 'network.deckhouse.io/load-balancer-class'), 'True BGPPoolBound manual');
    assert.deepEqual(ingress(s, 'share-a'), ['192.168.219.160']);
    assert.deepEqual(ingress(s, 'share-b'), ['192.168.219.160'], 'same key, different ports: shared');
    assert.deepEqual(ingress(s, 'dual'), ['192.168.219.100', '2001:db8:100::']);
    assert.equal(cond(s, 'dual', 'AllPublicIPsAssigned'), 'True AllIPsAssigned 2 of 2 public IPs were assigned');
    assert.ok(events(s, 'Service', 'dual').some((e) => e.startsWith('InvalidAnnotation: network.deckhouse.io/l2-load-balancer-external-ips-count: a BGP Service gets one IP per family')), events(s, 'Service', 'dual').join('\n'));
  });

  it('exhaustion with avoid-buggy-ips, a requested IP in use, a pool that does not exist', async () => {
    const settings: JsonObject = { ...DOC_SETTINGS, addressPools: [{ name: 'tiny', protocol: 'bgp', addresses: ['198.51.100.255-198.51.101.1'], 'avoid-buggy-ips': true }] };
    const yaml = NODES + svcYaml('first') + svcYaml('second') + svcYaml('wants', '', '{network.deckhouse.io/load-balancer-ips: "198.51.101.1"}')
      + svcYaml('wants-too', '', '{metallb.universe.tf/loadBalancerIPs: "198.51.101.1"}')
      + svcYaml('ghost-pool', '', '{metallb.universe.tf/address-pool: tiny2}');
    const op = await start(yaml, settings);
    const s = op.store;
    // .255 and .0 are skipped: one address; a requested IP goes before automatic choices.
    assert.deepEqual(ingress(s, 'wants'), ['198.51.101.1']);
    for (const n of ['first', 'second']) {
      assert.deepEqual(ingress(s, n), []);
      assert.ok(events(s, 'Service', n).some((e) => e.startsWith('AllocationFailed: PoolExhausted')), events(s, 'Service', n).join('\n'));
    }
    assert.ok(events(s, 'Service', 'wants-too').some((e) => e.startsWith('AllocationFailed: RequestedIPInUse')), events(s, 'Service', 'wants-too').join('\n'));
    // A pool annotation naming no BGP pool leaves the Service to the L2 rule; no default class: unclaimed.
    assert.deepEqual(ingress(s, 'ghost-pool'), []);
    assert.equal(cond(s, 'ghost-pool', 'network.deckhouse.io/load-balancer-class'), undefined);
    const m = op.metrics().map((x) => `${x.name}${JSON.stringify(x.labels ?? {})}=${x.value}`);
    assert.ok(m.includes('metallb_allocator_addresses_total{"pool":"tiny"}=1'), m.join('\n'));
    assert.ok(m.includes('d8_metallb_service_unassigned_ips{"namespace":"default","name":"second","class":"tiny"}=1'), m.join('\n'));
    // The holder goes away: the next in line gets the address.
    op.store.delete(op.store.resolve('Service', '')!, 'default', 'wants');
    await op.settle();
    assert.deepEqual(ingress(s, 'wants-too'), ['198.51.101.1']);
  });

  it('with watch events delayed, no IP flips and none is handed out twice', async () => {
    const op = await start(NODES + svcYaml('nginx'), DOC_SETTINGS, true);
    const s = op.store;
    const t = s.resolve('Service', '')!;
    for (const name of ['two', 'three']) {
      s.create(t, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] } });
      await op.settle();
    }
    s.delete(t, 'default', 'two');
    s.create(t, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'four', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] } });
    await op.settle();
    await op.settle();
    assert.deepEqual(['nginx', 'three', 'four'].map((n) => ingress(s, n)), [['192.168.219.100'], ['192.168.219.102'], ['192.168.219.101']]);
    assert.deepEqual(events(s, 'Service', 'nginx'), ['IPAllocated: Assigned 192.168.219.100 from BGP pool mypool'], 'no flip, no repeated Event');
  });

  it('a full auto-assign pool passes new Services on to the next pool; held IPs stay', async () => {
    const settings: JsonObject = { ...DOC_SETTINGS, addressPools: [
      { name: 'small', protocol: 'bgp', addresses: ['198.51.100.7/32'] },
      { name: 'big', protocol: 'bgp', addresses: ['203.0.113.0/28'] },
    ] };
    const op = await start(NODES + svcYaml('a') + svcYaml('b'), settings);
    const s = op.store;
    assert.deepEqual([ingress(s, 'a'), ingress(s, 'b')], [['198.51.100.7'], ['203.0.113.0']]);
    assert.equal(cond(s, 'b', 'network.deckhouse.io/load-balancer-class'), 'True BGPPoolBound big');
    s.delete(s.resolve('Service', '')!, 'default', 'a');
    await op.settle();
    assert.deepEqual(ingress(s, 'b'), ['203.0.113.0'], 'sticky: b keeps its pool and IP');
  });

  it('settings problems: unknown community, router-id on a peer of many nodes, reported and left out', async () => {
    const settings: JsonObject = {
      ...DOC_SETTINGS,
      addressPools: [{
        name: 'mypool', protocol: 'bgp', addresses: ['192.168.219.100-192.168.219.200'],
        'bgp-advertisements': [
          { localpref: 150, communities: ['no-advertise', 'big'] },
          { 'aggregation-length': 32, communities: ['typo'] },
        ],
      }],
      bgpCommunities: { 'no-advertise': '65535:65282', big: '4200000001:1:2' },
      bgpPeers: [
        { 'peer-address': '172.18.18.10', 'peer-asn': 64601, 'my-asn': 64600, 'hold-time': '3s', 'router-id': '10.0.0.1', password: 'secret' },
        { 'peer-address': '2001:db8::1', 'peer-asn': 64601, 'my-asn': 64600, 'source-address': '2001:db8::11', 'node-selector': { matchLabels: { 'kubernetes.io/hostname': 'node-1' } } },
      ],
    };
    const yaml = NODES.replace('metadata: {name: node-1, labels: {', 'metadata: {name: node-1, labels: {kubernetes.io/hostname: node-1, ') + svcYaml('nginx');
    const op = await start(yaml, settings);
    assert.deepEqual(ingress(op.store, 'nginx'), ['192.168.219.100'], 'the rest keeps working');
    const bgp = (op.values().internal as JsonObject).bgp as { peers: JsonObject[]; pools: JsonObject[] };
    assert.deepEqual(bgp.pools[0]?.advertisements, [{ aggregationLength: 32, aggregationLengthV6: 128, localPref: 150, communities: ['65535:65282'], largeCommunities: ['4200000001:1:2'] }]);
    assert.equal(bgp.peers[0]?.routerID, '', 'router-id left out: the peer matches 3 nodes');
    assert.equal(bgp.peers[0]?.hasPassword, true);
    assert.equal(bgp.peers[1]?.sourceAddress, '2001:db8::11', 'one node: source-address kept');
    const ev = events(op.store, 'ModuleConfig', 'metallb');
    assert.equal(ev.length, 2, ev.join('\n'));
    assert.ok(ev.some((e) => e.startsWith('InvalidBGPSettings: addressPools[0].bgp-advertisements[1].communities[0]: community "typo" is not defined')), ev.join('\n'));
    assert.ok(ev.some((e) => e.startsWith('InvalidBGPSettings: bgpPeers[0].router-id: the peer\'s node-selector matches 3 speaker nodes')), ev.join('\n'));
    const m = op.metrics().filter((x) => x.name === 'd8_metallb_bgp_settings_problems').map((x) => x.labels?.field).sort();
    assert.deepEqual(m, ['addressPools[0].bgp-advertisements[1].communities[0]', 'bgpPeers[0].router-id']);

    // Fixed: the metric goes away, no new Event.
    await op.setConfigValues({ ...settings, bgpCommunities: { ...(settings.bgpCommunities as JsonObject), typo: '65000:1' }, bgpPeers: [(settings.bgpPeers as JsonObject[])[1] as JsonObject] });
    await op.settle();
    assert.deepEqual(op.metrics().filter((x) => x.name === 'd8_metallb_bgp_settings_problems'), []);
    assert.equal(events(op.store, 'ModuleConfig', 'metallb').length, 2);
    const pools = ((op.values().internal as JsonObject).bgp as { pools: { advertisements: unknown[] }[] }).pools;
    assert.equal(pools[0]?.advertisements.length, 2);
  });

  it('contested claims: settings.loadBalancerClass, classes, overlapping pools; no Service claimed twice', async () => {
    const settings: JsonObject = {
      ...DOC_SETTINGS,
      loadBalancerClass: 'bgp-lb',
      addressPools: [{ name: 'mypool', protocol: 'bgp', addresses: ['192.0.2.0/29'] }],
    };
    const yaml = NODES + `
---
apiVersion: network.deckhouse.io/v1alpha1
kind: MetalLoadBalancerClass
metadata: {name: ingress, creationTimestamp: "2025-01-01T00:00:00Z"}
spec: {isDefault: true, type: L2, addressPool: [192.0.2.0-192.0.2.1], nodeSelector: {}}
---
apiVersion: network.deckhouse.io/v1alpha1
kind: MetalLoadBalancerClass
metadata: {name: bgp-lb-twin}
spec: {type: L2, addressPool: [203.0.113.0/30], nodeSelector: {}}
`
      + svcYaml('classless')
      + svcYaml('by-class', '  loadBalancerClass: bgp-lb')
      + svcYaml('by-annotation', '', '{metallb.universe.tf/address-pool: mypool}')
      + svcYaml('foreign', '  loadBalancerClass: other.io/lb');
    const op = await start(yaml, settings);
    const s = op.store;
    const reason = (n: string) => cond(s, n, 'network.deckhouse.io/load-balancer-class');
    assert.equal(reason('classless'), 'True LoadBalancerClassBound ingress');
    assert.deepEqual(ingress(s, 'classless'), ['192.0.2.0']);
    assert.equal(reason('by-class'), 'True BGPPoolBound mypool');
    assert.equal(reason('by-annotation'), 'True BGPPoolBound mypool');
    // The class owns 192.0.2.0-1: the BGP pool hands out from .2 on.
    assert.deepEqual([...ingress(s, 'by-class'), ...ingress(s, 'by-annotation')].sort(), ['192.0.2.2', '192.0.2.3']);
    assert.equal(reason('foreign'), undefined);
    assert.deepEqual(ingress(s, 'foreign'), []);
    const ev = events(s, 'ModuleConfig', 'metallb');
    assert.ok(ev.some((e) => e.includes('overlaps MetalLoadBalancerClass ingress')), ev.join('\n'));
  });
});
