// BGP interop with real FRR, BIRD and GoBGP in network namespaces (prefix mlbb-):
//
//   mlbb-sw (bridge) ── frr  192.0.2.1   2001:db8:0:1::1   AS 64512 (FRR 8: zebra + bgpd)
//                    ├─ bird 192.0.2.2                      AS 64513 (BIRD 2)
//                    ├─ gobgp 192.0.2.3                     AS 64514 (gobgpd as a router)
//                    ├─ n1   192.0.2.11  2001:db8:0:1::11  AS 4200000011 (our speaker, GR on)
//                    ├─ n2   192.0.2.12  2001:db8:0:1::12  AS 64602      (our speaker, hold 3 s)
//                    ├─ n3   192.0.2.13                     AS 64512      (our speaker, iBGP, MD5)
//                    ├─ n4   192.0.2.14                     AS 64604      (metallb-speaker --config)
//                    └─ n5   192.0.2.15                     AS 64605      (our speaker with BFD)
//
// Every speaker is the real engine in its own process (speaker-proc.ts). The raw bytes each
// router sends are captured and decoded, and saved under the codec's testdata/ when missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsLab, type NsProcess } from '../../support/netns.ts';
import { Framer, decodeFrame, type BgpMessage } from '../../../images/speaker/src/bgp/codec/index.ts';
import { Bird, Frr, GoBgp, waitUntil } from './routers.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const TESTDATA = join(repo, 'images/speaker/src/bgp/codec/testdata');
const MD5_KEY = 'mlbb-md5-Secret';

const FRR_CONF = `hostname frr
log stdout informational
route-map DENY-ALL deny 10
!
router bgp 64512
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 no bgp network import-check
 bgp bestpath as-path multipath-relax
 bgp graceful-restart
 neighbor 192.0.2.11 remote-as 4200000011
 neighbor 192.0.2.11 timers 3 9
 neighbor 192.0.2.12 remote-as 64602
 neighbor 192.0.2.12 timers 1 3
 neighbor 192.0.2.13 remote-as 64512
 neighbor 192.0.2.13 timers 3 9
 neighbor 192.0.2.13 password ${MD5_KEY}
 neighbor 192.0.2.14 remote-as 64604
 neighbor 192.0.2.14 timers 3 9
 neighbor 192.0.2.15 remote-as 64605
 neighbor 192.0.2.15 timers 3 9
 neighbor 192.0.2.15 bfd
 neighbor 2001:db8:0:1::11 remote-as 4200000011
 neighbor 2001:db8:0:1::11 timers 3 9
 neighbor 2001:db8:0:1::12 remote-as 64602
 neighbor 2001:db8:0:1::12 timers 3 9
 address-family ipv4 unicast
  network 203.0.113.0/24
  neighbor 192.0.2.11 activate
  neighbor 192.0.2.12 activate
  neighbor 192.0.2.12 route-map DENY-ALL out
  neighbor 192.0.2.13 activate
  neighbor 192.0.2.13 route-map DENY-ALL out
  neighbor 192.0.2.14 activate
  neighbor 192.0.2.14 route-map DENY-ALL out
  neighbor 192.0.2.15 activate
  neighbor 192.0.2.15 route-map DENY-ALL out
  maximum-paths 16
  maximum-paths ibgp 16
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:0:1::11 activate
  neighbor 2001:db8:0:1::12 activate
  neighbor 2001:db8:0:1::12 route-map DENY-ALL out
  maximum-paths 16
 exit-address-family
!
`;

const BIRD_CONF = `router id 192.0.2.2;
protocol device { }
protocol static s4 { ipv4; route 203.0.113.128/25 blackhole; }
protocol bgp n1 {
  local 192.0.2.2 as 64513;
  neighbor 192.0.2.11 as 4200000011;
  hold time 9; keepalive time 3;
  ipv4 { import all; export where proto = "s4"; };
}
`;

const GOBGP_CONF = `[global.config]
  as = 64514
  router-id = "192.0.2.3"
  port = 179
[[neighbors]]
  [neighbors.config]
    neighbor-address = "192.0.2.11"
    peer-as = 4200000011
  [neighbors.timers.config]
    hold-time = 9
    keepalive-interval = 3
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`;

const VIP4 = '198.51.100.10/32';
const VIP6 = '2001:db8:100::10/128';
const ATTRS = { communities: ['65535:65282'], largeCommunities: ['4200000011:1:2'] };

function n1Peers(): object[] {
  const adv4 = [{ prefix: VIP4, ...ATTRS }];
  return [
    { address: '192.0.2.1', asn: 64512, myAsn: 4200000011, holdTimeSec: 9, gracefulRestart: true, advertisements: adv4 },
    { address: '2001:db8:0:1::1', asn: 64512, myAsn: 4200000011, holdTimeSec: 9, routerId: '192.0.2.11', advertisements: [{ prefix: VIP6, ...ATTRS }] },
    { address: '192.0.2.2', asn: 64513, myAsn: 4200000011, holdTimeSec: 9, advertisements: adv4 },
    { address: '192.0.2.3', asn: 64514, myAsn: 4200000011, holdTimeSec: 9, advertisements: adv4 },
  ];
}

function n2Peers(withVip = true): object[] {
  return [
    { address: '192.0.2.1', asn: 64512, myAsn: 64602, holdTimeSec: 3, advertisements: withVip ? [{ prefix: VIP4 }] : [] },
    { address: '2001:db8:0:1::1', asn: 64512, myAsn: 64602, holdTimeSec: 9, advertisements: [{ prefix: VIP6 }] },
  ];
}

const n3Peers = [{ address: '192.0.2.1', asn: 64512, myAsn: 64512, holdTimeSec: 9, password: MD5_KEY, advertisements: [{ prefix: '198.51.100.30/32', localPref: 250, communities: ['64512:30'] }] }];

const n5Peers = [{ address: '192.0.2.1', asn: 64512, myAsn: 64605, holdTimeSec: 9, bfd: { receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3 }, advertisements: [{ prefix: '198.51.100.50/32' }] }];

describe('BGP interop with FRR, BIRD and GoBGP', { timeout: 240_000 }, () => {
  let lab: NetnsLab;
  let frr: Frr;
  let bird: Bird;
  let gobgp: GoBgp;
  const speakers = new Map<string, NsProcess>();
  const captures = (node: string) => join(lab.workDir, `capture-${node}`);

  function startSpeaker(node: string, peers: object[]): NsProcess {
    mkdirSync(captures(node), { recursive: true });
    writeFileSync(join(lab.workDir, `${node}.json`), JSON.stringify({ node, peers }));
    const p = lab.spawn(node, process.execPath, ['--import', 'tsx', join(repo, 'test/speaker/bgp/speaker-proc.ts'), join(lab.workDir, `${node}.json`)], {
      name: `${node}-speaker-${Date.now()}`,
      env: { ...process.env, CAPTURE_DIR: captures(node) },
    });
    speakers.set(node, p);
    return p;
  }

  async function setPeers(node: string, peers: object[]): Promise<void> {
    const p = speakers.get(node);
    assert.ok(p);
    writeFileSync(join(lab.workDir, `${node}.json`), JSON.stringify({ node, peers }));
    const applied = (p.output().match(/"applied"/g) ?? []).length;
    p.kill('SIGHUP');
    await waitUntil(`${node} applied the new state`, 5000, () => (p.output().match(/"applied"/g) ?? []).length > applied);
  }

  before(async () => {
    lab = new NetnsLab('mlbb-');
    lab.addSwitch('sw');
    const hosts: [string, string[]][] = [
      ['frr', ['192.0.2.1/24', '2001:db8:0:1::1/64']],
      ['bird', ['192.0.2.2/24']],
      ['gobgp', ['192.0.2.3/24']],
      ['n1', ['192.0.2.11/24', '2001:db8:0:1::11/64']],
      ['n2', ['192.0.2.12/24', '2001:db8:0:1::12/64']],
      ['n3', ['192.0.2.13/24']],
      ['n4', ['192.0.2.14/24']],
      ['n5', ['192.0.2.15/24']],
    ];
    for (const [h, addrs] of hosts) lab.addHost(h, 'sw', { addrs });
    lab.exec('frr', 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    frr = new Frr(lab, 'frr', FRR_CONF);
    frr.startBfdd();
    bird = new Bird(lab, 'bird', BIRD_CONF);
    gobgp = new GoBgp(lab, 'gobgp', GOBGP_CONF);
    await frr.ready();
    startSpeaker('n1', n1Peers());
    startSpeaker('n2', n2Peers());
    startSpeaker('n3', n3Peers);
    startSpeaker('n5', n5Peers);
  });

  after(async () => {
    if (process.env.BGP_TEST_DEBUG) for (const [n, p] of speakers) console.log(`--- ${n}\n${p.output().slice(-3000)}`);
    await lab?.cleanup();
  });

  test('eBGP with a 4-octet AS over IPv4 and IPv6: FRR has both VIPs with our AS path and communities', async () => {
    await waitUntil('FRR: n1 IPv4 and IPv6 sessions Established', 20000, () => frr.state('192.0.2.11') === 'Established' && frr.state('2001:db8:0:1::11') === 'Established');
    const p4 = await waitUntil('FRR path for the IPv4 VIP from n1', 10000, () => frr.paths(VIP4).find((p) => p.peer?.peerId === '192.0.2.11'));
    assert.equal(p4.aspath?.string, '4200000011');
    assert.equal(p4.community?.string, 'no-advertise', 'FRR names 65535:65282 (NO_ADVERTISE)');
    assert.equal(p4.largeCommunity?.string, '4200000011:1:2');
    assert.equal(p4.nexthops?.[0]?.ip, '192.0.2.11');
    const p6 = await waitUntil('FRR path for the IPv6 VIP from n1', 10000, () => frr.paths(VIP6).find((p) => p.peer?.peerId === '2001:db8:0:1::11'));
    assert.equal(p6.aspath?.string, '4200000011');
    assert.equal(p6.nexthops?.[0]?.ip, '2001:db8:0:1::11');
  });

  test('two speakers give FRR an ECMP route with two next hops in its kernel, for both families', async () => {
    await waitUntil('two IPv4 next hops in the kernel', 20000, () => frr.kernelNextHops('198.51.100.10').join() === '192.0.2.11,192.0.2.12');
    await waitUntil('two IPv6 next hops in the kernel', 20000, () => frr.kernelNextHops('2001:db8:100::10').join() === '2001:db8:0:1::11,2001:db8:0:1::12');
  });

  test('iBGP with TCP-MD5 carries LOCAL_PREF and an empty AS path', async () => {
    await waitUntil('FRR: n3 (MD5) Established', 20000, () => frr.state('192.0.2.13') === 'Established');
    const p = await waitUntil('FRR path from n3', 10000, () => frr.paths('198.51.100.30/32')[0]);
    assert.equal(p.locPrf, 250);
    assert.equal(p.aspath?.string, 'Local', 'FRR shows an empty AS path as Local');
    assert.equal(p.community?.string, '64512:30');
  });

  test('TCP-MD5 with a wrong key keeps the session down (FRR counts MD5 failures)', async () => {
    const failures = () => Number(/TcpExtTCPMD5Failure\s+(\d+)/.exec(lab.exec('frr', 'nstat', ['-az', 'TcpExtTCPMD5Failure']).stdout)?.[1] ?? 0);
    const before = failures();
    await setPeers('n3', [{ ...n3Peers[0], password: 'wrong-key' }]);
    await waitUntil('FRR drops segments with the wrong MD5 signature', 15000, () => failures() > before);
    assert.notEqual(frr.state('192.0.2.13'), 'Established');
    assert.equal(frr.paths('198.51.100.30/32').length, 0);
    await setPeers('n3', n3Peers);
    await waitUntil('the right key brings it back', 30000, () => frr.state('192.0.2.13') === 'Established');
  });

  test('BFD: FRR bfdd sees our BFD session up; when FRR BFD goes silent our BGP session goes down with Cease/BFD Down', async () => {
    await waitUntil('FRR: n5 Established', 20000, () => frr.state('192.0.2.15') === 'Established');
    const n5 = speakers.get('n5');
    assert.ok(n5);
    // Seen once in ~6 CI runs: bfdd never reported the peer up within 20 s. Keep the evidence.
    try {
      await waitUntil('FRR bfdd: peer 192.0.2.15 up', 45000, () => frr.bfdStatus('192.0.2.15') === 'up');
    } catch (err) {
      throw new Error(`${(err as Error).message}\nFRR show bfd peers: ${frr.vtysh('show bfd peers') ?? ''}\nn5: ${n5.output().slice(-3000)}`);
    }
    const mark = n5.output().length;
    frr.bfdd?.kill('SIGSTOP');
    try {
      await waitUntil('n5 reports bfd-down', 5000, () => n5.output().slice(mark).includes('"reason":"bfd-down"'));
    } finally {
      frr.bfdd?.kill('SIGCONT');
    }
    await waitUntil('FRR: n5 Established again', 30000, () => frr.state('192.0.2.15') === 'Established');
  });

  test('BIRD and GoBGP accept the routes of a 4-octet AS speaker', async () => {
    const birdRoute = await waitUntil('BIRD has the VIP', 20000, () => {
      const out = bird.birdc('show', 'route', 'for', '198.51.100.10/32', 'all');
      return out.includes('BGP.as_path: 4200000011') && out;
    });
    assert.match(birdRoute, /BGP.large_community:.*\(4200000011, 1, 2\)/);
    await waitUntil('GoBGP has the VIP', 20000, () => gobgp.cli('global', 'rib', '-a', 'ipv4').includes('198.51.100.10/32'));
  });

  test('a desired state without the VIP withdraws it from FRR, and putting it back re-announces it', async () => {
    await setPeers('n2', n2Peers(false));
    await waitUntil('one IPv4 next hop left', 10000, () => frr.kernelNextHops('198.51.100.10').join() === '192.0.2.11');
    await setPeers('n2', n2Peers(true));
    await waitUntil('two IPv4 next hops again', 10000, () => frr.kernelNextHops('198.51.100.10').length === 2);
  });

  test('a ROUTE-REFRESH from FRR is answered with our Adj-RIB-Out', async () => {
    const updates = () => frr.json<Record<string, { messageStats?: { updatesRecv?: number } }>>('show bgp neighbors 192.0.2.11 json')?.['192.0.2.11']?.messageStats?.updatesRecv ?? 0;
    const before = updates();
    frr.vtysh('clear bgp ipv4 unicast 192.0.2.11 soft in');
    await waitUntil('FRR received our UPDATE again', 10000, () => updates() > before);
    assert.equal(frr.state('192.0.2.11'), 'Established');
  });

  test('hold timer: when FRR goes silent our session sends Hold Timer Expired and comes back later', async () => {
    const n2 = speakers.get('n2');
    assert.ok(n2);
    const mark = n2.output().length;
    frr.pause(true);
    try {
      await waitUntil('n2 reports hold-timer-expired', 10000, () => n2.output().slice(mark).includes('"reason":"hold-timer-expired"'));
    } finally {
      frr.pause(false);
    }
    await waitUntil('FRR: n2 Established again', 30000, () => frr.state('192.0.2.12') === 'Established');
  });

  test('withdraw on stop: SIGTERM without graceful restart sends Cease and FRR drops the next hop at once', async () => {
    await waitUntil('two IPv4 next hops', 15000, () => frr.kernelNextHops('198.51.100.10').length === 2);
    await speakers.get('n2')?.stop('SIGTERM');
    await waitUntil('only n1 left as next hop', 5000, () => frr.kernelNextHops('198.51.100.10').join() === '192.0.2.11');
  });

  test('graceful restart: SIGKILL keeps our route stale on FRR, a restarted speaker refreshes it', async () => {
    const n1 = speakers.get('n1');
    assert.ok(n1);
    n1.kill('SIGKILL');
    await n1.exited;
    await waitUntil('FRR marks the path from n1 stale', 10000, () => frr.paths(VIP4).find((p) => p.peer?.peerId === '192.0.2.11')?.stale);
    assert.deepEqual(frr.kernelNextHops('198.51.100.10'), ['192.0.2.11'], 'still forwarding to n1 while it restarts');
    startSpeaker('n1', n1Peers());
    await waitUntil('FRR: n1 Established again', 20000, () => frr.state('192.0.2.11') === 'Established');
    await waitUntil('the stale mark is gone after End-of-RIB', 10000, () => {
      const p = frr.paths(VIP4).find((x) => x.peer?.peerId === '192.0.2.11');
      return p && !p.stale;
    });
  });

  test('the speaker binary with a static config (DESIGN §2.1) announces to FRR, exports metrics and withdraws on SIGTERM', async () => {
    const cfg = join(lab.workDir, 'n4.yaml');
    writeFileSync(cfg, [
      'node: n4',
      'bgp:',
      '  peers:',
      '    - {address: 192.0.2.1, asn: 64512, myASN: 64604, holdTime: 9s}',
      '  advertisements:',
      '    - {prefixes: [198.51.100.40/32], communities: ["64604:40"]}',
      '',
    ].join('\n'));
    const proc = lab.spawn('n4', process.execPath, ['--import', 'tsx', join(repo, 'images/speaker/src/main.ts'), '--config', cfg], { name: 'n4-metallb-speaker' });
    const p = await waitUntil('FRR path from the speaker binary', 30000, () => frr.paths('198.51.100.40/32').find((x) => x.peer?.peerId === '192.0.2.14'));
    assert.equal(p.community?.string, '64604:40');
    assert.equal(p.aspath?.string, '64604');
    const metrics = await waitUntil('metrics with the session up', 10000, () => {
      const r = lab.exec('n4', 'curl', ['-sf', 'http://127.0.0.1:4231/metrics']);
      return r.stdout.includes('metallb_bgp_session_up{peer="192.0.2.1"} 1') && r.stdout;
    });
    assert.match(metrics, /metallb_bgp_announced_prefixes_total\{peer="192.0.2.1"\} 1/);
    assert.match(metrics, /metallb_bgp_pending_prefixes_total\{peer="192.0.2.1"\} 0/);
    assert.match(metrics, /metallb_bgp_updates_total\{peer="192.0.2.1"\} [1-9]/);
    await proc.stop('SIGTERM');
    await waitUntil('FRR forgot the route', 5000, () => frr.paths('198.51.100.40/32').length === 0);
  });

  test('what FRR, BIRD and GoBGP sent us decodes cleanly (captures kept as codec test data)', () => {
    const sources: [string, string, string][] = [
      ['frr-8', 'n1', '192.0.2.1.bin'],
      ['frr-8-ipv6', 'n1', '2001_db8_0_1__1.bin'],
      ['bird-2', 'n1', '192.0.2.2.bin'],
      ['gobgp-3', 'n1', '192.0.2.3.bin'],
    ];
    mkdirSync(TESTDATA, { recursive: true });
    for (const [name, node, file] of sources) {
      const bytes = readFileSync(join(captures(node), file));
      const messages: BgpMessage[] = [];
      let ctx = { fourOctetAs: false, extendedMessage: false };
      for (const f of new Framer().push(bytes)) {
        assert.ok(!(f instanceof Error), `${name}: ${String(f)}`);
        const d = decodeFrame(f, ctx);
        assert.ok(d.ok, `${name}: ${d.ok ? '' : d.error.message}`);
        assert.equal(d.handling, 'none', `${name}: ${d.problems.map((p) => p.message).join('; ')}`);
        if (d.message.type === 'open') ctx = { fourOctetAs: true, extendedMessage: false };
        messages.push(d.message);
      }
      assert.equal(messages[0]?.type, 'open', `${name} starts with an OPEN`);
      assert.ok(messages.some((m) => m.type === 'keepalive'), `${name} sent KEEPALIVEs`);
      const out = join(TESTDATA, `${name}-stream.bin`);
      if (!existsSync(out) || process.env.UPDATE_CAPTURES === '1') writeFileSync(out, bytes.subarray(0, Math.min(bytes.length, 8192)));
    }
  });
});
