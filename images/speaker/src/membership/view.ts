// The membership view: who is live, from accepted heartbeats and a clock passed in (`nowMs`).
// Pure: no sockets, no timers; the shell (node.ts) feeds it packets and ticks.
//
// Replay protection without synchronised clocks (DESIGN §5): per sender we keep the current
// incarnation and the highest sequence seen in it. A heartbeat is fresh only if its sequence is
// higher, or if it carries an incarnation never seen before (the sender restarted; incarnations
// are random, so they have no order). Past incarnations of each sender are remembered (bounded),
// so a recorded packet from before a restart cannot bring an old incarnation back.
import type { Heartbeat } from './wire.ts';

const RETIRED_PER_PEER = 64;

/** Timers of the failure detector. */
export interface MembershipTiming {
  intervalMs: number;
  multiplier: number;
}

/** Why a verified heartbeat was not applied. */
export type ApplyResult = 'accepted' | 'replay' | 'unknown-peer' | 'self';

interface PeerState {
  incarnation: bigint;
  seq: bigint;
  lastHeardMs: number;
  left: boolean;
  retired: bigint[];
}

/** Liveness of the configured peers as seen by `self`. */
export class MembershipView {
  readonly self: string;
  #peers = new Set<string>();
  #state = new Map<string, PeerState>();
  #timing: MembershipTiming;

  constructor(self: string, peers: Iterable<string>, timing: MembershipTiming) {
    this.self = self;
    this.#timing = timing;
    this.setPeers(peers);
  }

  /** Detection time: a peer silent for this long is dead. */
  get detectionMs(): number {
    return this.#timing.intervalMs * this.#timing.multiplier;
  }

  /** Replaces the peer list (nodes no longer listed are forgotten). */
  setPeers(peers: Iterable<string>): void {
    this.#peers = new Set([...peers].filter((p) => p !== this.self));
    for (const p of this.#state.keys()) if (!this.#peers.has(p)) this.#state.delete(p);
  }

  /** Changes the timers (a new ConfigMap); liveness is re-judged at the next `live()`. */
  setTiming(timing: MembershipTiming): void {
    this.#timing = timing;
  }

  /** Applies an authenticated heartbeat received at `nowMs`. */
  apply(hb: Heartbeat, nowMs: number): ApplyResult {
    if (hb.node === this.self) return 'self';
    if (!this.#peers.has(hb.node)) return 'unknown-peer';
    const st = this.#state.get(hb.node);
    if (st === undefined) {
      this.#state.set(hb.node, { incarnation: hb.incarnation, seq: hb.seq, lastHeardMs: nowMs, left: hb.leave, retired: [] });
      return 'accepted';
    }
    if (hb.incarnation === st.incarnation) {
      if (hb.seq <= st.seq) return 'replay';
    } else {
      if (st.retired.includes(hb.incarnation)) return 'replay';
      st.retired.push(st.incarnation);
      if (st.retired.length > RETIRED_PER_PEER) st.retired.shift();
      st.incarnation = hb.incarnation;
    }
    st.seq = hb.seq;
    st.lastHeardMs = nowMs;
    st.left = hb.leave;
    return 'accepted';
  }

  /** Whether `node` is live at `nowMs` (self always is). */
  isLive(node: string, nowMs: number): boolean {
    if (node === this.self) return true;
    const st = this.#state.get(node);
    return st !== undefined && !st.left && nowMs - st.lastHeardMs < this.detectionMs;
  }

  /** Live nodes at `nowMs`, self included, sorted. */
  live(nowMs: number): string[] {
    return [this.self, ...[...this.#peers].filter((p) => this.isLive(p, nowMs))].sort();
  }

  /** Earliest time after `nowMs` at which some live peer would turn dead (for the shell's timer). */
  nextExpiryMs(nowMs: number): number | undefined {
    let next: number | undefined;
    for (const [p, st] of this.#state) {
      if (!this.isLive(p, nowMs)) continue;
      const t = st.lastHeardMs + this.detectionMs;
      if (next === undefined || t < next) next = t;
    }
    return next;
  }
}

/**
 * The minority rule (DESIGN §5): a speaker answers for a class only while it sees more than half
 * of the class's eligible speakers live, itself included. Classes of one or two nodes cannot tell
 * a partition from a failure and keep answering (availability first). A node that is not itself
 * eligible has no say and never answers.
 */
export function hasQuorum(self: string, eligible: readonly string[], isLive: (node: string) => boolean): boolean {
  if (!eligible.includes(self)) return false;
  if (eligible.length <= 2) return true;
  const live = eligible.filter((n) => n === self || isLive(n)).length;
  return live * 2 > eligible.length;
}
