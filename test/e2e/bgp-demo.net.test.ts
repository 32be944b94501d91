// The BGP variant end to end, every link real: ModuleConfig pools and peers through the real hooks
// executable, the chart rendered by real helm (speaker ConfigMap with peers and pools, Secret with
// bgp-password-0), speakers started in Kubernetes mode from the rendered DaemonSet on the nodes of
// settings.speaker.nodeSelector (their kube adapter turns the BGP-bound Service and its
// EndpointSlice into routes), real FRR on the segment requiring the peer's TCP-MD5 password.
// Acceptance cases (reference/peers.md §6.7): BGP-01 (eBGP single-hop sessions, IPv4), BGP-02
// (a /32 from every selected node, ETP=Cluster), BGP-03 (node loss drops only its next hop, the
// next hop comes back with the node, deleting the Service withdraws the route), BGP-06 (password
// from the Secret).
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
  const fib = (): string[] => lab.topo.router!.fibNexthops(`${ip}/32`);
  const answer = async (): Promise<{ status: number; node: string }> =>
    waitUntil(`${ip} to answer`, 30_000, async () => { const x = await lab.topo.httpGet(ip, PORT, 2); return x.status === 200 ? x : undefined; });

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

  it('BGP-06: the peer password reaches the speakers only through the rendered Secret', async () => {
    const secret = await lab.api.client.get('v1', 'Secret', 'd8-metallb', 'speaker-secrets');
    const data = (secret as { data?: Record<string, string> } | undefined)?.data ?? {};
    assert.equal(Buffer.from(data['bgp-password-0'] ?? '', 'base64').toString('utf8'), 'lab-bgp-md5');
    const cm = await lab.api.client.get('v1', 'ConfigMap', 'd8-metallb', 'speaker-config');
    assert.ok(cm, 'the rendered speaker ConfigMap is in the API');
    assert.doesNotMatch(JSON.stringify(cm), /lab-bgp-md5/, 'no password in the ConfigMap');
  });

  it('BGP-01/BGP-02: Kubernetes-mode speakers; FRR (TCP-MD5) installs the /32 with ECMP over exactly the selected nodes', async () => {
    assert.deepEqual([...lab.loop.speakers().keys()].sort(), ['node1', 'node2', 'node3']);
    const hops = await waitUntil('three next hops in the FIB', 60_000, async () => { const h = fib(); return h.length === 3 ? h : undefined; });
    assert.deepEqual(hops, ALL_SPEAKERS, 'node4 (not selected) announces nothing');
    const r = await answer();
    assert.ok(['node1', 'node2', 'node3'].includes(r.node), `served by a selected node, got ${r.node}`);
  });

  it('BGP-03: powering off a node drops only its next hop; it comes back with the node', async () => {
    await lab.topo.stopNode('node2');
    // No Cease from a powered-off node: FRR notices at the hold time (9 s in the scenario).
    const hops = await waitUntil('node2 gone from the FIB', 60_000, async () => { const h = fib(); return h.length === 2 ? h : undefined; });
    assert.deepEqual(hops, ['192.0.2.11', '192.0.2.13']);
    assert.notEqual((await answer()).node, 'node2');
    await lab.topo.startNode('node2');
    assert.deepEqual(await waitUntil('node2 back in the FIB', 60_000, async () => { const h = fib(); return h.length === 3 ? h : undefined; }), ALL_SPEAKERS);
  });

  it('BGP-03: deleting the Service withdraws the route from every speaker', async () => {
    assert.equal(await lab.api.client.delete('v1', 'Service', 'default', 'nginx-bgp'), true);
    await waitUntil('the route withdrawn', 30_000, async () => (fib().length === 0 ? true : undefined));
    // Withdrawn, not a dead session: all three sessions are still up.
    const summary = JSON.parse(lab.topo.router!.vtysh('show bgp ipv4 unicast summary json')) as { peers?: Record<string, { state?: string }> };
    assert.deepEqual(Object.entries(summary.peers ?? {}).filter(([, p]) => p.state === 'Established').map(([a]) => a).sort(), ALL_SPEAKERS);
  });

  it('leaves no namespace behind', async () => {
    await lab.close();
    assert.deepEqual(listNamespaces().filter((n) => n.startsWith(PREFIX)), []);
  });
});
