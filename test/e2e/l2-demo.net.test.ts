// The README example end to end, as `make demo` runs it, with its outcome asserted: the real hooks
// executable (through the addon-operator imitation) over the embedded API, the chart rendered by
// real helm, speakers started from the rendered DaemonSet in node namespaces, real ARP and HTTP
// from the client, the real kubectl. Acceptance cases (reference/peers.md §6.7): ML2-01, ML2-02,
// ML2-03, ML2-04, ML2-05, ML2-10 (Event), L2-01, L2-04, L2-06, T-06 (behaviour, not timing); T-04 is measured by the demo, not asserted here.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { failover, ingressIPs, startLab, steadyAnswers, waitUntil, type Lab } from '../../lab/lab.ts';
import { repoRoot, toolPath } from '../support/tools.ts';
import { listNamespaces } from '../support/netns.ts';

const PREFIX = 'mlbl-e-';

/** The last lines of every speaker's log, for a failure message. */
function speakerLogs(lab: Lab): string {
  return [...lab.loop.speakers()].map(([node, p]) => `--- speaker ${node}:\n${p.output().split('\n').slice(-25).join('\n')}`).join('\n');
}
const PORT = 8000;
const expectedIPs = ['198.51.100.100', '198.51.100.101', '198.51.100.102'];

describe('L2 demo end to end', { timeout: 240_000 }, () => {
  let lab: Lab;
  const log: string[] = [];
  before(async () => {
    lab = await startLab(join(repoRoot, 'lab/scenarios/l2-demo.yaml'), PREFIX, (l) => log.push(l));
  });
  after(async () => {
    await lab?.close();
    if (process.env.LAB_LOG) process.stdout.write(log.join('\n'));
  });

  it('ML2-01: the Service gets 3 IPs from the class pool, shown by the real kubectl', async () => {
    const ips = await waitUntil('3 IPs in the Service status', 60_000, async () => {
      const got = ingressIPs(await lab.api.client.get('v1', 'Service', 'default', 'nginx-deployment'));
      return got.length >= 3 ? got : undefined;
    });
    assert.deepEqual(ips, expectedIPs);
    assert.match(await lab.kubectl(['get', 'svc', 'nginx-deployment']), /198\.51\.100\.100,198\.51\.100\.101,198\.51\.100\.102/);
    const svc = await lab.api.client.get('v1', 'Service', 'default', 'nginx-deployment');
    const conds = (svc?.status as { conditions?: { type: string; status: string; message?: string }[] }).conditions ?? [];
    assert.deepEqual(conds.filter((c) => c.type === 'AllPublicIPsAssigned').map((c) => [c.status, c.message]), [['True', '3 of 3 public IPs were assigned']]);
  });

  it('L2-04: speakers run exactly on the nodes the rendered DaemonSet selects, in Kubernetes mode', () => {
    assert.deepEqual([...lab.loop.speakers().keys()].sort(), ['node1', 'node2', 'node3']);
  });

  it('ML2-02/ML2-03/L2-01: each IP answers HTTP 200 from the client and exactly one MAC answers its ARP, three distinct nodes', async () => {
    // Fails by timeout when the placement never gets there.
    const answers = await steadyAnswers(lab, expectedIPs, PORT);
    const nodes = answers.map((a) => a.node);
    assert.equal(new Set(nodes).size, 3, `three distinct nodes: ${nodes.join(', ')}`);
    assert.ok(!nodes.includes('node4'), 'node4 is not in the class');
    // And it holds: a second look sees the same single MAC per IP.
    for (const a of answers) assert.deepEqual([...new Set(await lab.topo.arpResponders(a.ip, 2))], [...new Set(a.macs)], `${a.ip} keeps one MAC`);
  });

  it('the speakers\' kubeconfig reaches the API from a node namespace, across the switch, TLS verified', async () => {
    const file = join(lab.topo.netns.workDir, 'node-kubeconfig');
    writeFileSync(file, lab.api.nodeKubeconfig, { mode: 0o600 });
    const r = await lab.topo.netns.execAsync('node1', toolPath('kubectl'), ['--kubeconfig', file, 'get', 'svc', 'nginx-deployment', '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}']);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout.trim(), expectedIPs.join(' '));
  });

  let failedOver: { oldNode: string; newNode: string | undefined } | undefined;
  it('ML2-04: powering off the node of one IP moves only that IP; the others never stop', async () => {
    const lost = expectedIPs[1]!;
    // Generous probe timeout: on a loaded CI machine a slow answer must not read as an interruption.
    const f = await failover(lab, expectedIPs, lost, PORT, { intervalMs: 20, timeoutMs: 1000 }).catch((err: Error) => {
      throw new Error(`${err.message}\n${speakerLogs(lab)}\nclient neighbours:\n${lab.topo.netns.exec('client', 'ip', ['neigh']).stdout}`, { cause: err });
    });
    assert.ok(f.failoverMs !== undefined, `${lost} answered again`);
    assert.ok(f.newNode && f.newNode !== f.oldNode && ['node1', 'node2', 'node3'].includes(f.newNode), `moved to another class node, got ${f.newNode}`);
    for (const [target, evs] of Object.entries(f.others)) assert.deepEqual(evs, [], `${target} never stopped and never moved`);
    assert.deepEqual(ingressIPs(await lab.api.client.get('v1', 'Service', 'default', 'nginx-deployment')), expectedIPs, 'the Service keeps its IPs');
    failedOver = { oldNode: f.oldNode, newNode: f.newNode };
    // ML2-10 (partly): the speaker that took the IP over says so on the Service.
    await waitUntil('an AnnouncingNodeChanged Event', 30_000, async () => {
      const events = await lab.api.client.list('v1', 'Event', 'default');
      return events.some((e) => (e as { reason?: string }).reason === 'AnnouncingNodeChanged'
        && String((e as { message?: string }).message).includes(`${lost} announced by node ${f.newNode}`)) ? true : undefined;
    });
  });

  it('ML2-05: when the node comes back, its IP goes back to it and the other IPs stay', async () => {
    assert.ok(failedOver, 'runs after the failover');
    const before = new Map<string, string>();
    for (const ip of [expectedIPs[0]!, expectedIPs[2]!]) before.set(ip, (await lab.topo.httpGet(ip, PORT, 2)).node);
    await lab.topo.startNode(failedOver.oldNode);
    await waitUntil(`${expectedIPs[1]} back on ${failedOver.oldNode}`, 60_000, async () => ((await lab.topo.httpGet(expectedIPs[1]!, PORT, 1)).node === failedOver!.oldNode ? true : undefined));
    for (const [ip, node] of before) assert.equal((await lab.topo.httpGet(ip, PORT, 2)).node, node, `${ip} stays on ${node}`);
  });

  it('L2-06: a node labelled exclude-from-external-load-balancers gives up its IP, and takes it back when the label goes', async () => {
    const EXCLUDE = 'node.kubernetes.io/exclude-from-external-load-balancers';
    const before = await steadyAnswers(lab, expectedIPs, PORT);
    const victim = before[0]!;
    await lab.kubectl(['label', 'node', victim.node, `${EXCLUDE}=`]);
    const moved = await waitUntil(`${victim.ip} to leave ${victim.node}`, 60_000, async () => {
      const r = await lab.topo.httpGet(victim.ip, PORT, 1);
      return r.status === 200 && r.node !== victim.node ? r : undefined;
    });
    assert.ok(['node1', 'node2', 'node3'].includes(moved.node));
    for (const a of before.slice(1)) assert.equal((await lab.topo.httpGet(a.ip, PORT, 2)).node, a.node, `${a.ip} stays on ${a.node}`);
    // Two eligible nodes for three IPs: the hooks say so on the Service.
    await waitUntil('an IPsShareNodes Warning', 30_000, async () => ((await lab.api.client.list('v1', 'Event', 'default'))
      .some((e) => (e as { reason?: string }).reason === 'IPsShareNodes') ? true : undefined));
    await lab.kubectl(['label', 'node', victim.node, `${EXCLUDE}-`]);
    await waitUntil(`${victim.ip} back on ${victim.node}`, 60_000, async () => ((await lab.topo.httpGet(victim.ip, PORT, 1)).node === victim.node ? true : undefined));
  });

  it('T-06: with the API not answering, every IP keeps answering and a lost node\'s IP still moves', async () => {
    const before = await steadyAnswers(lab, expectedIPs, PORT);
    lab.api.server.setFaults({ stopAnswering: true });
    try {
      await new Promise((r) => setTimeout(r, 3000));
      for (const a of before) assert.equal((await lab.topo.httpGet(a.ip, PORT, 2)).node, a.node, `${a.ip} still answered by ${a.node}`);
      // Membership does not need the API (DESIGN §5): a node lost now still hands its IP over.
      const lost = before[2]!;
      await lab.topo.stopNode(lost.node);
      const moved = await waitUntil(`${lost.ip} to answer from another node without the API`, 60_000, async () => {
        const r = await lab.topo.httpGet(lost.ip, PORT, 1);
        return r.status === 200 && r.node !== lost.node ? r : undefined;
      });
      assert.ok(['node1', 'node2', 'node3'].includes(moved.node));
    } finally {
      lab.api.server.setFaults({ stopAnswering: false });
    }
  });

  it('leaves no namespace behind', async () => {
    await lab.close();
    assert.deepEqual(listNamespaces().filter((n) => n.startsWith(PREFIX)), []);
  });
});
