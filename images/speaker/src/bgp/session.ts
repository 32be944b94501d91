// One BGP session: runs the pure FSM against a real socket and real timers, and keeps the peer's
// Adj-RIB-Out in line with the desired advertisements.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { formatIP, tryParseIP, type IPAddress, type IPFamily } from '../../../../lib/net/index.ts';
import type { Advertisement } from './advertisement.ts';
import { AdjRibOut, type RouteGroup } from './adj-rib-out.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { AsPathSegmentType, Origin } from './codec/constants.ts';
import { BgpError } from './codec/errors.ts';
import { Framer } from './codec/header.ts';
import { decodeFrame, encodeMessage } from './codec/message.ts';
import { describeNotification, readShutdownCommunication } from './codec/notification.ts';
import { DEFAULT_CONTEXT, type CodecContext, type PathAttributes } from './codec/types.ts';
import { encodeEndOfRib, packAnnouncements, packWithdrawals } from './codec/update.ts';
import { initialPeerState, step } from './fsm/fsm.ts';
import { sendHoldTimeMs } from './fsm/timers.ts';
import type { FsmAction, FsmContext, FsmEvent, FsmStateName, PeerState, TimerName } from './fsm/types.ts';
import type { Logger } from './logger.ts';
import type { BgpMetrics } from './metrics.ts';
import { minTtlFor, ttlFor, type Peer } from './peer-config.ts';
import type { Dialer } from './transport.ts';

/** A BFD session as the BGP session sees it (images/speaker/src/bfd provides the real one). */
export interface BfdWatch {
  on(event: 'down', listener: () => void): unknown;
  /** A BFD packet from the peer was discarded; `reason` names why (counted in a metric). */
  on(event: 'dropped', listener: (reason: string) => void): unknown;
  close(): void;
}

/** What a session needs from the outside world. */
export interface SessionDeps {
  dialer: Dialer;
  clock: Clock;
  random: () => number;
  logger: Logger;
  metrics?: BgpMetrics;
  /** Router ID when neither configured nor an IPv4 local address (derived from the node name). */
  fallbackRouterId: number;
  /** Set the GR R bit in the first OPEN (the speaker process just started). */
  restarting: boolean;
  /** Coalesce desired-state changes for this long before sending UPDATEs. */
  debounceMs: number;
  /** Starts BFD towards the peer once the session is up (local address known); undefined = no BFD. */
  startBfd?: (local: IPAddress) => BfdWatch;
}

/** A snapshot for status pages and tests. */
export interface SessionStatus {
  peer: string;
  state: FsmStateName;
  lastDownReason?: string;
  holdTimeSec?: number;
  announced: number;
  pending: number;
  receivedPrefixes: number;
  updatesSent: number;
}

type ShellTimer = TimerName | 'sendHold' | 'flush';

const TIMER_EVENT: Record<TimerName, FsmEvent['type']> = {
  connectRetry: 'connectRetryTimerExpires',
  hold: 'holdTimerExpires',
  keepalive: 'keepaliveTimerExpires',
  idleHold: 'idleHoldTimerExpires',
};

/** Reads a socket's local address; IPv4-mapped IPv6 ("::ffff:a.b.c.d") becomes IPv4. */
function localAddressOf(socket: net.Socket): IPAddress | undefined {
  const raw = socket.localAddress ?? '';
  return tryParseIP(raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw);
}

/**
 * A BGP session with one peer. `start` dials (or waits, passive), `setAdvertisements` replaces the
 * desired routes, `stop` closes. Emits 'state' (next, previous, reason) on every FSM state change.
 */
export class BgpSession extends EventEmitter {
  readonly peer: Peer;
  readonly name: string;
  #deps: SessionDeps;
  #ctx: FsmContext;
  #state: PeerState;
  #log: Logger;
  #timers = new Map<ShellTimer, TimerHandle>();
  #socket: net.Socket | undefined;
  #closing = new Set<Promise<void>>();
  #dial: AbortController | undefined;
  #framer = new Framer();
  #codec: CodecContext = DEFAULT_CONTEXT;
  #rib = new AdjRibOut();
  #bfd: BfdWatch | undefined;
  #queue: FsmEvent[] = [];
  #dispatching = false;
  #receivedPrefixes = 0;
  #updatesSent = 0;

  constructor(peer: Peer, deps: SessionDeps) {
    super();
    this.peer = peer;
    this.name = formatIP(peer.address);
    this.#deps = deps;
    this.#log = deps.logger.child({ peer: this.name });
    this.#ctx = {
      config: {
        localAs: peer.myAsn,
        peerAs: peer.asn,
        families: [peer.address.family],
        holdTimeSec: peer.holdTimeSec,
        ...(peer.routerId ? { routerId: Number(peer.routerId.value) } : peer.sourceAddress?.family === 4 ? { routerId: Number(peer.sourceAddress.value) } : {}),
        fallbackRouterId: deps.fallbackRouterId,
        connectRetrySec: peer.connectRetrySec,
        connectRetryMaxSec: 60,
        passive: peer.passive,
        ...(peer.gracefulRestart ? { gracefulRestart: { restartTimeSec: peer.restartTimeSec } } : {}),
        minHoldTimeSec: 3,
      },
      random: deps.random,
    };
    this.#state = initialPeerState(deps.restarting && peer.gracefulRestart);
    this.#updateGauges();
  }

  get state(): FsmStateName {
    return this.#state.state;
  }

  status(): SessionStatus {
    return {
      peer: this.name,
      state: this.#state.state,
      ...(this.#state.lastDownReason ? { lastDownReason: this.#state.lastDownReason } : {}),
      ...(this.#state.negotiated ? { holdTimeSec: this.#state.negotiated.holdTimeSec } : {}),
      announced: this.#rib.sentCount,
      pending: this.#rib.pendingCount,
      receivedPrefixes: this.#receivedPrefixes,
      updatesSent: this.#updatesSent,
    };
  }

  start(): void {
    this.#dispatch({ type: 'manualStart' });
  }

  /**
   * Closes the session: Cease (default Administrative Shutdown), or with `graceful` and GR
   * negotiated a bare close so that the peer keeps our routes while we restart.
   */
  async stop(opts: { graceful?: boolean; subcode?: number; message?: string } = {}): Promise<void> {
    this.#dispatch({ type: 'manualStop', ...opts });
    this.#cancelTimer('idleHold');
    await Promise.all([...this.#closing]);
  }

  /** Replaces the desired routes; the difference goes out after the debounce interval. */
  setAdvertisements(advertisements: readonly Advertisement[]): void {
    this.#rib.set(advertisements.filter((a) => a.prefix.address.family === this.peer.address.family));
    if (this.#state.state === 'Established' && !this.#timers.has('flush')) {
      this.#startTimer('flush', this.#deps.debounceMs, () => this.#flush());
    }
    this.#updateGauges();
  }

  /** Hands over a connection the peer opened to us (passive side); refused unless we are waiting for one. */
  accept(socket: net.Socket): boolean {
    if (this.#state.state !== 'Active' && this.#state.state !== 'Connect') {
      socket.destroy();
      return false;
    }
    this.#abortDial();
    const local = localAddressOf(socket);
    if (!local) {
      socket.destroy();
      return false;
    }
    this.#attach(socket);
    this.#dispatch({ type: 'tcpConnectionConfirmed', localAddress: local });
    return true;
  }

  #dispatch(e: FsmEvent): void {
    this.#queue.push(e);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let ev = this.#queue.shift(); ev; ev = this.#queue.shift()) {
        const prev = this.#state;
        const t = step(prev, ev, this.#ctx);
        this.#state = t.next;
        if (t.next.negotiated && t.next.negotiated !== prev.negotiated) {
          this.#codec = { fourOctetAs: t.next.negotiated.fourOctetAs, extendedMessage: t.next.negotiated.extendedMessage };
          this.#framer.setExtendedMessage(t.next.negotiated.extendedMessage);
        }
        for (const a of t.actions) this.#run(a);
        if (prev.state !== t.next.state) this.#changed(prev.state, t.next.state, t.reason);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #changed(prev: FsmStateName, next: FsmStateName, reason: string | undefined): void {
    const m = this.#deps.metrics;
    if (next === 'Established') this.#startBfd();
    if (prev === 'Established') this.#stopBfd();
    if (next === 'Established') {
      this.#log.info({ holdTimeSec: this.#state.negotiated?.holdTimeSec, peerAs: this.#state.negotiated?.peerAs }, 'session established');
    } else if (prev === 'Established') {
      this.#log.warn({ reason }, 'session down');
      m?.sessionFlaps.inc({ peer: this.name, reason: reason ?? 'unknown' });
    } else {
      this.#log.debug({ from: prev, to: next, reason }, 'state change');
    }
    m?.sessionUp.set({ peer: this.name }, next === 'Established' ? 1 : 0);
    this.#updateGauges();
    this.emit('state', next, prev, reason);
  }

  #run(a: FsmAction): void {
    switch (a.type) {
      case 'connect':
        return this.#connect();
      case 'disconnect':
        return this.#disconnect();
      case 'send':
        this.#write(encodeMessage(a.message, this.#codec));
        return;
      case 'startTimer': {
        const event = TIMER_EVENT[a.timer];
        this.#startTimer(a.timer, a.ms, () => this.#dispatch({ type: event } as FsmEvent));
        return;
      }
      case 'stopTimer':
        return this.#cancelTimer(a.timer);
      case 'announceAll':
        this.#cancelTimer('flush');
        this.#flush();
        for (const f of this.#state.negotiated?.families ?? []) this.#write(encodeEndOfRib(f, this.#codec));
        return;
      case 'replayAdjRibOut':
        for (const g of this.#rib.sentGroups(a.family)) this.#sendGroup(a.family, g);
        return;
      case 'routesReceived':
        this.#receivedPrefixes += a.announced;
        this.#deps.metrics?.receivedPrefixes.inc({ peer: this.name }, a.announced);
        return;
      case 'updateProblems':
        this.#deps.metrics?.updateErrors.inc({ peer: this.name, handling: a.handling });
        this.#log.warn({ handling: a.handling, problems: a.problems.map((p) => p.message) }, 'malformed UPDATE tolerated (RFC 7606)');
        return;
      case 'notificationReceived': {
        const n = a.notification;
        this.#deps.metrics?.notificationsReceived.inc({ peer: this.name, code: n.code, subcode: n.subcode });
        this.#log.warn({ code: n.code, subcode: n.subcode, text: readShutdownCommunication(n) }, `NOTIFICATION received: ${describeNotification(n)}`);
        return;
      }
      case 'notificationSent': {
        const n = a.notification;
        this.#deps.metrics?.notificationsSent.inc({ peer: this.name, code: n.code, subcode: n.subcode });
        this.#log.warn({ code: n.code, subcode: n.subcode }, `NOTIFICATION sent: ${describeNotification(n)}`);
        return;
      }
    }
  }

  #startBfd(): void {
    const local = this.#state.localAddress;
    if (!this.#deps.startBfd || !local) return;
    try {
      const bfd = this.#deps.startBfd(local);
      bfd.on('down', () => {
        if (this.#bfd === bfd) this.#dispatch({ type: 'bfdDown' });
      });
      bfd.on('dropped', (reason) => this.#deps.metrics?.bfdPacketsDropped.inc({ peer: this.name, reason }));
      this.#bfd = bfd;
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'BFD could not start; the session runs without it');
    }
  }

  #stopBfd(): void {
    this.#bfd?.close();
    this.#bfd = undefined;
  }

  #startTimer(name: ShellTimer, ms: number, fire: () => void): void {
    this.#cancelTimer(name);
    this.#timers.set(
      name,
      this.#deps.clock.setTimer(ms, () => {
        this.#timers.delete(name);
        fire();
      }),
    );
  }

  #cancelTimer(name: ShellTimer): void {
    this.#timers.get(name)?.cancel();
    this.#timers.delete(name);
  }

  #connect(): void {
    this.#abortDial();
    const ac = new AbortController();
    this.#dial = ac;
    const p = this.peer;
    const ttl = ttlFor(p);
    const minTtl = minTtlFor(p);
    this.#deps
      .dialer({
        remoteAddress: formatIP(p.address),
        remotePort: p.port,
        ...(p.sourceAddress ? { localAddress: formatIP(p.sourceAddress) } : {}),
        ...(p.password ? { md5Key: p.password } : {}),
        ...(ttl !== undefined ? { ttl } : {}),
        ...(minTtl !== undefined ? { minTtl } : {}),
        signal: ac.signal,
      })
      .then(
        (socket) => {
          if (ac.signal.aborted) {
            socket.destroy();
            return;
          }
          this.#dial = undefined;
          const local = localAddressOf(socket);
          if (!local) {
            socket.destroy();
            this.#dispatch({ type: 'tcpConnectionFails', reason: 'socket has no local address' });
            return;
          }
          this.#attach(socket);
          this.#dispatch({ type: 'tcpConnectionConfirmed', localAddress: local });
        },
        (err: Error) => {
          if (ac.signal.aborted) return;
          this.#dial = undefined;
          const hint = p.password && /ETIMEDOUT|aborted/.test(err.message) ? ' (TCP-MD5 configured: a key mismatch looks like this)' : '';
          this.#log.debug({ err: err.message }, `connect failed${hint}`);
          this.#dispatch({ type: 'tcpConnectionFails', reason: err.message });
        },
      );
  }

  #abortDial(): void {
    this.#dial?.abort();
    this.#dial = undefined;
  }

  #attach(socket: net.Socket): void {
    this.#socket = socket;
    this.#framer = new Framer();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket === socket) this.#receive(chunk);
    });
    socket.on('drain', () => this.#cancelTimer('sendHold'));
    socket.on('error', (err) => this.#log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#dispatch({ type: 'tcpConnectionFails', reason: 'connection closed' });
    });
  }

  #receive(chunk: Buffer): void {
    for (const item of this.#framer.push(chunk)) {
      if (this.#socket === undefined) return;
      if (item instanceof BgpError) {
        this.#dispatch({ type: 'messageError', error: item });
        return;
      }
      const d = decodeFrame(item, this.#codec);
      if (!d.ok) {
        this.#dispatch({ type: 'messageError', error: d.error });
        return;
      }
      const m = d.message;
      switch (m.type) {
        case 'open':
          this.#dispatch({ type: 'bgpOpen', open: m });
          break;
        case 'update':
          this.#dispatch({ type: 'updateMsg', update: m, handling: d.handling, problems: d.problems });
          break;
        case 'notification':
          this.#dispatch({ type: 'notifMsg', notification: m });
          break;
        case 'keepalive':
          this.#dispatch({ type: 'keepAliveMsg' });
          break;
        case 'routeRefresh':
          this.#dispatch({ type: 'routeRefreshMsg', afi: m.afi, safi: m.safi });
          break;
      }
    }
  }

  #write(buf: Buffer): void {
    const s = this.#socket;
    if (!s || s.destroyed) return;
    if (buf[18] === 2) {
      this.#updatesSent++;
      this.#deps.metrics?.updatesSent.inc({ peer: this.name });
    }
    if (!s.write(buf) && !this.#timers.has('sendHold')) {
      // RFC 9687: a peer that reads nothing for SendHoldTime is declared dead.
      this.#startTimer('sendHold', sendHoldTimeMs(this.#state.negotiated?.holdTimeSec ?? 90), () => this.#dispatch({ type: 'sendHoldTimerExpires' }));
    }
  }

  #disconnect(): void {
    this.#abortDial();
    this.#cancelTimer('sendHold');
    this.#cancelTimer('flush');
    this.#rib.reset();
    this.#codec = DEFAULT_CONTEXT;
    const s = this.#socket;
    this.#socket = undefined;
    if (!s) return;
    // end() flushes a NOTIFICATION written just before; destroy() if the peer never closes.
    const closed = new Promise<void>((resolve) => {
      if (s.destroyed) return resolve();
      const t = setTimeout(() => s.destroy(), 1000);
      s.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      s.end();
    });
    this.#closing.add(closed);
    void closed.then(() => this.#closing.delete(closed));
  }

  #attributes(g: RouteGroup): PathAttributes {
    const r = g.sample.attrs;
    const ebgp = this.peer.asn !== this.peer.myAsn;
    return {
      origin: Origin.IGP,
      // RFC 4271 §5.1.2: our AS on eBGP, an empty path on iBGP.
      asPath: ebgp ? [{ segmentType: AsPathSegmentType.AS_SEQUENCE, asns: [this.peer.myAsn] }] : [],
      ...(r.med !== undefined ? { med: r.med } : {}),
      // RFC 4271 §5.1.5: LOCAL_PREF on iBGP only, where it must be present.
      ...(ebgp ? {} : { localPref: r.localPref ?? 100 }),
      communities: [...r.communities],
      largeCommunities: [...r.largeCommunities],
      extendedCommunities: [...r.extendedCommunities],
    };
  }

  #sendGroup(family: IPFamily, g: RouteGroup): void {
    const nextHop = this.#state.localAddress;
    if (!nextHop || nextHop.family !== family) return;
    for (const m of packAnnouncements(family, g.prefixes, this.#attributes(g), [nextHop], this.#codec)) this.#write(m);
  }

  /** Sends the difference between desired and sent routes. */
  #flush(): void {
    if (this.#state.state !== 'Established') return;
    for (const c of this.#rib.takeChanges(this.#state.negotiated?.families ?? [])) {
      if (c.withdraw.length > 0) for (const m of packWithdrawals(c.family, c.withdraw, this.#codec)) this.#write(m);
      for (const g of c.announce) this.#sendGroup(c.family, g);
    }
    this.#updateGauges();
  }

  #updateGauges(): void {
    const m = this.#deps.metrics;
    if (!m) return;
    m.announcedPrefixes.set({ peer: this.name }, this.#rib.sentCount);
    m.pendingPrefixes.set({ peer: this.name }, this.#rib.pendingCount);
    m.sessionUp.set({ peer: this.name }, this.#state.state === 'Established' ? 1 : 0);
  }
}
