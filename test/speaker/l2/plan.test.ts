// planL2: placement + minority rule as one speaker sees it; BPF filter text; the worker framing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planL2 } from '../../../images/speaker/src/l2/plan.ts';
import { responderFilter, MAX_IPS_IN_FILTER } from '../../../images/speaker/src/l2/bpf.ts';
import { frameMessage, MessageReader } from '../../../images/speaker/src/l2/capture-protocol.ts';
import { defaultExclusion, selectInterfaces, type LinkInfo } from '../../../images/speaker/src/l2/interfaces.ts';
import { desiredFromStatic } from '../../../images/speaker/src/static/adapter.ts';
import { parseStaticConfig } from '../../../lib/config/index.ts';
import type { DesiredL2 } from '../../../images/speaker/src/state.ts';

const l2 = (over: Partial<DesiredL2> = {}): DesiredL2 => ({
  classes: [{ name: 'c', eligible: ['n1', 'n2', 'n3'] }],
  services: [{ namespace: 'ns', name: 's', class: 'c', placementKey: 'ns/s', ips: ['192.0.2.1', '192.0.2.2', '192.0.2.3'], externalTrafficPolicy: 'Cluster' }],
  networkUnavailable: [],
  ...over,
});
const everyone = (): boolean => true;

test('the three speakers together announce every IP exactly once', () => {
  const all = ['n1', 'n2', 'n3'].flatMap((n) => planL2(n, l2(), everyone).announce.map((a) => `${a.ip}@${n}`));
  assert.equal(all.length, 3);
  assert.equal(new Set(all.map((x) => x.split('@')[0])).size, 3);
  assert.equal(new Set(all.map((x) => x.split('@')[1])).size, 3);
});

test('a speaker in a minority announces nothing; one that sees a majority takes the lost node\'s IPs', () => {
  assert.deepEqual(planL2('n1', l2(), () => false).announce, []);
  assert.equal(planL2('n1', l2(), () => false).quorum.get('c'), false);
  const withoutN3 = (n: string): boolean => n !== 'n3';
  const taken = ['n1', 'n2'].flatMap((n) => planL2(n, l2(), withoutN3).announce.map((a) => a.ip));
  assert.deepEqual(taken.sort(), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
});

test('NetworkUnavailable nodes hold nothing; classes name their interfaces; shared IPs are answered once', () => {
  const plan = planL2('n1', l2({ networkUnavailable: ['n1'] }), everyone);
  assert.deepEqual(plan.announce, []);
  const withIf = planL2('n1', l2({ classes: [{ name: 'c', eligible: ['n1'], interfaces: ['eth1'] }] }), everyone);
  assert.deepEqual(withIf.announce.map((a) => a.interfaces), [['eth1'], ['eth1'], ['eth1']]);
  const shared = l2({
    classes: [{ name: 'c', eligible: ['n1'] }],
    services: ['a', 'b'].map((name) => ({ namespace: 'ns', name, class: 'c', placementKey: 'key', ips: ['192.0.2.9'], externalTrafficPolicy: 'Cluster' as const })),
  });
  assert.equal(planL2('n1', shared, everyone).announce.length, 1);
});

test('BPF: few candidates are compiled in; many fall back to the generic filter; never "inbound"', () => {
  const f = responderFilter('02:00:00:00:00:11', ['192.0.2.100', '2001:db8::100']);
  assert.match(f, /^not ether src 02:00:00:00:00:11 and /);
  assert.match(f, /arp\[24:4\] = 0xc0000264/);
  assert.match(f, /ip6\[48:4\] = 0x20010db8 and ip6\[52:4\] = 0x00000000 and ip6\[56:4\] = 0x00000000 and ip6\[60:4\] = 0x00000100/);
  const many = Array.from({ length: MAX_IPS_IN_FILTER + 1 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
  assert.equal(responderFilter('02:00:00:00:00:11', many), 'not ether src 02:00:00:00:00:11 and ((arp and arp[6:2] = 1) or (icmp6 and ip6[40] == 135))');
  assert.ok(!/inbound/.test(f));
});

test('worker framing: any split of the byte stream gives the same messages', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat(400), { maxLength: 10 }), (payloads, cuts) => {
    const stream = Buffer.concat(payloads.map((p, i) => frameMessage(0x40 + i, p)));
    const got: [number, string][] = [];
    const r = new MessageReader((t, p) => got.push([t, p.toString('hex')]));
    let pos = 0;
    for (const c of [...cuts.map((c) => c % (stream.length + 1))].sort((a, b) => a - b)) { r.push(stream.subarray(pos, c)); pos = c; }
    r.push(stream.subarray(pos));
    assert.deepEqual(got, payloads.map((p, i) => [0x40 + i, Buffer.from(p).toString('hex')]));
  }));
});

test('default interface selection skips the usual virtual links, enslaved and NOARP ones', () => {
  const link = (name: string, over: Partial<LinkInfo> = {}): LinkInfo => ({ name, mac: '02:00:00:00:00:01', up: true, broadcast: true, noarp: false, enslaved: false, ...over });
  const links = [link('eth0'), link('lo', { broadcast: false }), link('veth1a2b'), link('cali123'), link('cilium_host'), link('kube-ipvs0'), link('ens3', { enslaved: true }), link('wg0', { noarp: true, broadcast: false }), link('bond0')];
  assert.deepEqual(selectInterfaces(undefined, links), ['eth0', 'bond0']);
  assert.deepEqual(selectInterfaces([], links), ['eth0', 'bond0']);
  assert.deepEqual(selectInterfaces(['veth1a2b'], links), ['veth1a2b'], 'an explicit list is used as given');
  assert.equal(defaultExclusion(link('ens3', { enslaved: true })), 'enslaved');
});

test('static adapter: the file becomes the desired state (sharing key, previous key, endpoint nodes)', () => {
  const s = desiredFromStatic(parseStaticConfig(`
node: n1
membership: {key: k1, previousKey: k0, address: 192.0.2.11, peers: [{node: n2, address: 192.0.2.12}]}
l2:
  classes: [{name: c, nodes: [n1, n2]}]
  services:
    - {namespace: a, name: x, class: c, ips: [192.0.2.100], sharingKey: shared, endpointNodes: [n2]}
`));
  assert.deepEqual(s.membership?.keys.map(String), ['k1', 'k0']);
  assert.deepEqual(s.l2.services[0], { namespace: 'a', name: 'x', class: 'c', placementKey: 'shared', ips: ['192.0.2.100'], externalTrafficPolicy: 'Cluster', endpointNodes: ['n2'] });
  assert.deepEqual(s.l2.classes, [{ name: 'c', eligible: ['n1', 'n2'] }]);
});
