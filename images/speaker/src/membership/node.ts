// The membership shell: a UDP socket that sends our heartbeats to every peer and feeds received
// ones to the pure MembershipView. Emits `change` with the live set whenever it changes.
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { MembershipView, type ApplyResult, type MembershipTiming } from './view.ts';
import { decodeHeartbeat, encodeHeartbeat, type HeartbeatRejectReason } from './wire.ts';

/** A peer speaker and where its heartbeats go. */
export interface PeerAddress {
  node: string;
  address: string;
}

/** Counters the shell reports (the metrics module turns them into Prometheus series). */
export interface MembershipObserver {
  received(result: ApplyResult | HeartbeatRejectReason): void;
  sent(): void;
  sendError(peer: string): void;
}

/** Options of `Membership`. */
export interface MembershipOptions {
  self: string;
  address: string;
  port: number;
  peers: readonly PeerAddress[];
  /** Accepted HMAC keys, the one we sign with first (DESIGN §5: current and previous). */
  keys: readonly Uint8Array[];
  timing: MembershipTiming;
  log: Logger;
  now?: () => number;
  observer?: MembershipObserver;
}

/** Authenticated heartbeats over UDP; `live()` is the current live set, self included. */
export class Membership extends EventEmitter<{ change: [string[]] }> {
  readonly view: MembershipView;
  #opts: MembershipOptions;
  #peers: PeerAddress[];
  #keys: readonly Uint8Array[];
  #socket: Socket | undefined;
  #incarnation = randomBytes(8).readBigUInt64BE(0);
  #seq = 0n;
  #sendTimer: NodeJS.Timeout | undefined;
  #checkTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  #lastLive = '';
  #now: () => number;

  constructor(opts: MembershipOptions) {
    super();
    this.#opts = opts;
    this.#peers = [...opts.peers];
    this.#keys = opts.keys;
    this.#now = opts.now ?? (() => performance.now());
    this.view = new MembershipView(opts.self, opts.peers.map((p) => p.node), opts.timing);
  }

  /** Binds the socket and starts sending; resolves once bound (rejects with context on failure). */
  async start(): Promise<void> {
    const type = this.#opts.address.includes(':') ? 'udp6' : 'udp4';
    const sock = createSocket({ type, reuseAddr: true });
    this.#socket = sock;
    sock.on('message', (msg) => this.#onMessage(msg));
    sock.on('error', (err) => this.#opts.log.error({ err }, 'membership socket error'));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (err) => reject(new Error(`membership: cannot bind ${this.#opts.address}:${this.#opts.port}: ${err.message}`, { cause: err })));
      sock.bind(this.#opts.port, this.#opts.address, () => resolve());
    });
    this.#lastLive = this.live().join(',');
    this.#sendAll(false);
    this.#sendTimer = setInterval(() => this.#sendAll(false), this.#opts.timing.intervalMs);
    // A backstop: #check also arms a timer for the exact next expiry.
    this.#checkTimer = setInterval(() => this.#check(), Math.max(5, Math.min(25, this.#opts.timing.intervalMs / 2)));
  }

  /** Live nodes now, self included, sorted. */
  live(): string[] {
    return this.view.live(this.#now());
  }

  /** Whether a node is live now. */
  isLive(node: string): boolean {
    return this.view.isLive(node, this.#now());
  }

  /** Replaces peers (Kubernetes mode: nodes come and go) and keys (deliberate rotation). */
  update(peers: readonly PeerAddress[], keys?: readonly Uint8Array[]): void {
    this.#peers = [...peers];
    this.view.setPeers(peers.map((p) => p.node));
    if (keys) this.#keys = keys;
    this.#check();
  }

  /** Graceful leave (DESIGN §2.1 SIGTERM): tells every peer at once, twice against loss, then stops. */
  async leave(): Promise<void> {
    this.#stopTimers();
    this.#sendAll(true);
    this.#sendAll(true);
    await new Promise((r) => setTimeout(r, 5));
    this.close();
  }

  /** Stops without telling anyone (tests of hard failure use SIGKILL instead). */
  close(): void {
    this.#stopTimers();
    try { this.#socket?.close(); } catch { /* already closed */ }
    this.#socket = undefined;
  }

  #stopTimers(): void {
    clearInterval(this.#sendTimer);
    clearInterval(this.#checkTimer);
    clearTimeout(this.#expiryTimer);
  }

  #sendAll(leave: boolean): void {
    const sock = this.#socket;
    const key = this.#keys[0];
    if (!sock || !key) return;
    this.#seq += 1n;
    const pkt = encodeHeartbeat({ node: this.#opts.self, incarnation: this.#incarnation, seq: this.#seq, leave }, key);
    for (const p of this.#peers) {
      if (p.node === this.#opts.self) continue;
      sock.send(pkt, this.#opts.port, p.address, (err) => {
        if (err) this.#opts.observer?.sendError(p.node);
        else this.#opts.observer?.sent();
      });
    }
  }

  #onMessage(msg: Buffer): void {
    const hb = decodeHeartbeat(msg, this.#keys);
    if ('error' in hb) {
      this.#opts.observer?.received(hb.error);
      return;
    }
    const r = this.view.apply(hb, this.#now());
    this.#opts.observer?.received(r);
    if (r === 'accepted') this.#check();
  }

  #check(): void {
    // Wake up exactly when the next live peer would expire (the polling timer is the backstop).
    clearTimeout(this.#expiryTimer);
    const next = this.view.nextExpiryMs(this.#now());
    if (next !== undefined && this.#socket) this.#expiryTimer = setTimeout(() => this.#check(), Math.max(0, next - this.#now()) + 1);
    const live = this.live();
    const key = live.join(',');
    if (key === this.#lastLive) return;
    this.#lastLive = key;
    this.emit('change', live);
  }
}
