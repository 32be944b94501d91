// BFD over UDP through the native shim (RFC 5881 §4-5, RFC 5883 §2):
// - receive on the well-known port, 3784 single hop / 4784 multihop, one socket per local
//   address (and interface), shared by all sessions on it and demultiplexed by the peer's address;
// - send from a per-session socket whose source port is random in 49152-65535 and fixed for the
//   session's life, TTL / hop limit 255 (also multihop: RFC 5883 §2 leaves TTL to the sender, and
//   255 gives the peer's minimum-TTL check the most room);
// - every datagram carries its received TTL to the session, which enforces the RFC's TTL rule.
import { canonicalIP } from '../../../../lib/net/index.ts';
import { openBfdSocket, type Datagram, type TtlUdpSocket, type UdpSocketOptions } from '../native/index.ts';
import type { BfdEndpoint, BfdLink, BfdTransport } from './session.ts';

/** UDP destination port of single-hop BFD Control packets (RFC 5881 §4). */
export const BFD_SINGLE_HOP_PORT = 3784;
/** UDP destination port of multihop BFD Control packets (RFC 5883 §2). */
export const BFD_MULTIHOP_PORT = 4784;
/** Source ports of BFD Control packets (RFC 5881 §4). */
export const BFD_SOURCE_PORTS = [49152, 65535] as const;

type Handler = (data: Buffer, ttl: number) => void;

interface Receiver {
  socket: TtlUdpSocket;
  sessions: Map<string, Handler>;
}

/** Counters of the shared receive path. */
export interface BfdTransportCounters {
  /** Datagrams from an address with no session (not ours to answer). */
  unknownPeer: number;
}

/** The UDP BfdTransport. `open` is injectable for tests of the demultiplexing. */
export class UdpBfdTransport implements BfdTransport {
  readonly counters: BfdTransportCounters = { unknownPeer: 0 };
  #receivers = new Map<string, Receiver>();
  #open: (o: UdpSocketOptions) => TtlUdpSocket;

  constructor(open: (o: UdpSocketOptions) => TtlUdpSocket = openBfdSocket) {
    this.#open = open;
  }

  attach(ep: BfdEndpoint, receive: Handler): BfdLink {
    const local = withZone(ep.local);
    const peer = withZone(ep.peer);
    // Datagrams report the peer without a zone ("fe80::1"), so sessions are keyed without one.
    const peerKey = canonicalIP(ep.peer.split('%')[0] ?? '');
    const port = ep.multihop ? BFD_MULTIHOP_PORT : BFD_SINGLE_HOP_PORT;
    const bindDevice = ep.multihop ? undefined : ep.interface;
    const key = `${local}|${port}|${bindDevice ?? ''}`;
    let rx = this.#receivers.get(key);
    if (rx?.sessions.has(peerKey)) throw new Error(`BFD session ${local} -> ${peer} (port ${port}) already exists`);
    if (!rx) {
      // SO_REUSEADDR: a restarted speaker binds the well-known port again without waiting.
      const socket = this.#open({ localAddress: local, port, reuseAddress: true, bindDevice });
      const created: Receiver = { socket, sessions: new Map() };
      socket.receive((d) => this.#dispatch(created, d));
      this.#receivers.set(key, created);
      rx = created;
    }
    const receiver = rx;
    let tx: TtlUdpSocket;
    try {
      tx = this.#open({ localAddress: local, portRange: BFD_SOURCE_PORTS, ttl: 255, bindDevice });
      // Nothing should arrive on the source port; draining it keeps the buffer from filling.
      tx.receive((d) => this.#dispatch(receiver, d));
    } catch (err) {
      this.#release(key, receiver);
      throw err;
    }
    receiver.sessions.set(peerKey, receive);
    let closed = false;
    return {
      send: (packet) => {
        if (!closed) tx.send(packet, peer, port);
      },
      close: () => {
        if (closed) return;
        closed = true;
        tx.close();
        receiver.sessions.delete(peerKey);
        this.#release(key, receiver);
      },
    };
  }

  /** Closes every socket (sessions attached keep their links, which then do nothing). */
  close(): void {
    for (const [key, rx] of this.#receivers) {
      rx.sessions.clear();
      this.#release(key, rx);
    }
  }

  #dispatch(rx: Receiver, d: Datagram): void {
    const handler = rx.sessions.get(d.address);
    if (handler) handler(d.data, d.ttl);
    else this.counters.unknownPeer++;
  }

  #release(key: string, rx: Receiver): void {
    if (rx.sessions.size > 0) return;
    rx.socket.close();
    this.#receivers.delete(key);
  }
}

/** Canonical form of an address, keeping an IPv6 zone ("fe80::1%eth0") for link-local peers. */
function withZone(address: string): string {
  const [addr, zone] = address.split('%');
  const canonical = canonicalIP(addr ?? '');
  return zone ? `${canonical}%${zone}` : canonical;
}
