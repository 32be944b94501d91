// The BFD session state machine (RFC 5880 §6.2, §6.8), pure: state variables and an event in, new
// variables and actions out. No clock, no sockets, no randomness: the session shell (session.ts)
// owns the timers and the transport and carries out the actions.
//
// Asynchronous mode only; no Demand mode of our own, no Echo function, no authentication.
import { BfdState, type ControlPacket, type ControlPacketFields } from './packet.ts';

/** RFC 5880 §6.8.3: while not Up, Desired Min TX is at least one second. */
export const SLOW_TX_US = 1_000_000;

/** Configuration of one session; intervals in microseconds, as on the wire. */
export interface BfdParameters {
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  detectMult: number;
}

/** The state variables of RFC 5880 §6.8.1 plus what the Poll Sequence (§6.8.3) needs. */
export interface BfdVars {
  sessionState: BfdState;
  remoteSessionState: BfdState;
  localDiscr: number;
  remoteDiscr: number;
  localDiag: number;
  /** Configured values; what is advertised derives from them and the state. */
  config: BfdParameters;
  /** Desired Min TX currently in the packets we send (≥ 1 s unless Up). */
  desiredMinTxUs: number;
  /** Required Min RX currently in the packets we send. */
  requiredMinRxUs: number;
  /** Desired Min TX that paces our transmissions (lags an increase until the poll ends, §6.8.3). */
  txPacingUs: number;
  /** Required Min RX used for the detection time (lags a decrease until the poll ends, §6.8.3). */
  rxDetectionUs: number;
  remoteMinRxUs: number;
  remoteDesiredMinTxUs: number;
  remoteDetectMult: number;
  remoteDemandMode: boolean;
  /** A Poll Sequence is in progress: our packets carry P until a packet with F arrives. */
  pollActive: boolean;
}

/** What the shell must do after an event. */
export type BfdAction =
  | { type: 'stateChanged'; from: BfdState; to: BfdState; diagnostic: number; remoteDiagnostic: number }
  /** Send a packet now, outside the periodic schedule (with F set when answering a Poll). */
  | { type: 'transmitNow'; final: boolean }
  /** A valid packet arrived: restart the detection timer. */
  | { type: 'restartDetectionTimer' };

/** Why a decoded packet was discarded by the session (RFC 5880 §6.8.6). */
export type SessionDrop = 'yourDiscriminatorMismatch' | 'zeroYourDiscriminatorNotDown' | 'adminDown';

/** Result of one event. */
export interface BfdStep {
  vars: BfdVars;
  actions: BfdAction[];
  dropped?: SessionDrop;
}

/** Initial variables (§6.8.1): Down, remote discriminator 0, remote Min RX 1 µs. */
export function initialVars(localDiscr: number, config: BfdParameters): BfdVars {
  checkParameters(config);
  if (!Number.isInteger(localDiscr) || localDiscr <= 0 || localDiscr > 0xffffffff) throw new RangeError(`local discriminator ${localDiscr}: must be 1..2^32-1`);
  const desiredMinTxUs = Math.max(config.desiredMinTxUs, SLOW_TX_US);
  return {
    sessionState: BfdState.Down, remoteSessionState: BfdState.Down, localDiscr, remoteDiscr: 0, localDiag: 0,
    config, desiredMinTxUs, requiredMinRxUs: config.requiredMinRxUs,
    txPacingUs: desiredMinTxUs, rxDetectionUs: config.requiredMinRxUs,
    remoteMinRxUs: 1, remoteDesiredMinTxUs: 0, remoteDetectMult: 0, remoteDemandMode: false, pollActive: false,
  };
}

/** Throws for parameters the protocol cannot carry. */
export function checkParameters(p: BfdParameters): void {
  for (const [k, v] of [['desiredMinTxUs', p.desiredMinTxUs], ['requiredMinRxUs', p.requiredMinRxUs]] as const) {
    if (!Number.isInteger(v) || v <= 0 || v > 0xffffffff) throw new RangeError(`BFD ${k} ${v}: must be 1..2^32-1 microseconds`);
  }
  if (!Number.isInteger(p.detectMult) || p.detectMult < 1 || p.detectMult > 255) throw new RangeError(`BFD detect multiplier ${p.detectMult}: must be 1..255`);
}

/** Handles a packet that passed decodeControlPacket (RFC 5880 §6.8.6, session part). */
export function receivePacket(v0: BfdVars, p: ControlPacket): BfdStep {
  // "If the Your Discriminator field is nonzero, it MUST be used to select the session ... If no
  // session is found, the packet MUST be discarded." Sessions are found by peer address here, so
  // a discriminator that is not ours means the packet is not for this session.
  if (p.yourDiscriminator !== 0 && p.yourDiscriminator !== v0.localDiscr) return { vars: v0, actions: [], dropped: 'yourDiscriminatorMismatch' };
  // "If the Your Discriminator field is zero and the State field is not Down or AdminDown, the
  // packet MUST be discarded."
  if (p.yourDiscriminator === 0 && p.state !== BfdState.Down && p.state !== BfdState.AdminDown) {
    return { vars: v0, actions: [], dropped: 'zeroYourDiscriminatorNotDown' };
  }
  let v: BfdVars = {
    ...v0,
    remoteDiscr: p.myDiscriminator,
    remoteSessionState: p.state,
    remoteDemandMode: p.demand,
    remoteMinRxUs: p.requiredMinRxUs,
    remoteDesiredMinTxUs: p.desiredMinTxUs,
    remoteDetectMult: p.detectMult,
  };
  const actions: BfdAction[] = [];
  // "If the Final (F) bit is set ... the Poll Sequence MUST be terminated": the new values now apply.
  if (p.final && v.pollActive) v = { ...v, pollActive: false, txPacingUs: v.desiredMinTxUs, rxDetectionUs: v.requiredMinRxUs };
  // "If bfd.SessionState is AdminDown: Discard the packet."
  if (v.sessionState === BfdState.AdminDown) return { vars: v, actions: [], dropped: 'adminDown' };
  actions.push({ type: 'restartDetectionTimer' });

  let next: BfdState = v.sessionState;
  let diag = v.localDiag;
  if (p.state === BfdState.AdminDown) {
    if (v.sessionState !== BfdState.Down) {
      next = BfdState.Down;
      diag = 3; // Neighbor Signaled Session Down
    }
  } else if (v.sessionState === BfdState.Down) {
    if (p.state === BfdState.Down) next = BfdState.Init;
    else if (p.state === BfdState.Init) next = BfdState.Up;
  } else if (v.sessionState === BfdState.Init) {
    if (p.state === BfdState.Init || p.state === BfdState.Up) next = BfdState.Up;
  } else if (p.state === BfdState.Down) {
    next = BfdState.Down; // we are Up
    diag = 3;
  }
  if (next !== v.sessionState) {
    const from = v.sessionState;
    v = enterState(v, next, next === BfdState.Up ? 0 : diag);
    actions.push({ type: 'stateChanged', from, to: next, diagnostic: v.localDiag, remoteDiagnostic: p.diagnostic });
    // Tell the peer at once rather than waiting up to a (slow, 1 s) interval: speeds the handshake.
    if (!p.poll) actions.push({ type: 'transmitNow', final: false });
  }
  // "If the Poll (P) bit is set, send a BFD Control packet to the remote system with the Poll (P)
  // bit clear, and the Final (F) bit set" — as soon as practicable, outside the schedule.
  if (p.poll) actions.push({ type: 'transmitNow', final: true });
  return { vars: v, actions };
}

/** The detection time passed without a valid packet (RFC 5880 §6.8.4). */
export function detectionTimeExpired(v0: BfdVars): BfdStep {
  // §6.8.1: bfd.RemoteDiscr "MUST be set to zero" when a Detection Time passes without packets.
  let v: BfdVars = { ...v0, remoteDiscr: 0, remoteSessionState: BfdState.Down, remoteDemandMode: false };
  if (v0.sessionState !== BfdState.Init && v0.sessionState !== BfdState.Up) return { vars: v, actions: [] };
  v = enterState(v, BfdState.Down, 1); // Control Detection Time Expired
  return { vars: v, actions: [{ type: 'stateChanged', from: v0.sessionState, to: BfdState.Down, diagnostic: 1, remoteDiagnostic: 0 }, { type: 'transmitNow', final: false }] };
}

/** Administratively disables (AdminDown, diagnostic 7) or re-enables (Down) the session. */
export function setAdminDown(v0: BfdVars, down: boolean): BfdStep {
  if (down === (v0.sessionState === BfdState.AdminDown)) return { vars: v0, actions: [] };
  const to = down ? BfdState.AdminDown : BfdState.Down;
  const v = enterState(v0, to, down ? 7 : 0);
  return { vars: v, actions: [{ type: 'stateChanged', from: v0.sessionState, to, diagnostic: v.localDiag, remoteDiagnostic: 0 }, { type: 'transmitNow', final: false }] };
}

/** Changes the configured intervals or multiplier; while Up this starts a Poll Sequence. */
export function setParameters(v0: BfdVars, config: BfdParameters): BfdStep {
  checkParameters(config);
  const v = applyAdvertised({ ...v0, config });
  return { vars: v, actions: v.pollActive && !v0.pollActive ? [{ type: 'transmitNow', final: false }] : [] };
}

function enterState(v: BfdVars, to: BfdState, diag: number): BfdVars {
  return applyAdvertised({ ...v, sessionState: to, localDiag: diag });
}

/**
 * Recomputes the advertised intervals after a state or configuration change (RFC 5880 §6.8.3).
 * While Up a change starts a Poll Sequence; an increase of Desired Min TX paces transmissions
 * only once the poll ends, and a decrease of Required Min RX shortens the detection time only
 * once the poll ends. Outside Up the values apply at once.
 */
function applyAdvertised(v: BfdVars): BfdVars {
  const up = v.sessionState === BfdState.Up;
  const desiredMinTxUs = up ? v.config.desiredMinTxUs : Math.max(v.config.desiredMinTxUs, SLOW_TX_US);
  const requiredMinRxUs = v.config.requiredMinRxUs;
  const changed = desiredMinTxUs !== v.desiredMinTxUs || requiredMinRxUs !== v.requiredMinRxUs;
  if (!up) return { ...v, desiredMinTxUs, requiredMinRxUs, txPacingUs: desiredMinTxUs, rxDetectionUs: requiredMinRxUs, pollActive: false };
  if (!changed) return v;
  return {
    ...v, desiredMinTxUs, requiredMinRxUs, pollActive: true,
    txPacingUs: Math.min(v.txPacingUs, desiredMinTxUs),
    rxDetectionUs: Math.max(v.rxDetectionUs, requiredMinRxUs),
  };
}

/**
 * The nominal interval between our periodic packets in µs, or undefined when we must not send
 * periodically (RFC 5880 §6.8.7): the remote asked for none (Required Min RX 0), or it is in
 * Demand mode while both sides are Up.
 */
export function transmitIntervalUs(v: BfdVars): number | undefined {
  if (v.remoteMinRxUs === 0) return undefined;
  if (v.remoteDemandMode && v.sessionState === BfdState.Up && v.remoteSessionState === BfdState.Up) return undefined;
  return Math.max(v.txPacingUs, v.remoteMinRxUs);
}

/**
 * The jittered delay before the next periodic packet (RFC 5880 §6.8.7): 75-100 % of the interval,
 * or 75-90 % when our Detect Mult is 1. `random` is in [0, 1).
 */
export function jitteredIntervalUs(intervalUs: number, detectMult: number, random: number): number {
  const span = detectMult === 1 ? 0.15 : 0.25;
  return Math.floor(intervalUs * (0.75 + span * random));
}

/**
 * The Detection Time in µs (RFC 5880 §6.8.4, Asynchronous mode): the remote Detect Mult times the
 * larger of our Required Min RX and the remote Desired Min TX; undefined before any packet.
 */
export function detectionTimeUs(v: BfdVars): number | undefined {
  if (v.remoteDetectMult === 0) return undefined;
  return v.remoteDetectMult * Math.max(v.rxDetectionUs, v.remoteDesiredMinTxUs);
}

/** The packet to send now (§6.8.7); `final` answers a Poll and never goes with P. */
export function packetToSend(v: BfdVars, final: boolean): ControlPacketFields {
  return {
    diagnostic: v.localDiag,
    state: v.sessionState,
    poll: v.pollActive && !final,
    final,
    controlPlaneIndependent: false,
    demand: false,
    detectMult: v.config.detectMult,
    myDiscriminator: v.localDiscr,
    yourDiscriminator: v.remoteDiscr,
    desiredMinTxUs: v.desiredMinTxUs,
    requiredMinRxUs: v.requiredMinRxUs,
    requiredMinEchoRxUs: 0, // no Echo function
  };
}
