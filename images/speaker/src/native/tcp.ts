// TCP sockets with the options BGP needs and Node cannot set: TCP-MD5 (RFC 2385), TTL / hop limit
// (eBGP 1, multihop N, GTSM 255), minimum TTL (GTSM, RFC 5082), bind-to-device and a source
// address. The addon creates and configures the socket; the result is an ordinary net.Socket.
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { nativeShim, type NativeShim } from './addon.ts';
import { NativeSocketError, socketError } from './errors.ts';

/** Socket options shared by connectTcp and listenTcp. */
export interface TcpSocketOptions {
  /** TTL (IPv4) / unicast hop limit (IPv6) of sent segments: 1 for single-hop eBGP, 255 for GTSM. */
  ttl?: number;
  /** GTSM: drop received segments with a TTL / hop limit below this (255 for a direct peer). */
  minTtl?: number;
  /** SO_BINDTODEVICE: only this interface (or VRF device) is used. */
  bindDevice?: string;
}

/** Options of connectTcp. `host` and `localAddress` are IP literals (no DNS). */
export interface TcpConnectOptions extends TcpSocketOptions {
  host: string;
  port: number;
  /** Source address (BGP update-source). */
  localAddress?: string;
  /** Source port; 0 or absent = the kernel's choice. */
  localPort?: number;
  /** TCP-MD5 key for `host` (at most 80 bytes). Set before connect: the SYN is signed too. */
  md5Key?: string | Buffer;
  /** Give up after this long (ETIMEDOUT). Absent = the kernel's own SYN retries (~2 min). */
  timeoutMs?: number;
  /** Abort the attempt (rejects with ABORT_ERR). */
  signal?: AbortSignal;
}

/** Sets TTL, minimum TTL and device on a socket fd (either family). */
export function applyTcpOptions(shim: NativeShim, fd: number, family: 4 | 6, o: TcpSocketOptions): void {
  const c = shim.constants;
  const level = family === 4 ? c.IPPROTO_IP : c.IPPROTO_IPV6;
  if (o.ttl !== undefined) {
    checkTtl('ttl', o.ttl);
    shim.setIntOption(fd, level, family === 4 ? c.IP_TTL : c.IPV6_UNICAST_HOPS, o.ttl);
  }
  if (o.minTtl !== undefined) {
    checkTtl('minTtl', o.minTtl);
    shim.setIntOption(fd, level, family === 4 ? c.IP_MINTTL : c.IPV6_MINHOPCOUNT, o.minTtl);
  }
  if (o.bindDevice) shim.bindToDevice(fd, o.bindDevice);
}

function checkTtl(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 255) throw new NativeSocketError(`${name} ${v}: must be 1..255`, 'EINVAL');
}

/** The IP family of an address literal (zone allowed for IPv6); throws for anything else. */
export function addressFamily(address: string): 4 | 6 {
  const f = net.isIP(address.split('%')[0] ?? '');
  if (f === 4 || f === 6) return f;
  throw new NativeSocketError(`${JSON.stringify(address)} is not an IP address`, 'EINVAL');
}

function md5Buffer(key: string | Buffer): Buffer {
  const b = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (b.length === 0 || b.length > 80) throw new NativeSocketError(`TCP-MD5 key of ${b.length} bytes: must be 1..80`, 'EINVAL');
  return b;
}

/**
 * Opens a TCP connection with the given options and resolves with a connected net.Socket.
 * A wrong or missing TCP-MD5 key is invisible on the wire (the peer drops our SYN), so it shows as
 * ETIMEDOUT: the error message says so when a key is configured.
 */
export function connectTcp(o: TcpConnectOptions): Promise<net.Socket> {
  const target = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
  return new Promise((resolve, reject) => {
    let shim: NativeShim;
    let fd = -1;
    try {
      shim = nativeShim();
      const family = addressFamily(o.host);
      if (o.localAddress && addressFamily(o.localAddress) !== family) {
        throw new NativeSocketError(`source ${o.localAddress} and peer ${o.host} differ in family`, 'EINVAL');
      }
      if (o.signal?.aborted) throw new NativeSocketError(`connect ${target}: aborted`, 'ABORT_ERR');
      fd = shim.socket(family, 'tcp');
      if (o.md5Key !== undefined) shim.setMd5Key(fd, o.host, -1, md5Buffer(o.md5Key));
      applyTcpOptions(shim, fd, family, o);
      if (o.localAddress || o.localPort) shim.bind(fd, o.localAddress ?? (family === 4 ? '0.0.0.0' : '::'), o.localPort ?? 0);
    } catch (err) {
      if (fd >= 0) shim!.close(fd);
      reject(err instanceof NativeSocketError ? err : socketError(`connect ${target}`, err));
      return;
    }

    let timer: NodeJS.Timeout | undefined;
    let handle: ReturnType<NativeShim['tcpConnect']> | undefined;
    let done = false;
    const finish = (err: NativeSocketError | undefined): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        if (handle) shim.watchStop(handle);
        shim.close(fd);
        reject(err);
        return;
      }
      // A connected TCP fd: Node wraps it like one from accept(); from here on it is plain Node.
      resolve(new net.Socket({ fd, readable: true, writable: true }));
    };
    const onAbort = (): void => finish(new NativeSocketError(`connect ${target}: aborted`, 'ABORT_ERR'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const hint = o.md5Key !== undefined ? ' (TCP-MD5 configured: a key mismatch looks exactly like this)' : '';
        finish(new NativeSocketError(`connect ${target}: timed out after ${o.timeoutMs} ms${hint}`, 'ETIMEDOUT'));
      }, o.timeoutMs);
    }
    try {
      handle = shim.tcpConnect(fd, o.host, o.port, (errno) => {
        handle = undefined; // the addon has ended this watch itself
        if (errno === 0) finish(undefined);
        else {
          const code = getSystemErrorName(-errno);
          finish(new NativeSocketError(`connect ${target}: ${code}`, code));
        }
      });
    } catch (err) {
      finish(socketError(`connect ${target}`, err));
    }
  });
}

/** One TCP-MD5 key on a listening socket: for one address, or a prefix (dynamic neighbours). */
export interface Md5PeerKey {
  address: string;
  /** Absent: exactly `address`; otherwise every address in address/prefixLength. */
  prefixLength?: number;
  key: string | Buffer;
}

/** Options of listenTcp. */
export interface TcpListenOptions extends TcpSocketOptions {
  /** Address to listen on (IP literal); its family decides the socket's. */
  host: string;
  port: number;
  md5Keys?: Md5PeerKey[];
  backlog?: number;
}

/** A listening TCP socket whose accepted connections inherit its MD5 keys, TTL and minimum TTL. */
export interface TcpListener {
  readonly server: net.Server;
  /** Adds (or, with an empty key, removes) a peer's key on the listening socket. */
  setMd5Key(peer: Md5PeerKey): void;
  close(): Promise<void>;
}

/**
 * Listens for TCP connections (passive BGP peers). Keys are set on the listening socket; the
 * kernel copies them, and the TTL options, to every accepted socket.
 */
export async function listenTcp(o: TcpListenOptions, onConnection: (socket: net.Socket) => void): Promise<TcpListener> {
  const shim = nativeShim();
  const family = addressFamily(o.host);
  let fd = -1;
  const setKey = (p: Md5PeerKey): void => {
    const key = typeof p.key === 'string' ? Buffer.from(p.key, 'utf8') : p.key;
    shim.setMd5Key(fd, p.address, p.prefixLength ?? -1, key);
  };
  try {
    fd = shim.socket(family, 'tcp');
    shim.setIntOption(fd, shim.constants.SOL_SOCKET, shim.constants.SO_REUSEADDR, 1);
    for (const k of o.md5Keys ?? []) setKey(k);
    applyTcpOptions(shim, fd, family, o);
    shim.bind(fd, o.host, o.port);
    shim.listen(fd, o.backlog ?? 64);
  } catch (err) {
    if (fd >= 0) shim.close(fd);
    throw socketError(`listen ${o.host}:${o.port}`, err);
  }
  const server = net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    setMd5Key: (p) => {
      try {
        setKey(p);
      } catch (err) {
        throw socketError(`TCP-MD5 key for ${p.address}`, err);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
