// The native shim on real sockets in network namespaces: TCP-MD5 against our own listener and
// against FRR bgpd, GTSM (TTL / minimum TTL), bind-to-device, source address, and the TTL that the
// BFD UDP path reports. Each probe runs in a child process inside the namespace (testdata/netprobe.ts).
//
//   mlbn-a (speaker side)                      mlbn-b (peer side)
//   eth0 192.0.2.11, .12 / 2001:db8:7::11  <-> eth0 192.0.2.1 / 2001:db8:7::1
//   eth1 198.51.100.11                     <-> eth1 198.51.100.1
//   eth2 198.18.0.2 -- mlbn-r (router) -- eth2 198.18.1.2       (one routed hop, for TTL tests)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { NetnsLab, type NsProcess } from '../../../../test/support/netns.ts';
import { startFrr, type Frr } from './testdata/frr.ts';

const PROBE = join(import.meta.dirname, 'testdata', 'netprobe.ts');

interface ProbeEvent { index?: number; event: string; code?: string; message?: string; bgpOpen?: boolean; localAddress?: string; remoteAddress?: string; greeting?: string; ttl?: number; data?: string }

// Bounds are generous: each probe is a fresh tsx process, slow to start on a loaded 2-core machine.
describe('native shim in network namespaces', { timeout: 300_000 }, () => {
  let lab: NetnsLab;

  const probe = (ns: string, cmd: string, ...args: string[]): NsProcess =>
    lab.spawn(ns, process.execPath, ['--import', 'tsx', PROBE, cmd, ...args], { name: `${ns}-${cmd}-${Date.now()}` });

  /** Runs one probe to completion and returns its JSON events. */
  const run = async (ns: string, cmd: string, ...args: string[]): Promise<ProbeEvent[]> => {
    const p = probe(ns, cmd, ...args);
    await p.exited;
    return events(p);
  };
  const events = (p: NsProcess): ProbeEvent[] =>
    p.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ProbeEvent);

  /** Starts a listener probe in mlbn-b and waits until it listens. */
  const listen = async (opts: object): Promise<NsProcess> => {
    const p = probe('b', 'listen', JSON.stringify(opts));
    await p.waitFor('"listening"', 60_000);
    return p;
  };
  /** Tries the connections in parallel from one probe process in mlbn-a; results in order. */
  const connectAll = async (list: object[]): Promise<ProbeEvent[]> => {
    const ev = await run('a', 'connect', JSON.stringify(list.map((o) => ({ timeoutMs: 1500, ...o }))));
    assert.equal(ev.length, list.length, `one result line each: ${JSON.stringify(ev)}`);
    return ev.sort((x, y) => (x.index ?? 0) - (y.index ?? 0));
  };

  before(() => {
    lab = new NetnsLab('mlbn-');
    lab.addNamespace('a');
    lab.addNamespace('b');
    for (const ifname of ['eth0', 'eth1']) {
      lab.ip('a', ['link', 'add', ifname, 'type', 'veth', 'peer', 'name', ifname, 'netns', lab.ns('b')]);
      for (const h of ['a', 'b']) {
        lab.exec(h, 'sysctl', ['-qw', `net.ipv6.conf.${ifname}.accept_dad=0`]);
        lab.setLink(h, ifname, true);
      }
    }
    for (const cidr of ['192.0.2.11/24', '192.0.2.12/24', '2001:db8:7::11/64']) lab.addAddress('a', 'eth0', cidr);
    for (const cidr of ['192.0.2.1/24', '2001:db8:7::1/64']) lab.addAddress('b', 'eth0', cidr);
    lab.addAddress('a', 'eth1', '198.51.100.11/24');
    lab.addAddress('b', 'eth1', '198.51.100.1/24');
    lab.addNamespace('r');
    for (const [h, rIf, net] of [['a', 'eth0', '198.18.0'], ['b', 'eth1', '198.18.1']] as const) {
      lab.ip(h, ['link', 'add', 'eth2', 'type', 'veth', 'peer', 'name', rIf, 'netns', lab.ns('r')]);
      lab.setLink(h, 'eth2', true);
      lab.setLink('r', rIf, true);
      lab.addAddress(h, 'eth2', `${net}.2/24`);
      lab.addAddress('r', rIf, `${net}.1/24`);
    }
    lab.exec('r', 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    lab.ip('a', ['route', 'add', '198.18.1.0/24', 'via', '198.18.0.1']);
    lab.ip('b', ['route', 'add', '198.18.0.0/24', 'via', '198.18.1.1']);
  });
  after(async () => { await lab?.cleanup(); });

  for (const [family, peer, self] of [['IPv4', '192.0.2.1', '192.0.2.11'], ['IPv6', '2001:db8:7::1', '2001:db8:7::11']] as const) {
    it(`TCP-MD5 over ${family}: the right key connects, a wrong key and no key do not`, async () => {
      const l = await listen({ host: peer, port: 1790, md5Keys: [{ address: self, key: 'right-key' }] });
      try {
        const [ok, wrong, none] = await connectAll([
          { host: peer, port: 1790, md5Key: 'right-key' },
          { host: peer, port: 1790, md5Key: 'wrong-key' },
          { host: peer, port: 1790 },
        ]);
        assert.equal(ok!.event, 'connected', JSON.stringify(ok));
        assert.equal(ok!.greeting, 'hello');
        assert.deepEqual([wrong!.event, wrong!.code], ['error', 'ETIMEDOUT']);
        assert.match(wrong!.message ?? '', /TCP-MD5/);
        assert.deepEqual([none!.event, none!.code], ['error', 'ETIMEDOUT']);
        // Only the signed connection reached the listener.
        assert.equal(events(l).filter((e) => e.event === 'accepted').length, 1);
      } finally {
        await l.stop();
      }
    });
  }

  it('TCP-MD5 prefix key on the listener (dynamic neighbours) accepts any address in the prefix', async () => {
    const l = await listen({ host: '192.0.2.1', port: 1791, md5Keys: [{ address: '192.0.2.0', prefixLength: 24, key: 'range-key' }] });
    try {
      const [ok] = await connectAll([{ host: '192.0.2.1', port: 1791, md5Key: 'range-key', localAddress: '192.0.2.12' }]);
      assert.equal(ok!.event, 'connected', JSON.stringify(ok));
      assert.equal(ok!.localAddress, '192.0.2.12', 'source address honoured');
      const accepted = events(l).find((e) => e.event === 'accepted');
      assert.equal(accepted?.remoteAddress, '192.0.2.12');
    } finally {
      await l.stop();
    }
  });

  it('GTSM: a listener with minTtl 255 accepts TTL 255 and drops the default TTL', async () => {
    const l = await listen({ host: '192.0.2.1', port: 1792, ttl: 255, minTtl: 255 });
    try {
      const [ok, dflt, ttl254] = await connectAll([
        { host: '192.0.2.1', port: 1792, ttl: 255, minTtl: 255 },
        { host: '192.0.2.1', port: 1792 },
        { host: '192.0.2.1', port: 1792, ttl: 254 },
      ]);
      assert.equal(ok!.event, 'connected');
      assert.equal(dflt!.code, 'ETIMEDOUT', 'TTL 64 is below the minimum');
      assert.equal(ttl254!.code, 'ETIMEDOUT', 'TTL 254 is below the minimum');
    } finally {
      await l.stop();
    }
  });

  it('GTSM on IPv6: minTtl applies to the hop limit, also on the client side', async () => {
    const l = await listen({ host: '2001:db8:7::1', port: 1793 }); // sends with the default hop limit 64
    try {
      const [ok, strict] = await connectAll([{ host: '2001:db8:7::1', port: 1793, minTtl: 64 }, { host: '2001:db8:7::1', port: 1793, minTtl: 255 }]);
      assert.equal(ok!.event, 'connected');
      assert.equal(strict!.code, 'ETIMEDOUT', 'SYN-ACK with hop limit 64 dropped');
    } finally {
      await l.stop();
    }
  });

  it('a closed port is ECONNREFUSED; a pending attempt ends on abort', async () => {
    const [refused, aborted] = await connectAll([
      { host: '192.0.2.1', port: 1799 },
      { host: '192.0.2.99', port: 179, abortAfterMs: 300, timeoutMs: 10_000 }, // nobody answers ARP
    ]);
    assert.equal(refused!.code, 'ECONNREFUSED');
    assert.equal(aborted!.code, 'ABORT_ERR');
  });

  it('TTL across one routed hop: TTL 1 (single-hop eBGP) cannot reach the peer, TTL 2 (multihop) can', async () => {
    const l = await listen({ host: '198.18.1.2', port: 1795 });
    try {
      const [one, two] = await connectAll([{ host: '198.18.1.2', port: 1795, ttl: 1 }, { host: '198.18.1.2', port: 1795, ttl: 2 }]);
      assert.equal(one!.event, 'error');
      assert.match(one!.code ?? '', /^(EHOSTUNREACH|ETIMEDOUT)$/, 'the router drops the SYN (ICMP time exceeded)');
      assert.equal(two!.event, 'connected');
      assert.equal(events(l).filter((e) => e.event === 'accepted').length, 1);
    } finally {
      await l.stop();
    }
  });

  it('GTSM across one routed hop: minTtl 254 accepts TTL 255 sent one hop away, minTtl 255 does not', async () => {
    const strict = await listen({ host: '198.18.1.2', port: 1796, minTtl: 255 });
    const oneHop = await listen({ host: '198.18.1.2', port: 1797, minTtl: 254 });
    try {
      const [tooFar, ok] = await connectAll([{ host: '198.18.1.2', port: 1796, ttl: 255 }, { host: '198.18.1.2', port: 1797, ttl: 255 }]);
      assert.equal(tooFar!.code, 'ETIMEDOUT');
      assert.equal(ok!.event, 'connected');
    } finally {
      await strict.stop();
      await oneHop.stop();
    }
  });

  it('bind-to-device: the connection leaves through the bound interface', async () => {
    const l = await listen({ host: '192.0.2.1', port: 1794 });
    try {
      // 192.0.2.0/24 is routed via eth0 only; bound to eth1 the kernel sends on eth1 anyway (on-link
      // fallback for a bound socket) from eth1's address, and mlbn-b answers there.
      const [eth0, eth1, bad] = await connectAll([
        { host: '192.0.2.1', port: 1794, bindDevice: 'eth0' },
        { host: '192.0.2.1', port: 1794, bindDevice: 'eth1' },
        { host: '192.0.2.1', port: 1794, bindDevice: 'nosuchdev0' },
      ]);
      assert.deepEqual([eth0!.localAddress, eth1!.localAddress], ['192.0.2.11', '198.51.100.11']);
      const from = events(l).filter((e) => e.event === 'accepted').map((e) => e.remoteAddress).sort();
      assert.deepEqual(from, ['192.0.2.11', '198.51.100.11']);
      assert.equal(bad!.code, 'ENODEV');
    } finally {
      await l.stop();
    }
  });

  for (const [family, peer, self] of [['IPv4', '192.0.2.1', '192.0.2.11'], ['IPv6', '2001:db8:7::1', '2001:db8:7::11']] as const) {
    it(`UDP over ${family}: datagrams arrive with the TTL they were sent with`, async () => {
      const rx = probe('b', 'udp-recv', JSON.stringify({ localAddress: peer, port: 3784 }));
      try {
        await rx.waitFor('"bound"', 60_000);
        for (const ttl of [255, 64]) {
          const sent = await run('a', 'udp-send', JSON.stringify({ localAddress: self, portRange: [49152, 65535], ttl }), peer, '3784', `ttl-${ttl}`);
          assert.equal(sent[0]?.event, 'sent');
          await rx.waitFor(`"data":"ttl-${ttl}"`);
        }
        const got = events(rx).filter((e) => e.event === 'datagram').map((e) => [e.data, e.ttl]);
        assert.deepEqual(got, [['ttl-255', 255], ['ttl-64', 64]]);
      } finally {
        await rx.stop();
      }
    });
  }

  describe('against FRR bgpd', () => {
    let frr: Frr;
    before(async () => {
      frr = await startFrr(lab, 'b', {
        bgpd: [
          'router bgp 64512', ' bgp router-id 192.0.2.1', ' no bgp ebgp-requires-policy',
          ' neighbor 192.0.2.11 remote-as 64601', ' neighbor 192.0.2.11 password frr-md5-key', ' neighbor 192.0.2.11 passive', '',
        ].join('\n'),
      });
    });

    it('connects with FRR\'s neighbour password and receives its OPEN; a wrong key never connects', async () => {
      // FRR answers a configured neighbour's connection with OPEN (type 1) after the 16-octet marker.
      // The wrong key first, from the same address: FRR must not have been fed a session by it.
      const [wrong] = await connectAll([{ host: '192.0.2.1', port: 179, md5Key: 'not-the-key', localAddress: '192.0.2.11' }]);
      assert.equal(wrong!.code, 'ETIMEDOUT');
      const [ok] = await connectAll([{ host: '192.0.2.1', port: 179, md5Key: 'frr-md5-key', timeoutMs: 5000, localAddress: '192.0.2.11', expectBgpOpen: true }]);
      assert.equal(ok!.event, 'connected', JSON.stringify(ok));
      assert.equal(ok!.bgpOpen, true, 'FRR sent its OPEN over the MD5-signed connection');
      assert.match(frr.vtysh('show bgp neighbors 192.0.2.11'), /Peer Authentication Enabled|password/i);
    });
  });
});
