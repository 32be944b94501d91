// Interface selection (default exclusions, explicit interfaces, an interface that is missing, then
// appears, then vanishes: logged, counted, retried, the other IPs unaffected) and
// externalTrafficPolicy Local (only nodes with a ready endpoint hold the IP).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { L2Topology, metricValue, type L2Scenario } from './topology.ts';

const ALL = ['node1', 'node2', 'node3'];
const SCENARIO: L2Scenario = {
  classes: [
    { name: 'ingress', nodes: ALL },
    { name: 'side', nodes: ALL, interfaces: ['side0'] },
  ],
  services: [
    { namespace: 'default', name: 'web', class: 'ingress', ips: ['192.0.2.100', '2001:db8::100'] },
    { namespace: 'default', name: 'local', class: 'ingress', ips: ['192.0.2.120'], externalTrafficPolicy: 'Local', endpointNodes: ['node3'] },
    { namespace: 'default', name: 'no-endpoints', class: 'ingress', ips: ['192.0.2.121'], endpointNodes: [] },
    { namespace: 'default', name: 'side', class: 'side', ips: ['192.0.2.130'] },
  ],
};

let topo: L2Topology;
before(async () => {
  topo = new L2Topology(3, ['192.0.2.100', '2001:db8::100', '192.0.2.120', '192.0.2.121', '192.0.2.130']);
  // An interface the default selection must skip by name (veth*): a veth pair inside each node.
  for (const n of topo.nodes) {
    topo.lab.ip(n.ns, ['link', 'add', 'name', 'veth-x', 'type', 'veth', 'peer', 'name', 'veth-y']);
    topo.lab.ip(n.ns, ['link', 'set', 'dev', 'veth-x', 'up']);
    topo.lab.ip(n.ns, ['link', 'set', 'dev', 'veth-y', 'up']);
  }
  await Promise.all(topo.nodes.map((n) => topo.startSpeaker(n, SCENARIO)));
});
after(async () => topo?.cleanup());

const sumMetric = (name: string, labels: Record<string, string> = {}): number =>
  topo.nodes.reduce((s, n) => s + metricValue(topo.metrics(n), name, labels), 0);

test('ETP Local: only the node with a ready endpoint answers; no endpoints at all: nobody', async () => {
  const node3 = topo.nodes[2];
  await topo.until('192.0.2.120 answered by node3', () => topo.arpMacs('192.0.2.120').join() === node3?.mac);
  assert.deepEqual(topo.arpMacs('192.0.2.121', 3), []);
});

test('default selection uses eth0 and skips veth*; a missing explicit interface is reported, the rest works', async () => {
  await topo.until('192.0.2.100 answered', () => topo.arpMacs('192.0.2.100').length === 1);
  for (const n of topo.nodes) {
    const m = topo.metrics(n);
    assert.equal(metricValue(m, 'metallb_layer2_interface_up', { interface: 'eth0' }), 1, `${n.name} eth0 up`);
    assert.ok(!/interface="veth-/.test(m), `${n.name} must not open veth-*`);
  }
  await topo.until('side0 reported missing', () => sumMetric('metallb_layer2_interface_errors', { interface: 'side0', kind: 'missing' }) > 0);
  assert.ok(topo.nodes.some((n) => /"iface":"side0".*"msg":"interface unusable, retrying"/.test(n.speaker?.output() ?? '')), 'a log line names side0');
  assert.deepEqual(topo.arpMacs('192.0.2.130', 3), [], 'an IP of an interface-restricted class is never answered on eth0');
  assert.equal(topo.arpMacs('192.0.2.100').length, 1, 'the other IPs keep working');
});

test('the interface appearing is picked up on retry; vanishing again is reported and the rest keeps working', async () => {
  for (const n of topo.nodes) {
    topo.lab.ip(n.ns, ['link', 'add', 'name', 'side0', 'type', 'veth', 'peer', 'name', 'side1']);
    topo.lab.ip(n.ns, ['link', 'set', 'dev', 'side0', 'up']);
    topo.lab.ip(n.ns, ['link', 'set', 'dev', 'side1', 'up']);
  }
  // Every node of the class opens it (the class's IPs are candidates everywhere); one announces.
  await topo.until('side0 opened on every node of the class', () => sumMetric('metallb_layer2_interface_up', { interface: 'side0' }) === 3);
  assert.equal(sumMetric('metallb_speaker_announced', { ip: '192.0.2.130' }), 1);
  assert.deepEqual(topo.arpMacs('192.0.2.130', 2), [], 'still not answered on eth0');
  for (const n of topo.nodes) topo.lab.ip(n.ns, ['link', 'del', 'dev', 'side0']);
  await topo.until('side0 reported gone', () => sumMetric('metallb_layer2_interface_up', { interface: 'side0' }) === 0);
  assert.equal(topo.arpMacs('192.0.2.100').length, 1);
  assert.equal(topo.ndpMacs('2001:db8::100').length, 1);
});
