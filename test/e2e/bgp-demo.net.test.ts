// The BGP variant end to end: ModuleConfig pools and peers through the real hooks executable, the
// chart rendered by real helm (speaker ConfigMap with peers and pools), speakers started from the
// rendered DaemonSet on the nodes of settings.speaker.nodeSelector, real FRR on the segment.
// Acceptance cases (reference/peers.md §6.7): BGP-01 (eBGP single-hop sessions, IPv4), BGP-02
// (a /32 from every selected node, ETP=Cluster), BGP-03 (node loss drops only its next hop).
// The speakers get their BGP state from a static file computed by the lab (the Kubernetes adapter
// has no BGP yet; see the scenario file).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ingressIPs, startLab, waitUntil, type Lab } from '../../lab/lab.ts';
import { repoRoot } from '../support/tools.ts';
import { listNamespaces } from '../support/netns.ts';

const PREFIX = 'mlbl-g-';
const PORT = 8000;
const ALL_SPEAKERS = ['192.0.2.11', '192.0.2.12', '192.0.2.13'];

describe('BGP demo end to end', { timeout: 240_000 }, () => {
  let lab: Lab;
  let ip = '';
  before(async () => {
    lab = await startLab(join(repoRoot, 'lab/scenarios/bgp-demo.yaml'), PREFIX, () => {});
  });
  after(async () => { await lab?.close(); });

  it('the Service gets an IP from the BGP pool, shown by the real kubectl', async () => {
    const ips = await waitUntil('an IP in the Service status', 60_000, async () => {
      const got = ingressIPs(await lab.api.client.get('v1', 'Service', 'default', 'nginx-bgp'));
      return got.length >= 1 ? got : undefined;
    });
    assert.deepEqual(ips, ['203.0.113.10']);
    ip = ips[0]!;
    assert.match(await lab.kubectl(['get', 'svc', 'nginx-bgp']), /203\.0\.113\.10/);
  });

  it('BGP-01/BGP-02: FRR installs the /32 with ECMP over exactly the selected nodes', async () => {
    const hops = await waitUntil('three next hops in the FIB', 60_000, async () => {
      const h = lab.topo.router!.fibNexthops(`${ip}/32`);
      return h.length === 3 ? h : undefined;
    });
    assert.deepEqual(hops, ALL_SPEAKERS, 'node4 (not selected) announces nothing');
  });

  it('the client reaches the Service IP through the router', async () => {
    const r = await waitUntil(`${ip} to answer`, 30_000, async () => { const x = await lab.topo.httpGet(ip, PORT, 2); return x.status === 200 ? x : undefined; });
    assert.ok(['node1', 'node2', 'node3'].includes(r.node), `served by a selected node, got ${r.node}`);
  });

  it('BGP-03: powering off a node drops only its next hop', async () => {
    await lab.topo.stopNode('node2');
    // No Cease from a powered-off node: FRR notices at the hold time (9 s in the scenario).
    const hops = await waitUntil('node2 gone from the FIB', 60_000, async () => {
      const h = lab.topo.router!.fibNexthops(`${ip}/32`);
      return h.length === 2 ? h : undefined;
    });
    assert.deepEqual(hops, ['192.0.2.11', '192.0.2.13']);
    const r = await waitUntil(`${ip} to answer`, 30_000, async () => { const x = await lab.topo.httpGet(ip, PORT, 2); return x.status === 200 ? x : undefined; });
    assert.notEqual(r.node, 'node2');
  });

  it('leaves no namespace behind', async () => {
    await lab.close();
    assert.deepEqual(listNamespaces().filter((n) => n.startsWith(PREFIX)), []);
  });
});
