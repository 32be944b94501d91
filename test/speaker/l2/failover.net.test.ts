// Failover on a three-node class: SIGKILL, link down and SIGTERM move only the lost node's IPs and
// they come back when it returns; 5 % heartbeat loss, forged and replayed heartbeats move nothing;
// a node partitioned from the other speakers (not from the client) stops answering and the
// majority takes its IPs, never two MACs for one IP (DESIGN §5).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { L2Topology, metricValue, KEY, type L2Scenario, type TestNode } from './topology.ts';
import { repoRoot } from '../../support/tools.ts';

const IPS = ['192.0.2.100', '192.0.2.101', '192.0.2.102', '2001:db8::100'];
const SCENARIO: L2Scenario = {
  classes: [{ name: 'ingress', nodes: ['node1', 'node2', 'node3'] }],
  services: [{ namespace: 'default', name: 'web', class: 'ingress', ips: IPS }],
};

let topo: L2Topology;
before(async () => {
  topo = new L2Topology(3, IPS);
  await topo.startBackends();
  await Promise.all(topo.nodes.map((n) => topo.startSpeaker(n, SCENARIO)));
});
after(async () => topo?.cleanup());

/** The one MAC answering each IP; throws (so `until` retries) when an IP has zero or two. */
function owners(ips = IPS): Map<string, string> {
  const m = new Map<string, string>();
  for (const ip of ips) {
    const macs = topo.macsFor(ip);
    if (macs.length !== 1) throw new Error(`${ip} answered by ${macs.length} MACs: ${macs.join(' ')}`);
    m.set(ip, macs[0] as string);
  }
  return m;
}

async function stableOwners(): Promise<Map<string, string>> {
  let last: Map<string, string> | undefined;
  await topo.until('each IP answered by exactly one MAC', () => {
    try { last = owners(); return true; } catch { return false; }
  });
  return last as Map<string, string>;
}

/** Node holding IPS[0] and the owners of the other IPv4 IPs (which must not move). */
async function victim(ipIndex = 0): Promise<{ node: TestNode; before: Map<string, string> }> {
  const before = await stableOwners();
  const node = topo.nodeByMac(before.get(IPS[ipIndex] as string)) as TestNode;
  return { node, before };
}

/** Waits until IPS[i] moved away from `lost`, checking the other nodes' IPs never stop answering. */
async function expectMoved(before: Map<string, string>, lost: TestNode): Promise<void> {
  const others = [...before].filter(([, mac]) => mac !== lost.mac).map(([ip]) => ip);
  const moved = [...before].filter(([, mac]) => mac === lost.mac).map(([ip]) => ip);
  await topo.until(`${moved.join(',')} moved off ${lost.name}`, () => {
    // The IPs of the surviving nodes answer from the same single MAC on every poll.
    for (const ip of others.filter((x) => !x.includes(':'))) assert.deepEqual(topo.arpMacs(ip, 1), [before.get(ip)], `${ip} must keep answering from its node`);
    return moved.every((ip) => { const m = topo.macsFor(ip); return m.length === 1 && m[0] !== lost.mac; });
  });
  const after = owners();
  for (const ip of others) assert.equal(after.get(ip), before.get(ip), `${ip} did not move`);
}

async function expectBack(before: Map<string, string>): Promise<void> {
  await topo.until('every IP back on its node', () => {
    try { return [...owners()].every(([ip, mac]) => before.get(ip) === mac); } catch { return false; }
  });
}

test('SIGKILL of a speaker moves only its IPs (IPv4 and IPv6), and they come back', async () => {
  const { node, before } = await victim();
  node.speaker?.kill('SIGKILL');
  await node.speaker?.exited;
  await expectMoved(before, node);
  await topo.startSpeaker(node, SCENARIO);
  await expectBack(before);
});

test('the node link going down moves only its IPs; they come back with the link', async () => {
  const { node, before } = await victim(1);
  topo.lab.setLink(node.ns, 'eth0', false);
  try {
    await expectMoved(before, node);
  } finally {
    topo.lab.setLink(node.ns, 'eth0', true);
  }
  await expectBack(before);
});

test('SIGTERM (graceful) hands the IPs over and the speaker exits 0', async () => {
  const { node, before } = await victim(2);
  node.speaker?.kill('SIGTERM');
  assert.equal(await node.speaker?.exited, 0);
  await expectMoved(before, node);
  await topo.startSpeaker(node, SCENARIO);
  await expectBack(before);
});

test('5 % heartbeat loss (nftables numgen) moves nothing', async () => {
  const before = await stableOwners();
  const changes = (): number => topo.nodes.reduce((s, n) => s + metricValue(topo.metrics(n), 'metallb_placement_announcing_node_changes'), 0);
  const accepted = (): number => topo.nodes.reduce((s, n) => s + metricValue(topo.metrics(n), 'metallb_membership_heartbeats_received', { result: 'accepted' }), 0);
  const c0 = changes();
  const a0 = accepted();
  for (const n of topo.nodes) topo.lab.nft(n.ns, 'table inet mlb2loss { chain in { type filter hook input priority 0; udp dport 4230 numgen random mod 100 < 5 drop; }; }');
  try {
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(changes(), c0, 'no speaker saw an announcing node change');
    assert.ok(accepted() - a0 > 500, 'heartbeats kept flowing');
    assert.deepEqual(owners(), before);
  } finally {
    for (const n of topo.nodes) topo.lab.exec(n.ns, 'nft', ['delete', 'table', 'inet', 'mlb2loss']);
  }
});

test('forged heartbeats (wrong key) and replayed ones (a dead node\'s) move nothing', async () => {
  const { node: dead, before } = await victim(1);
  const witness = topo.nodes.find((n) => n !== dead) as TestNode;
  const tool = join(repoRoot, 'test/speaker/l2/heartbeat-tool.ts');
  // Forged leaves "from" every node, signed with another key: nothing may move.
  for (const target of topo.nodes) {
    const claimed = topo.nodes.filter((n) => n !== target).map((n) => n.name).join(',');
    assert.equal(topo.lab.exec('cl', process.execPath, ['--import', 'tsx', tool, 'forge', target.ipv4, claimed, `not-${KEY}`, '5']).code, 0);
  }
  assert.deepEqual(owners(), before, 'forged leaves moved an IP');
  assert.ok(metricValue(topo.metrics(witness), 'metallb_membership_heartbeats_received', { result: 'auth' }) >= 5);
  // Record real heartbeats from `dead` to `witness`, kill it, then replay them.
  const pcap = join(topo.lab.workDir, 'hb.pcap');
  const cap = topo.lab.exec(witness.ns, 'tcpdump', ['-i', 'eth0', '-c', '20', '-w', pcap, 'udp', 'port', '4230', 'and', 'src', dead.ipv4]);
  assert.equal(cap.code, 0, cap.stderr);
  dead.speaker?.kill('SIGKILL');
  await dead.speaker?.exited;
  await expectMoved(before, dead);
  const during = owners();
  const replay = topo.lab.spawn('cl', process.execPath, ['--import', 'tsx', tool, 'replay', witness.ipv4, pcap, '20'], { name: 'replay' });
  for (let i = 0; i < 5; i++) assert.deepEqual(owners(), during, 'a replayed heartbeat revived a dead node');
  await replay.exited;
  assert.ok(metricValue(topo.metrics(witness), 'metallb_membership_heartbeats_received', { result: 'replay' }) > 0);
  await topo.startSpeaker(dead, SCENARIO);
  await expectBack(before);
});

test('partition: a node cut off from the other speakers stops answering; the majority takes its IPs', async () => {
  const { node, before } = await victim(2);
  topo.lab.nft(node.ns, 'table inet mlb2part { chain in { type filter hook input priority 0; udp dport 4230 drop; }; chain out { type filter hook output priority 0; udp dport 4230 drop; }; }');
  try {
    await expectMoved(before, node);
    // The minority node answers nothing at all.
    for (const ip of IPS) assert.ok(!topo.macsFor(ip).includes(node.mac), `${node.name} still answers ${ip}`);
    assert.equal(metricValue(topo.metrics(node), 'metallb_membership_quorum', { class: 'ingress' }), 0);
  } finally {
    topo.lab.exec(node.ns, 'nft', ['delete', 'table', 'inet', 'mlb2part']);
  }
  await expectBack(before);
});
