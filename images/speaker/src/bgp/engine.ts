// The BGP engine: one session per peer, desired state in (whole), sessions and UPDATEs out.
import { EventEmitter } from 'node:events';
import netModule from 'node:net';
import type net from 'node:net';
import { Registry } from 'prom-client';
import { formatIP, tryParseIP, type IPAddress } from '../../../../lib/net/index.ts';
import type { Advertisement } from './advertisement.ts';
import { systemClock, type Clock } from './clock.ts';
import { CeaseSubcode } from './codec/constants.ts';
import { routerIdFromName } from './fsm/router-id.ts';
import { silentLogger, type Logger } from './logger.ts';
import { BgpMetrics } from './metrics.ts';
import { normalizePeer, peerKey, sessionIdentity, type Peer, type PeerSpec } from './peer-config.ts';
import { BgpSession, type BfdWatch, type SessionStatus } from './session.ts';
import { defaultDialer, type Dialer } from './transport.ts';

/** One peer of the desired state with the routes it should receive. */
export interface DesiredPeer {
  spec: PeerSpec;
  advertisements: Advertisement[];
}

export interface BgpEngineOptions {
  /** This node's name: router ID of last resort (crc32, as MetalLB does). */
  nodeName: string;
  dialer?: Dialer;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Where metrics go: the speaker's registry, or a fresh one. */
  registry?: Registry;
  /** Coalesce desired-state changes for this long (default 50 ms). */
  debounceMs?: number;
  /** Starts BFD for a peer that asks for it (images/speaker/src/bfd); absent = BFD unavailable. */
  startBfd?: (peer: Peer, local: IPAddress) => BfdWatch;
}

interface Entry {
  session: BgpSession;
  identity: string;
}

/**
 * Takes the whole desired BGP state and converges: new peers get a session, removed peers get
 * Cease/Peer De-configured, peers whose session parameters changed are restarted with
 * Cease/Other Configuration Change, and every session's Adj-RIB-Out is replaced. Emits 'state'
 * (peer, next, previous, reason) for every session state change.
 */
export class BgpEngine extends EventEmitter {
  readonly metrics: BgpMetrics;
  #o: Required<Omit<BgpEngineOptions, 'startBfd' | 'registry'>> & Pick<BgpEngineOptions, 'startBfd'>;
  #sessions = new Map<string, Entry>();
  #first = true;
  #stopped = false;

  constructor(opts: BgpEngineOptions) {
    super();
    this.#o = {
      nodeName: opts.nodeName,
      dialer: opts.dialer ?? defaultDialer,
      clock: opts.clock ?? systemClock,
      random: opts.random ?? Math.random,
      logger: opts.logger ?? silentLogger,
      debounceMs: opts.debounceMs ?? 50,
      ...(opts.startBfd ? { startBfd: opts.startBfd } : {}),
    };
    this.metrics = new BgpMetrics(opts.registry ?? new Registry());
  }

  /** Replaces the desired state. */
  set(peers: readonly DesiredPeer[]): void {
    if (this.#stopped) return;
    const wanted = new Map<string, DesiredPeer>();
    for (const p of peers) wanted.set(peerKey(p.spec), p);
    for (const [key, e] of this.#sessions) {
      if (!wanted.has(key)) {
        this.#sessions.delete(key);
        const name = e.session.name;
        void e.session.stop({ subcode: CeaseSubcode.PEER_DECONFIGURED }).then(() => {
          if (![...this.#sessions.values()].some((x) => x.session.name === name)) this.metrics.forget(name);
        });
      }
    }
    // R bit only for sessions of the first desired state after start (RFC 4724 §4.1: we restarted).
    const restarting = this.#first;
    this.#first = false;
    const ribs: [BgpSession, Advertisement[]][] = [];
    for (const [key, p] of wanted) {
      const peer = normalizePeer(p.spec);
      const identity = sessionIdentity(peer);
      let e = this.#sessions.get(key);
      if (e && e.identity !== identity) {
        void e.session.stop({ subcode: CeaseSubcode.OTHER_CONFIGURATION_CHANGE });
        e = undefined;
      }
      if (!e) {
        e = { session: this.#newSession(peer, restarting), identity };
        this.#sessions.set(key, e);
        e.session.start();
      }
      ribs.push([e.session, p.advertisements]);
    }
    // Every new session dials before any Adj-RIB-Out is built (10k+ routes take a while): the TCP
    // handshakes and OPEN exchanges overlap with that work; routes go out on the flush after
    // Established, when they are long ready.
    for (const [session, advertisements] of ribs) session.setAdvertisements(advertisements);
  }

  #newSession(peer: Peer, restarting: boolean): BgpSession {
    const startBfd = this.#o.startBfd;
    const session = new BgpSession(peer, {
      dialer: this.#o.dialer,
      clock: this.#o.clock,
      random: this.#o.random,
      logger: this.#o.logger,
      metrics: this.metrics,
      fallbackRouterId: routerIdFromName(this.#o.nodeName),
      restarting,
      debounceMs: this.#o.debounceMs,
      ...(peer.bfd && startBfd ? { startBfd: (local: IPAddress) => startBfd(peer, local) } : {}),
    });
    session.on('state', (next: string, prev: string, reason?: string) => this.emit('state', session.name, next, prev, reason));
    return session;
  }

  /**
   * A connection the peer opened; handed to that peer's session if it is waiting (Connect or
   * Active: an outgoing attempt is abandoned), refused otherwise. Collision detection of RFC 4271
   * §6.8 is not implemented: a session past Connect keeps its connection and the new one is closed
   * (as GoBGP does).
   */
  accept(socket: net.Socket): boolean {
    const raw = socket.remoteAddress ?? '';
    const remote = tryParseIP(raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw);
    const e = remote ? [...this.#sessions.values()].find((x) => x.session.name === formatIP(remote)) : undefined;
    if (e && e.session.accept(socket)) return true;
    this.#o.logger.info({ remote: raw }, 'incoming BGP connection refused: no session waits for this peer');
    socket.destroy();
    return false;
  }

  /**
   * Listens for peers that connect to us (optional; sessions dial out anyway, `passive` peers only
   * wait). With TCP-MD5 passwords the listener comes from the native shim, which installs each
   * peer's key on the listening socket; without, a plain net.Server.
   */
  async listen(opts: { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }> {
    const onConnection = (socket: net.Socket) => void this.accept(socket);
    const keys = [...this.#sessions.values()].filter((e) => e.session.peer.password).map((e) => ({ address: e.session.name, key: e.session.peer.password ?? '' }));
    if (keys.length > 0) {
      const native = await import('../native/index.ts');
      const l = await native.listenTcp({ host: opts.host, port: opts.port, md5Keys: keys }, onConnection);
      return { port: (l.server.address() as net.AddressInfo).port, close: () => l.close() };
    }
    const server = netModule.createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
    return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  status(): SessionStatus[] {
    return [...this.#sessions.values()].map((e) => e.session.status());
  }

  session(key: string): BgpSession | undefined {
    return this.#sessions.get(key)?.session;
  }

  /**
   * Stops every session (DESIGN §2.1 SIGTERM): Cease/Administrative Shutdown, except that peers with
   * graceful restart are left without NOTIFICATION so that they keep our routes for the restart time.
   */
  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(all.map((e) => e.session.stop({ graceful: (opts.graceful ?? true) && e.session.peer.gracefulRestart })));
  }
}
