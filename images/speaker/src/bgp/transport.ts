// How a session gets its TCP connection. Injected, so the native shim (TCP-MD5, TTL, bind to
// device; images/speaker/src/native) can replace plain net.Socket without the session knowing.
import net from 'node:net';

/** What a dial needs. Options the transport cannot honour make it reject with a clear error. */
export interface DialOptions {
  remoteAddress: string;
  remotePort: number;
  localAddress?: string;
  /** TCP-MD5 key (RFC 2385). */
  md5Key?: string;
  /** IP TTL / hop limit of our segments: 1 for single-hop eBGP, N for multihop, 255 for GTSM. */
  ttl?: number;
  /** Lowest TTL accepted from the peer (GTSM, RFC 5082). */
  minTtl?: number;
  bindToDevice?: string;
  signal: AbortSignal;
}

/** Opens a connected socket or rejects; must destroy the socket when `signal` aborts. */
export type Dialer = (opts: DialOptions) => Promise<net.Socket>;

/** Thrown for options plain Node.js sockets cannot provide. */
export class TransportUnsupportedError extends Error {
  override readonly name = 'TransportUnsupportedError';
  readonly code = 'BGP_TRANSPORT_UNSUPPORTED';
}

/**
 * Plain net.Socket dialer. Node.js cannot set TCP_MD5SIG, so a password is refused; TTL and
 * minimum TTL are left at the kernel default (peers without GTSM accept that).
 */
export const plainDialer: Dialer = (opts) =>
  new Promise((resolve, reject) => {
    if (opts.md5Key) {
      reject(new TransportUnsupportedError('TCP-MD5 needs the native socket shim, which is not available'));
      return;
    }
    if (opts.bindToDevice) {
      reject(new TransportUnsupportedError('binding to a device needs the native socket shim, which is not available'));
      return;
    }
    if (opts.minTtl !== undefined) {
      // GTSM is a protection the user asked for: never run the session without it.
      reject(new TransportUnsupportedError('GTSM (minimum TTL) needs the native socket shim, which is not available'));
      return;
    }
    const socket = net.connect({
      host: opts.remoteAddress,
      port: opts.remotePort,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    const onAbort = () => {
      socket.destroy();
      reject(new Error('dial aborted'));
    };
    if (opts.signal.aborted) return onAbort();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      opts.signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (err: Error) => {
      opts.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
  });

/**
 * The native shim's dialer (images/speaker/src/native): TCP-MD5, TTL, minimum TTL and device
 * binding. Loaded lazily so that a speaker without the addon still runs plain sessions.
 */
export async function nativeDialer(opts: DialOptions): Promise<net.Socket> {
  const native = await import('../native/index.ts');
  return native.connectTcp({
    host: opts.remoteAddress,
    port: opts.remotePort,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    ...(opts.md5Key ? { md5Key: opts.md5Key } : {}),
    ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}),
    ...(opts.minTtl !== undefined ? { minTtl: opts.minTtl } : {}),
    ...(opts.bindToDevice ? { bindDevice: opts.bindToDevice } : {}),
    signal: opts.signal,
  });
}

let nativeAvailable: boolean | undefined;

async function hasNative(): Promise<boolean> {
  if (nativeAvailable === undefined) {
    try {
      const native = await import('../native/index.ts');
      native.nativeShim();
      nativeAvailable = true;
    } catch {
      nativeAvailable = false;
    }
  }
  return nativeAvailable;
}

/** The native dialer when the addon loads (eBGP TTL 1, MD5), else plain net.Socket. */
export const defaultDialer: Dialer = async (opts) => ((await hasNative()) ? nativeDialer(opts) : plainDialer(opts));
