// Interop of our BFD (native UDP transport, system clock) with FRR bfdd in network namespaces.
// Everything is asserted by state (FRR's `show bfd peers json`, our session's events), never by
// how long something took.
//
//   mlbn-a: our sessions (testdata/bfd-peer.ts)      mlbn-b: FRR zebra + bfdd
//   eth0 192.0.2.11 / 2001:db8:7::11           <->   eth0 192.0.2.1 / 2001:db8:7::1
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { NetnsLab, type NsProcess } from '../../../../test/support/netns.ts';
import { startFrr, waitUntil, type Frr } from '../native/testdata/frr.ts';

const PEER = join(import.meta.dirname, 'testdata', 'bfd-peer.ts');
const timers = { receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3 };
const SESSIONS = [
  { label: 'v4', local: '192.0.2.11', peer: '192.0.2.1', interface: 'eth0', ...timers },
  { label: 'v6', local: '2001:db8:7::11', peer: '2001:db8:7::1', interface: 'eth0', ...timers },
  { label: 'multihop', local: '192.0.2.12', peer: '192.0.2.1', multihop: true, ...timers },
];

interface FrrPeer { peer: string; local?: string; multihop: boolean; status: string; diagnostic: string; 'remote-diagnostic': string }
interface PeerEvent { label?: string; event: string; ttl?: number; to?: string; diagnostic?: string; remoteDiagnostic?: string }

describe('BFD interop with FRR bfdd', { timeout: 180_000 }, () => {
  let lab: NetnsLab;
  let frr: Frr;

  const frrPeers = (): FrrPeer[] => frr.json<FrrPeer[]>('show bfd peers json');
  const frrStatus = (peer: string, multihop: boolean): FrrPeer | undefined =>
    frrPeers().find((p) => p.peer === peer && p.multihop === multihop);
  const waitFrr = (peer: string, multihop: boolean, status: string): Promise<void> =>
    waitUntil(() => frrStatus(peer, multihop)?.status === status, `FRR: ${peer}${multihop ? ' multihop' : ''} ${status}\n${JSON.stringify(frrPeers())}`, frr.procs);
  const events = (p: NsProcess): PeerEvent[] =>
    p.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as PeerEvent);
  const startPeer = async (sessions: object[]): Promise<NsProcess> => {
    const p = lab.spawn('a', process.execPath, ['--import', 'tsx', PEER, JSON.stringify(sessions)], { name: `bfd-peer-${Date.now()}` });
    await p.waitFor('"ready"', 15_000);
    return p;
  };

  before(async () => {
    lab = new NetnsLab('mlbn-');
    lab.addNamespace('a');
    lab.addNamespace('b');
    lab.ip('a', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lab.ns('b')]);
    for (const h of ['a', 'b']) {
      lab.exec(h, 'sysctl', ['-qw', 'net.ipv6.conf.eth0.accept_dad=0']);
      lab.setLink(h, 'eth0', true);
    }
    for (const cidr of ['192.0.2.11/24', '192.0.2.12/24', '2001:db8:7::11/64']) lab.addAddress('a', 'eth0', cidr);
    for (const cidr of ['192.0.2.1/24', '2001:db8:7::1/64']) lab.addAddress('b', 'eth0', cidr);
    const t = ['  receive-interval 300', '  transmit-interval 300', '  detect-multiplier 3', ' !'];
    frr = await startFrr(lab, 'b', {
      bfdd: [
        'bfd',
        ' peer 192.0.2.11 local-address 192.0.2.1 interface eth0', ...t,
        ' peer 2001:db8:7::11 local-address 2001:db8:7::1 interface eth0', ...t,
        ' peer 192.0.2.12 multihop local-address 192.0.2.1', ...t,
        '', // FRR's default minimum-ttl for multihop is 254: our TTL 255 passes
      ].join('\n'),
    });
  });
  after(async () => { await lab?.cleanup(); });

  it('single hop IPv4 and IPv6 and multihop come Up with FRR; killing our process takes them Down on FRR', async () => {
    const p = await startPeer(SESSIONS);
    await waitFrr('192.0.2.11', false, 'up');
    await waitFrr('2001:db8:7::11', false, 'up');
    await waitFrr('192.0.2.12', true, 'up');
    await waitUntil(() => events(p).filter((e) => e.event === 'up').length === 3, 'our three sessions up', [p]);
    assert.deepEqual(events(p).filter((e) => e.event === 'up').map((e) => e.label).sort(), ['multihop', 'v4', 'v6']);

    p.kill('SIGKILL'); // no AdminDown: FRR must notice by its detection time alone
    await p.exited;
    await waitFrr('192.0.2.11', false, 'down');
    await waitFrr('2001:db8:7::11', false, 'down');
    await waitFrr('192.0.2.12', true, 'down');
    assert.equal(frrStatus('192.0.2.11', false)?.diagnostic, 'control detection time expired');
  });

  it('we detect FRR going silent (packets dropped) as controlDetectionTimeExpired', async () => {
    const p = await startPeer([SESSIONS[0]!]);
    try {
      await waitUntil(() => events(p).some((e) => e.event === 'up'), 'our v4 session up', [p]);
      lab.nft('a', 'table inet mlbn_bfd { chain in { type filter hook input priority 0; udp dport 3784 drop; }; }');
      await p.waitFor('"event":"down"', 15_000);
      const down = events(p).find((e) => e.event === 'down');
      assert.equal(down?.diagnostic, 'controlDetectionTimeExpired');
    } finally {
      lab.exec('a', 'nft', ['delete', 'table', 'inet', 'mlbn_bfd']);
      await p.stop('SIGKILL');
    }
    await waitFrr('192.0.2.11', false, 'down');
  });

  it('single hop: packets from FRR rewritten to TTL 254 are discarded, the session never comes Up (RFC 5881 §5)', async () => {
    lab.nft('b', 'table ip mlbn_ttl { chain out { type filter hook output priority 0; udp dport 3784 ip ttl set 254; }; }');
    const p = await startPeer([SESSIONS[0]!]);
    try {
      await waitUntil(() => events(p).some((e) => e.event === 'dropped' && (e.ttl ?? 0) >= 2), 'two TTL drops', [p]);
      assert.equal(events(p).some((e) => e.event === 'up'), false);
      assert.notEqual(frrStatus('192.0.2.11', false)?.status, 'up');
    } finally {
      lab.exec('b', 'nft', ['delete', 'table', 'ip', 'mlbn_ttl']);
      await p.stop('SIGKILL');
    }
  });

  it('closing our session (SIGTERM) sends AdminDown: FRR goes Down with the neighbour\'s diagnostic', async () => {
    const p = await startPeer([SESSIONS[0]!]);
    await waitFrr('192.0.2.11', false, 'up');
    await p.stop('SIGTERM');
    assert.ok(events(p).some((e) => e.event === 'closed'));
    await waitFrr('192.0.2.11', false, 'down');
    const s = frrStatus('192.0.2.11', false);
    assert.equal(s?.diagnostic, 'neighbor signaled session down', JSON.stringify(s));
    assert.equal(s?.['remote-diagnostic'], 'administratively down');
  });

  it('FRR taking the peer down administratively takes our session Down (neighbour signaled)', async () => {
    const p = await startPeer([SESSIONS[0]!]);
    try {
      await waitUntil(() => events(p).some((e) => e.event === 'up'), 'our v4 session up', [p]);
      frr.vtysh('configure terminal', 'bfd', 'peer 192.0.2.11 local-address 192.0.2.1 interface eth0', 'shutdown');
      await p.waitFor('"event":"down"', 15_000);
      const down = events(p).find((e) => e.event === 'down');
      // FRR 8.4 sends AdminDown but keeps its previous diagnostic (0) in the packet, so only our
      // own diagnostic is fixed here; the remote one is reported as received.
      assert.equal(down?.diagnostic, 'neighborSignaledSessionDown', p.output());
      assert.equal(frrStatus('192.0.2.11', false)?.status, 'shutdown');
    } finally {
      frr.vtysh('configure terminal', 'bfd', 'peer 192.0.2.11 local-address 192.0.2.1 interface eth0', 'no shutdown');
      await p.stop('SIGKILL');
    }
  });
});
