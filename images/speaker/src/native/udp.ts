// UDP sockets that send with a chosen TTL and report the TTL of every received datagram, for BFD
// (RFC 5881 §5: single-hop packets are sent with TTL 255 and MUST be discarded unless received
// with TTL 255; RFC 5883: multihop checks a configured minimum). Node's dgram cannot read a
// datagram's TTL, so the receive path is the addon's recvmsg loop (watch.c).
import { nativeShim, type NativeShim, type WatchHandle } from './addon.ts';
import { NativeSocketError, socketError } from './errors.ts';
import { addressFamily } from './tcp.ts';

/** One received datagram. `ttl` is the IPv4 TTL or IPv6 hop limit it arrived with (-1: unknown). */
export interface Datagram {
  data: Buffer;
  address: string;
  port: number;
  ttl: number;
}

/** Options of openBfdSocket. */
export interface UdpSocketOptions {
  /** Local address to bind (IP literal); decides the family. */
  localAddress: string;
  /** Local port; 0 = the kernel's choice. */
  port?: number;
  /**
   * Try random ports in [low, high] until one is free (RFC 5881 §4: the source port of a BFD
   * session is in 49152-65535 and unique per session). Ignored when `port` is given.
   */
  portRange?: readonly [number, number];
  /** TTL / hop limit of sent datagrams; default 255 (RFC 5881 §5, RFC 5883 §2). */
  ttl?: number;
  /** SO_BINDTODEVICE (per-interface single-hop sessions, link-local peers, VRFs). */
  bindDevice?: string;
  /** SO_REUSEADDR, so a restarted speaker can bind the well-known port again at once. */
  reuseAddress?: boolean;
}

/** A bound UDP socket with TTL-aware receive. */
export class TtlUdpSocket {
  readonly family: 4 | 6;
  readonly localAddress: string;
  readonly localPort: number;
  #shim: NativeShim;
  #fd: number;
  #watch: WatchHandle | undefined;
  #closed = false;

  /** Use openBfdSocket. */
  constructor(shim: NativeShim, fd: number, family: 4 | 6, localAddress: string, localPort: number) {
    this.#shim = shim;
    this.#fd = fd;
    this.family = family;
    this.localAddress = localAddress;
    this.localPort = localPort;
  }

  /** Sends one datagram; false if it was dropped locally (full socket buffer, no route). */
  send(data: Buffer, address: string, port: number): boolean {
    if (this.#closed) return false;
    return this.#shim.udpSend(this.#fd, data, address, port) === 0;
  }

  /** Starts delivering datagrams to `onDatagram` (once; a second call replaces nothing and throws). */
  receive(onDatagram: (d: Datagram) => void): void {
    if (this.#closed) throw new NativeSocketError('receive on a closed socket', 'EBADF');
    if (this.#watch) throw new NativeSocketError('receive already started', 'EALREADY');
    this.#watch = this.#shim.udpReceive(this.#fd, (data, address, port, ttl) => onDatagram({ data, address, port, ttl }));
  }

  /** Stops receiving and closes the fd. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#watch) this.#shim.watchStop(this.#watch);
    this.#shim.close(this.#fd);
  }
}

/** Opens a UDP socket for BFD: bound, TTL 255 by default, receiving with the TTL of each datagram. */
export function openBfdSocket(o: UdpSocketOptions): TtlUdpSocket {
  const shim = nativeShim();
  const family = addressFamily(o.localAddress);
  const ttl = o.ttl ?? 255;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw new NativeSocketError(`ttl ${ttl}: must be 1..255`, 'EINVAL');
  const c = shim.constants;
  let fd = -1;
  try {
    fd = shim.socket(family, 'udp');
    shim.setIntOption(fd, family === 4 ? c.IPPROTO_IP : c.IPPROTO_IPV6, family === 4 ? c.IP_TTL : c.IPV6_UNICAST_HOPS, ttl);
    if (o.reuseAddress) shim.setIntOption(fd, c.SOL_SOCKET, c.SO_REUSEADDR, 1);
    if (o.bindDevice) shim.bindToDevice(fd, o.bindDevice);
    const port = bindPort(shim, fd, o);
    return new TtlUdpSocket(shim, fd, family, o.localAddress, port);
  } catch (err) {
    if (fd >= 0) shim.close(fd);
    throw err instanceof NativeSocketError ? err : socketError(`UDP socket on ${o.localAddress}`, err);
  }
}

function bindPort(shim: NativeShim, fd: number, o: UdpSocketOptions): number {
  if (o.port !== undefined || !o.portRange) {
    shim.bind(fd, o.localAddress, o.port ?? 0);
    return o.port ?? 0;
  }
  const [low, high] = o.portRange;
  const span = high - low + 1;
  // Random start, then linear: finds a free port even when the range is nearly full.
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = low + ((start + i) % span);
    try {
      shim.bind(fd, o.localAddress, port);
      return port;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new NativeSocketError(`no free UDP port in ${low}-${high} on ${o.localAddress}`, 'EADDRINUSE');
}
