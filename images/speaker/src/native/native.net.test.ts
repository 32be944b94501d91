// The native shim on real sockets in network namespaces: TCP-MD5 against our own listener and
// against FRR bgpd, GTSM (TTL / minimum TTL), bind-to-device, source address, and the TTL that the
// BFD UDP path reports. Each probe runs in a child process inside the namespace (testdata/netprobe.ts).
//
//   mlbn-a (speaker side)                      mlbn-b (peer side)
//   eth0 192.0.2.11, .12 / 2001:db8:7::11  <-> eth0 192.0.2.1 / 2001:db8:7::1
//   eth1 198.51.100.11                     <-> eth1 198.51.100.1
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { NetnsLab, type NsProcess } from '../../../../test/support/netns.ts';
import { startFrr, type Frr } from './testdata/frr.ts';

const PROBE = join(import.meta.dirname, 'testdata', 'netprobe.ts');

interface ProbeEvent { event: string; code?: string; message?: string; bgpOpen?: boolean; localAddress?: string; remoteAddress?: string; greeting?: string; ttl?: number; data?: string }

describe('native shim in network namespaces', { timeout: 120_000 }, () => {
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
    await p.waitFor('"listening"', 15_000);
    return p;
  };
  const connect = async (opts: object): Promise<ProbeEvent> => {
    const ev = await run('a', 'connect', JSON.stringify({ timeoutMs: 1500, ...opts }));
    assert.equal(ev.length, 1, `one result line: ${JSON.stringify(ev)}`);
    return ev[0]!;
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
  });
  after(async () => { await lab?.cleanup(); });

  for (const [family, peer, self] of [['IPv4', '192.0.2.1', '192.0.2.11'], ['IPv6', '2001:db8:7::1', '2001:db8:7::11']] as const) {
    it(`TCP-MD5 over ${family}: the right key connects, a wrong key and no key do not`, async () => {
      const l = await listen({ host: peer, port: 1790, md5Keys: [{ address: self, key: 'right-key' }] });
      try {
        const ok = await connect({ host: peer, port: 1790, md5Key: 'right-key' });
        assert.equal(ok.event, 'connected', JSON.stringify(ok));
        assert.equal(ok.greeting, 'hello');
        const wrong = await connect({ host: peer, port: 1790, md5Key: 'wrong-key' });
        assert.deepEqual([wrong.event, wrong.code], ['error', 'ETIMEDOUT']);
        assert.match(wrong.message ?? '', /TCP-MD5/);
        const none = await connect({ host: peer, port: 1790 });
        assert.deepEqual([none.event, none.code], ['error', 'ETIMEDOUT']);
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
      const ok = await connect({ host: '192.0.2.1', port: 1791, md5Key: 'range-key', localAddress: '192.0.2.12' });
      assert.equal(ok.event, 'connected', JSON.stringify(ok));
      assert.equal(ok.localAddress, '192.0.2.12', 'source address honoured');
      const accepted = events(l).find((e) => e.event === 'accepted');
      assert.equal(accepted?.remoteAddress, '192.0.2.12');
    } finally {
      await l.stop();
    }
  });

  it('GTSM: a listener with minTtl 255 accepts TTL 255 and drops the default TTL', async () => {
    const l = await listen({ host: '192.0.2.1', port: 1792, ttl: 255, minTtl: 255 });
    try {
      assert.equal((await connect({ host: '192.0.2.1', port: 1792, ttl: 255, minTtl: 255 })).event, 'connected');
      assert.equal((await connect({ host: '192.0.2.1', port: 1792 })).code, 'ETIMEDOUT', 'TTL 64 is below the minimum');
      assert.equal((await connect({ host: '192.0.2.1', port: 1792, ttl: 254 })).code, 'ETIMEDOUT', 'TTL 254 is below the minimum');
    } finally {
      await l.stop();
    }
  });

  it('GTSM on IPv6: minTtl applies to the hop limit, also on the client side', async () => {
    const l = await listen({ host: '2001:db8:7::1', port: 1793 }); // sends with the default hop limit 64
    try {
      assert.equal((await connect({ host: '2001:db8:7::1', port: 1793, minTtl: 64 })).event, 'connected');
      assert.equal((await connect({ host: '2001:db8:7::1', port: 1793, minTtl: 255 })).code, 'ETIMEDOUT', 'SYN-ACK with hop limit 64 dropped');
    } finally {
      await l.stop();
    }
  });

  it('bind-to-device: the connection leaves through the bound interface', async () => {
    const l = await listen({ host: '192.0.2.1', port: 1794 });
    try {
      assert.equal((await connect({ host: '192.0.2.1', port: 1794, bindDevice: 'eth0' })).event, 'connected');
      // 192.0.2.0/24 is routed via eth0 only; bound to eth1 the kernel sends on eth1 anyway (on-link
      // fallback for a bound socket) from eth1's address, and mlbn-b answers there.
      assert.equal((await connect({ host: '192.0.2.1', port: 1794, bindDevice: 'eth1' })).event, 'connected');
      const from = events(l).filter((e) => e.event === 'accepted').map((e) => e.remoteAddress);
      assert.deepEqual(from, ['192.0.2.11', '198.51.100.11']);
      const bad = await connect({ host: '192.0.2.1', port: 1794, bindDevice: 'nosuchdev0' });
      assert.equal(bad.code, 'ENODEV');
    } finally {
      await l.stop();
    }
  });

  for (const [family, peer, self] of [['IPv4', '192.0.2.1', '192.0.2.11'], ['IPv6', '2001:db8:7::1', '2001:db8:7::11']] as const) {
    it(`UDP over ${family}: datagrams arrive with the TTL they were sent with`, async () => {
      const rx = probe('b', 'udp-recv', JSON.stringify({ localAddress: peer, port: 3784 }));
      try {
        await rx.waitFor('"bound"', 15_000);
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
      const wrong = await run('a', 'connect', JSON.stringify({ host: '192.0.2.1', port: 179, md5Key: 'not-the-key', timeoutMs: 1500 }));
      assert.equal(wrong[0]?.code, 'ETIMEDOUT');
      // FRR answers a configured neighbour's connection with OPEN (type 1) after the 16-octet marker.
      const ok = await run('a', 'connect', JSON.stringify({ host: '192.0.2.1', port: 179, md5Key: 'frr-md5-key', timeoutMs: 5000, localAddress: '192.0.2.11', expectBgpOpen: true }));
      assert.equal(ok[0]?.event, 'connected', JSON.stringify(ok));
      assert.equal(ok[0]?.bgpOpen, true, 'FRR sent its OPEN over the MD5-signed connection');
      assert.match(frr.vtysh('show bgp neighbors 192.0.2.11'), /Peer Authentication Enabled|password/i);
    });
  });
});
