// A three-IP dual-stack Service on three nodes: each IP is answered by exactly one MAC, on three
// different nodes (real arping and ndisc6 from the client), IPv4 i and IPv6 i on the same node,
// and HTTP from the client reaches the backend on the announcing node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { L2Topology, metricValue, type L2Scenario } from './topology.ts';

const V4 = ['192.0.2.100', '192.0.2.101', '192.0.2.102'];
const V6 = ['2001:db8::100', '2001:db8::101', '2001:db8::102'];
const SCENARIO: L2Scenario = {
  classes: [{ name: 'ingress', nodes: ['node1', 'node2', 'node3'] }],
  services: [{ namespace: 'default', name: 'web', class: 'ingress', ips: [...V4, ...V6] }],
};

let topo: L2Topology;
before(async () => {
  topo = new L2Topology(3, [...V4, ...V6, '192.0.2.110']);
  await topo.startBackends();
  await Promise.all(topo.nodes.map((n) => topo.startSpeaker(n, SCENARIO)));
});
after(async () => topo?.cleanup());

test('each IP is answered by exactly one MAC, three nodes, A/AAAA pairs together', async () => {
  const owner = new Map<string, string>();
  await topo.until('every IP answered by exactly one MAC', () => {
    for (const ip of [...V4, ...V6]) {
      const macs = topo.macsFor(ip);
      if (macs.length !== 1) return false;
      owner.set(ip, macs[0] as string);
    }
    return true;
  });
  assert.equal(new Set(V4.map((ip) => owner.get(ip))).size, 3, 'three different nodes');
  V4.forEach((ip, i) => assert.equal(owner.get(V6[i] as string), owner.get(ip), `IPv4 ${i} and IPv6 ${i} share a node`));
  // Re-check after the fact: more requests never bring a second answer.
  for (const ip of V4) assert.deepEqual(topo.arpMacs(ip, 3), [owner.get(ip)]);
  assert.deepEqual(topo.arpMacs('192.0.2.110'), [], 'an IP no Service has is never answered');
});

test('HTTP from the client reaches the backend on the announcing node, IPv4 and IPv6', () => {
  for (const ip of [...V4, ...V6]) {
    const mac = topo.macsFor(ip)[0];
    assert.equal(topo.curl(ip), topo.nodeByMac(mac)?.name, `http://${ip}/`);
  }
});

test('metrics: announced IPs per node and answered requests, with MetalLB names', () => {
  let total = 0;
  for (const n of topo.nodes) {
    const m = topo.metrics(n);
    const announced = metricValue(m, 'metallb_speaker_announced', { node: n.name, protocol: 'layer2' });
    assert.equal(announced, 2, `${n.name} announces one IPv4 and one IPv6`);
    total += metricValue(m, 'metallb_layer2_responses_sent');
    assert.ok(metricValue(m, 'metallb_layer2_gratuitous_sent') > 0);
    assert.equal(metricValue(m, 'metallb_membership_live_nodes'), 3);
  }
  assert.ok(total >= 6);
});
