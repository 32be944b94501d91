// UdpBfdTransport's socket sharing and demultiplexing, with recording fake sockets in place of the
// native ones (the real sockets are exercised against FRR in bfd.net.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Datagram, TtlUdpSocket, UdpSocketOptions } from '../native/index.ts';
import { UdpBfdTransport } from './transport.ts';

class FakeSocket {
  closed = false;
  sent: [string, number][] = [];
  onDatagram: ((d: Datagram) => void) | undefined;
  constructor(readonly options: UdpSocketOptions) {}
  send(_data: Buffer, address: string, port: number): boolean {
    this.sent.push([address, port]);
    return true;
  }
  receive(cb: (d: Datagram) => void): void {
    this.onDatagram = cb;
  }
  close(): void {
    this.closed = true;
  }
}

function transport(): { t: UdpBfdTransport; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  const t = new UdpBfdTransport((o) => {
    const s = new FakeSocket(o);
    sockets.push(s);
    return s as unknown as TtlUdpSocket;
  });
  return { t, sockets };
}

const datagram = (address: string, ttl = 255): Datagram => ({ data: Buffer.from([1]), address, port: 49152, ttl });

describe('UdpBfdTransport', () => {
  it('shares one receiver on 3784 per local address and gives each session its own source port socket', () => {
    const { t, sockets } = transport();
    const got: string[] = [];
    const a = t.attach({ local: '192.0.2.11', peer: '192.0.2.1', multihop: false }, () => got.push('a'));
    const b = t.attach({ local: '192.0.2.11', peer: '192.0.2.2', multihop: false }, () => got.push('b'));
    const receivers = sockets.filter((s) => s.options.port === 3784);
    const senders = sockets.filter((s) => s.options.portRange);
    assert.equal(receivers.length, 1);
    assert.equal(senders.length, 2);
    assert.deepEqual(senders[0]!.options.portRange, [49152, 65535]);
    assert.equal(senders[0]!.options.ttl, 255);
    receivers[0]!.onDatagram!(datagram('192.0.2.2'));
    receivers[0]!.onDatagram!(datagram('192.0.2.1'));
    receivers[0]!.onDatagram!(datagram('192.0.2.99'));
    assert.deepEqual(got, ['b', 'a']);
    assert.equal(t.counters.unknownPeer, 1);
    a.send(Buffer.alloc(24));
    assert.deepEqual(senders[0]!.sent, [['192.0.2.1', 3784]]);
    a.close();
    assert.equal(receivers[0]!.closed, false, 'still used by b');
    b.close();
    assert.equal(receivers[0]!.closed, true);
    assert.ok(senders.every((s) => s.closed));
  });

  it('uses port 4784 for multihop and matches IPv6 peers in canonical form', () => {
    const { t, sockets } = transport();
    const got: number[] = [];
    const link = t.attach({ local: '2001:DB8::11', peer: '2001:db8:0:0::1', multihop: true }, (_d, ttl) => got.push(ttl));
    const rx = sockets.find((s) => s.options.port === 4784);
    assert.ok(rx);
    assert.equal(rx.options.localAddress, '2001:db8::11');
    rx.onDatagram!(datagram('2001:db8::1', 250));
    assert.deepEqual(got, [250]);
    link.send(Buffer.alloc(24));
    assert.deepEqual(sockets.find((s) => s.options.portRange)!.sent, [['2001:db8::1', 4784]]);
  });

  it('refuses a second session for the same peer and mode', () => {
    const { t } = transport();
    t.attach({ local: '192.0.2.11', peer: '192.0.2.1', multihop: false }, () => {});
    assert.throws(() => t.attach({ local: '192.0.2.11', peer: '192.0.2.1', multihop: false }, () => {}), /already exists/);
    t.attach({ local: '192.0.2.11', peer: '192.0.2.1', multihop: true }, () => {});
  });

  it('binds single-hop sockets to the interface, multihop ones not', () => {
    const { t, sockets } = transport();
    t.attach({ local: '192.0.2.11', peer: '192.0.2.1', multihop: false, interface: 'eth0' }, () => {});
    t.attach({ local: '192.0.2.11', peer: '192.0.2.1', multihop: true, interface: 'eth0' }, () => {});
    assert.deepEqual(sockets.map((s) => [s.options.port ?? 'src', s.options.bindDevice]),
      [[3784, 'eth0'], ['src', 'eth0'], [4784, undefined], ['src', undefined]]);
  });
});
