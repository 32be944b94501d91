// One BFD session (RFC 5880 asynchronous mode; RFC 5881 single hop, RFC 5883 multihop): the shell
// around the pure state machine in fsm.ts. It owns the two timers (periodic transmit, detection),
// checks the TTL of received packets and talks to the network through a BfdTransport.
//
// For the BGP engine (RFC 5882): start a session per peer that asks for BFD once the local address
// is known, and tear the BGP session down on 'down' (Cease subcode 10 "BFD Down", RFC 9384).
import { EventEmitter } from 'node:events';
import {
  BFD_DIAGNOSTICS, BFD_STATE_NAMES, BfdState, decodeControlPacket, encodeControlPacket,
  type BfdDiagnostic, type BfdStateName, type DecodeDrop,
} from './packet.ts';
import {
  detectionTimeExpired, detectionTimeUs, initialVars, jitteredIntervalUs, packetToSend, receivePacket,
  setAdminDown, setParameters, transmitIntervalUs, type BfdAction, type BfdParameters, type BfdStep, type BfdVars,
  type SessionDrop,
} from './fsm.ts';
import type { BfdClock } from './clock.ts';

/** Session configuration; intervals in milliseconds (the static config's `bfd` block, parsed). */
export interface BfdSessionOptions {
  /** Our address (the BGP session's local address). */
  local: string;
  /** The peer's address. */
  peer: string;
  /** Required Min RX: the fastest we accept packets, in ms. */
  receiveInterval: number;
  /** Desired Min TX: how fast we would like to send, in ms. */
  transmitInterval: number;
  /** Detect Mult: packets missed before the peer declares us down. */
  detectMultiplier: number;
  /** RFC 5883 multihop (UDP 4784) instead of RFC 5881 single hop (UDP 3784). */
  multihop?: boolean;
  /** Multihop only: the lowest TTL accepted (RFC 5883 §2; MetalLB's `minimumTtl`). Default 254. */
  minimumTtl?: number;
  /** Single hop: the interface (SO_BINDTODEVICE), required for IPv6 link-local peers. */
  interface?: string;
}

/** Where a session sends and receives; see transport.ts for the UDP implementation. */
export interface BfdEndpoint {
  local: string;
  peer: string;
  multihop: boolean;
  interface?: string;
}

/** A session's attachment to the network. */
export interface BfdLink {
  send(packet: Buffer): void;
  close(): void;
}

/** The network as a session sees it; `receive` gets every datagram from `peer` with its TTL. */
export interface BfdTransport {
  attach(endpoint: BfdEndpoint, receive: (data: Buffer, ttl: number) => void): BfdLink;
}

/** Payload of 'stateChange'. */
export interface BfdStateChange {
  from: BfdStateName;
  to: BfdStateName;
  /** Our diagnostic: why we changed (RFC 5880 §4.1). */
  diagnostic: BfdDiagnostic;
  /** The diagnostic in the peer's packet that caused the change, if a packet did. */
  remoteDiagnostic: BfdDiagnostic;
}

/** Payload of 'down': the session left Up. */
export interface BfdDownEvent {
  diagnostic: BfdDiagnostic;
  remoteDiagnostic: BfdDiagnostic;
}

/** Why a received datagram did not count. */
export type BfdDropReason = DecodeDrop | SessionDrop | 'ttl';

/** Counters of one session (for metrics). */
export interface BfdCounters {
  packetsSent: number;
  packetsReceived: number;
  dropped: Partial<Record<BfdDropReason, number>>;
  upTransitions: number;
  downTransitions: number;
}

interface BfdSessionEvents {
  up: [];
  down: [BfdDownEvent];
  stateChange: [BfdStateChange];
  /** A received packet was discarded (malformed, wrong TTL, or not for this session). */
  dropped: [BfdDropReason];
}

/** Milliseconds from the options to the microseconds of the wire. */
function toParameters(t: Pick<BfdSessionOptions, 'receiveInterval' | 'transmitInterval' | 'detectMultiplier'>): BfdParameters {
  return {
    desiredMinTxUs: Math.round(t.transmitInterval * 1000),
    requiredMinRxUs: Math.round(t.receiveInterval * 1000),
    detectMult: t.detectMultiplier,
  };
}

const inUseDiscriminators = new Set<number>();

/** A random non-zero discriminator unique in this process (RFC 5880 §6.3); probes on collision. */
function allocateDiscriminator(random: () => number): number {
  let d = 1 + Math.floor(random() * 0xfffffffe);
  while (inUseDiscriminators.has(d)) d = d >= 0xffffffff ? 1 : d + 1;
  inUseDiscriminators.add(d);
  return d;
}

/**
 * A BFD session that starts on construction. Emits 'stateChange' on every transition, 'up' when
 * the session reaches Up and 'down' (with the diagnostic) when it leaves Up.
 */
export class BfdSession extends EventEmitter<BfdSessionEvents> {
  readonly options: Readonly<BfdSessionOptions>;
  readonly counters: BfdCounters = { packetsSent: 0, packetsReceived: 0, dropped: {}, upTransitions: 0, downTransitions: 0 };
  #vars: BfdVars;
  #clock: BfdClock;
  #link: BfdLink;
  #txTimer: unknown;
  #txIntervalUs: number | undefined;
  #detectTimer: unknown;
  #closed = false;

  constructor(options: BfdSessionOptions, transport: BfdTransport, clock: BfdClock) {
    super();
    this.options = { ...options };
    const minTtl = options.minimumTtl ?? 254;
    if (!Number.isInteger(minTtl) || minTtl < 1 || minTtl > 255) throw new RangeError(`BFD minimumTtl ${minTtl}: must be 1..255`);
    this.#clock = clock;
    const discr = allocateDiscriminator(() => clock.random());
    try {
      this.#vars = initialVars(discr, toParameters(options));
      this.#link = transport.attach(
        { local: options.local, peer: options.peer, multihop: options.multihop ?? false, interface: options.interface },
        (data, ttl) => this.#receive(data, ttl),
      );
    } catch (err) {
      inUseDiscriminators.delete(discr);
      throw err;
    }
    this.#scheduleTransmit(true);
  }

  /** The current local state. */
  get state(): BfdStateName {
    return BFD_STATE_NAMES[this.#vars.sessionState];
  }

  /** Our discriminator (My Discriminator in our packets). */
  get localDiscriminator(): number {
    return this.#vars.localDiscr;
  }

  /** A read-only copy of the RFC 5880 state variables, for logs and tests. */
  get variables(): Readonly<BfdVars> {
    return { ...this.#vars };
  }

  /**
   * Changes the intervals or multiplier without resetting the session: while Up, a Poll Sequence
   * (RFC 5880 §6.8.3) moves both sides to the new values. Throws RangeError for invalid values.
   */
  setTimers(t: Pick<BfdSessionOptions, 'receiveInterval' | 'transmitInterval' | 'detectMultiplier'>): void {
    if (this.#closed) return;
    this.#apply(setParameters(this.#vars, toParameters(t)));
  }

  /**
   * Stops the session: sends one AdminDown packet (diagnostic 7), so the peer goes Down at once
   * instead of after its detection time, then stops the timers and releases the transport.
   */
  close(): void {
    if (this.#closed) return;
    this.#apply(setAdminDown(this.#vars, true));
    this.#closed = true;
    this.#clock.clearTimeout(this.#txTimer);
    this.#clock.clearTimeout(this.#detectTimer);
    this.#link.close();
    inUseDiscriminators.delete(this.#vars.localDiscr);
  }

  #receive(data: Buffer, ttl: number): void {
    if (this.#closed) return;
    // RFC 5881 §5: without authentication, a single-hop packet MUST be discarded unless its TTL
    // is 255 (so it cannot come from further away). RFC 5883 §5: multihop checks a minimum.
    const minTtl = this.options.multihop ? (this.options.minimumTtl ?? 254) : 255;
    if (ttl < minTtl) return this.#drop('ttl');
    const decoded = decodeControlPacket(data);
    if (!decoded.ok) return this.#drop(decoded.reason);
    const step = receivePacket(this.#vars, decoded.packet);
    if (step.dropped) {
      this.#vars = step.vars;
      return this.#drop(step.dropped);
    }
    this.counters.packetsReceived++;
    this.#apply(step);
  }

  #drop(reason: BfdDropReason): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    this.emit('dropped', reason);
  }

  #apply(step: BfdStep): void {
    this.#vars = step.vars;
    for (const a of step.actions) this.#act(a);
    // A changed pace applies now, not after the (possibly one-second) interval already scheduled:
    // the peer derives its detection time from what we advertise.
    if (transmitIntervalUs(this.#vars) !== this.#txIntervalUs) this.#scheduleTransmit(false);
  }

  #act(a: BfdAction): void {
    switch (a.type) {
      case 'transmitNow':
        this.#transmit(a.final);
        return;
      case 'restartDetectionTimer': {
        this.#clock.clearTimeout(this.#detectTimer);
        const us = detectionTimeUs(this.#vars);
        if (us !== undefined) this.#detectTimer = this.#clock.setTimeout(() => this.#onDetectionTimeout(), us / 1000);
        return;
      }
      case 'stateChanged': {
        const change: BfdStateChange = {
          from: BFD_STATE_NAMES[a.from], to: BFD_STATE_NAMES[a.to],
          diagnostic: BFD_DIAGNOSTICS[a.diagnostic] ?? 'none', remoteDiagnostic: BFD_DIAGNOSTICS[a.remoteDiagnostic] ?? 'none',
        };
        this.emit('stateChange', change);
        if (a.to === BfdState.Up) {
          this.counters.upTransitions++;
          this.emit('up');
        } else if (a.from === BfdState.Up) {
          this.counters.downTransitions++;
          this.emit('down', { diagnostic: change.diagnostic, remoteDiagnostic: change.remoteDiagnostic });
        }
      }
    }
  }

  #onDetectionTimeout(): void {
    this.#detectTimer = undefined;
    if (!this.#closed) this.#apply(detectionTimeExpired(this.#vars));
  }

  #transmit(final: boolean): void {
    if (this.#closed) return;
    this.#link.send(encodeControlPacket(packetToSend(this.#vars, final)));
    this.counters.packetsSent++;
  }

  /** (Re)arms the periodic transmit timer with a jittered interval (RFC 5880 §6.8.7). */
  #scheduleTransmit(first: boolean): void {
    this.#clock.clearTimeout(this.#txTimer);
    this.#txTimer = undefined;
    this.#txIntervalUs = transmitIntervalUs(this.#vars);
    if (this.#txIntervalUs === undefined || this.#closed) return;
    // The very first packet goes out after a short random delay, so many sessions started
    // together do not send in lockstep.
    const delayUs = first ? Math.floor(this.#clock.random() * 50_000)
      : jitteredIntervalUs(this.#txIntervalUs, this.#vars.config.detectMult, this.#clock.random());
    this.#txTimer = this.#clock.setTimeout(() => {
      this.#transmit(false);
      this.#scheduleTransmit(false);
    }, delayUs / 1000);
  }
}
