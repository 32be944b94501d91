// The lab topology on its own (no speaker yet): backends answer, kube-proxy's DNAT delivers a
// Service IP to the node the client's ARP entry points at, and the kernel never answers ARP for a
// Service IP (only a speaker may).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadScenario } from '../../lab/scenario.ts';
import { Topology } from '../../lab/topology.ts';
import { repoRoot } from '../support/tools.ts';
import { listNamespaces } from '../support/netns.ts';

const PREFIX = 'mlbl-t-';
const scenario = loadScenario(join(repoRoot, 'lab/scenarios/l2-demo.yaml'));
const svc = { key: 'default/nginx-deployment', ips: ['198.51.100.100'], ports: [{ protocol: 'TCP' as const, port: 8000, targetPort: 80 }] };

describe('lab topology', () => {
  let topo: Topology;
  before(async () => { topo = await Topology.up(scenario, PREFIX); });
  after(async () => { await topo?.down(); });

  it('reaches every node backend directly from the client', async () => {
    for (const n of scenario.nodes) assert.deepEqual(await topo.httpGet(n.address, 80), { status: 200, node: n.name });
  });

  it('delivers a Service IP to the node the client sends it to, through the kube-proxy DNAT', async () => {
    for (const n of scenario.nodes) topo.syncProxy(n.name, [svc]);
    for (const n of ['node2', 'node3']) {
      topo.netns.ip('client', ['neigh', 'replace', '198.51.100.100', 'lladdr', topo.node(n).mac, 'dev', 'eth0', 'nud', 'permanent']);
      assert.deepEqual(await topo.httpGet('198.51.100.100', 8000), { status: 200, node: n });
    }
  });

  it('leaves ARP for a Service IP unanswered without a speaker', async () => {
    assert.deepEqual(await topo.arpResponders('198.51.100.100', 1), []);
  });

  it('removes its namespaces on down()', async () => {
    await topo.down();
    assert.deepEqual(listNamespaces().filter((n) => n.startsWith(PREFIX)), []);
  });
});
