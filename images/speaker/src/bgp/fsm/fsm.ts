// The peer FSM of RFC 4271 §8: one function per state, each mapping (state, event) to the next
// state, the reason and the actions. Pure: no sockets, no clock; jitter comes from ctx.random.
import { CeaseSubcode, ErrorCode, FsmSubcode, Safi } from '../codec/constants.ts';
import type { BgpError } from '../codec/errors.ts';
import { familyOfAfi } from '../codec/nlri.ts';
import { shutdownCommunication } from '../codec/notification.ts';
import type { NotificationMessage } from '../codec/types.ts';
import { buildOpen, checkOpen } from './open.ts';
import { selectRouterId } from './router-id.ts';
import { LARGE_HOLD_TIME_MS, backoffMs, jitter } from './timers.ts';
import type { DownReason, FsmAction, FsmContext, FsmEvent, Negotiated, PeerState, Transition } from './types.ts';

/** A peer that has not been started. `restarting` sets the GR R bit in the first OPEN. */
export function initialPeerState(restarting: boolean): PeerState {
  return { state: 'Idle', connectRetryCounter: 0, restarting };
}

/** Feeds one event to the FSM. */
export function step(s: PeerState, e: FsmEvent, ctx: FsmContext): Transition {
  switch (s.state) {
    case 'Idle':
      return idle(s, e, ctx);
    case 'Connect':
      return connect(s, e, ctx);
    case 'Active':
      return active(s, e, ctx);
    case 'OpenSent':
      return openSent(s, e, ctx);
    case 'OpenConfirm':
      return openConfirm(s, e, ctx);
    case 'Established':
      return established(s, e, ctx);
  }
}

const stay = (s: PeerState, actions: FsmAction[] = []): Transition => ({ next: s, actions });

function notification(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): NotificationMessage {
  return { type: 'notification', code, subcode, data };
}

function notificationOf(err: BgpError): NotificationMessage {
  return notification(err.code, err.subcode, err.data);
}

function ceaseFor(e: Extract<FsmEvent, { type: 'manualStop' }>): NotificationMessage {
  const subcode = e.subcode ?? CeaseSubcode.ADMINISTRATIVE_SHUTDOWN;
  const withText = e.message && (subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || subcode === CeaseSubcode.ADMINISTRATIVE_RESET);
  return notification(ErrorCode.CEASE, subcode, withText ? shutdownCommunication(e.message ?? '') : Buffer.alloc(0));
}

function reasonOfError(err: BgpError): DownReason {
  switch (err.code) {
    case ErrorCode.MESSAGE_HEADER:
      return 'message-header-error';
    case ErrorCode.OPEN_MESSAGE:
      return 'open-message-error';
    case ErrorCode.UPDATE_MESSAGE:
      return 'update-message-error';
    case ErrorCode.ROUTE_REFRESH_MESSAGE:
      return 'route-refresh-message-error';
    default:
      return 'fsm-error';
  }
}

/** Dial timeout for one attempt: the backoff, but at least 5 s so a slow handshake is not cut. */
function connectTimeoutMs(s: PeerState, ctx: FsmContext): number {
  return Math.max(5000, backoffMs(ctx.config.connectRetrySec, ctx.config.connectRetryMaxSec, s.connectRetryCounter, ctx.random));
}

function retryDelayMs(counter: number, ctx: FsmContext): number {
  return backoffMs(ctx.config.connectRetrySec, ctx.config.connectRetryMaxSec, counter, ctx.random);
}

/**
 * Leaves for Idle: optional NOTIFICATION, release the connection, stop the timers, and unless the
 * stop was administrative arm the IdleHold timer with exponential backoff (RFC 4271 §8.1.1 damping).
 */
function goIdle(s: PeerState, ctx: FsmContext, reason: DownReason, opts: { send?: NotificationMessage; restart: boolean }): Transition {
  const counter = opts.restart ? s.connectRetryCounter + 1 : 0;
  const actions: FsmAction[] = [];
  if (opts.send) actions.push({ type: 'send', message: opts.send }, { type: 'notificationSent', notification: opts.send });
  actions.push({ type: 'disconnect' }, { type: 'stopTimer', timer: 'connectRetry' }, { type: 'stopTimer', timer: 'hold' }, { type: 'stopTimer', timer: 'keepalive' });
  if (opts.restart) actions.push({ type: 'startTimer', timer: 'idleHold', ms: retryDelayMs(counter - 1, ctx) });
  return { next: { state: 'Idle', connectRetryCounter: counter, restarting: s.restarting, lastDownReason: reason }, reason, actions };
}

/** Starting from Idle: dial (or, passive, wait for the peer). */
function start(s: PeerState, ctx: FsmContext, counter: number): Transition {
  const base: PeerState = { state: 'Connect', connectRetryCounter: counter, restarting: s.restarting };
  if (ctx.config.passive) {
    return {
      next: { ...base, state: 'Active' },
      actions: [{ type: 'stopTimer', timer: 'idleHold' }, { type: 'startTimer', timer: 'connectRetry', ms: retryDelayMs(0, ctx) }],
    };
  }
  return {
    next: base,
    actions: [{ type: 'stopTimer', timer: 'idleHold' }, { type: 'startTimer', timer: 'connectRetry', ms: connectTimeoutMs(base, ctx) }, { type: 'connect' }],
  };
}

/** TCP is up (dialled or accepted): send OPEN and wait for the peer's with a large hold time. */
function tcpUp(s: PeerState, e: Extract<FsmEvent, { type: 'tcpConnectionConfirmed' }>, ctx: FsmContext): Transition {
  const localBgpId = selectRouterId(ctx.config.routerId, e.localAddress, ctx.config.fallbackRouterId);
  return {
    next: { state: 'OpenSent', connectRetryCounter: s.connectRetryCounter, restarting: s.restarting, localAddress: e.localAddress, localBgpId },
    actions: [
      { type: 'stopTimer', timer: 'connectRetry' },
      { type: 'send', message: buildOpen(ctx.config, localBgpId, s.restarting) },
      { type: 'startTimer', timer: 'hold', ms: LARGE_HOLD_TIME_MS },
    ],
  };
}

function idle(s: PeerState, e: FsmEvent, ctx: FsmContext): Transition {
  switch (e.type) {
    case 'manualStart':
      return start(s, ctx, 0);
    case 'automaticStart':
    case 'idleHoldTimerExpires':
      return start(s, ctx, s.connectRetryCounter);
    case 'manualStop':
      return stay(s, [{ type: 'stopTimer', timer: 'idleHold' }]);
    default:
      // RFC 4271 §8.2.2: other events in Idle are ignored (an accepted connection is refused by the shell).
      return stay(s);
  }
}

/** Events Connect and Active (no connection yet, or one being dialled) handle the same way. */
function unconnected(s: PeerState, e: FsmEvent, ctx: FsmContext): Transition | undefined {
  switch (e.type) {
    case 'manualStop':
      return goIdle(s, ctx, 'manual-stop', { restart: false });
    case 'tcpConnectionConfirmed':
      return tcpUp(s, e, ctx);
    case 'bgpOpen':
    case 'messageError':
    case 'notifMsg':
    case 'keepAliveMsg':
    case 'updateMsg':
    case 'routeRefreshMsg':
      return goIdle(s, ctx, 'fsm-error', { restart: true });
    default:
      return undefined;
  }
}

function connect(s: PeerState, e: FsmEvent, ctx: FsmContext): Transition {
  switch (e.type) {
    case 'connectRetryTimerExpires': {
      // The dial did not complete in time: drop it and dial again, backing off.
      const next = { ...s, connectRetryCounter: s.connectRetryCounter + 1 };
      return stay(next, [{ type: 'disconnect' }, { type: 'startTimer', timer: 'connectRetry', ms: connectTimeoutMs(next, ctx) }, { type: 'connect' }]);
    }
    case 'tcpConnectionFails': {
      const counter = s.connectRetryCounter + 1;
      return {
        next: { ...s, state: 'Active', connectRetryCounter: counter },
        reason: 'tcp-connection-failed',
        actions: [{ type: 'disconnect' }, { type: 'startTimer', timer: 'connectRetry', ms: retryDelayMs(counter - 1, ctx) }],
      };
    }
    default:
      return unconnected(s, e, ctx) ?? stay(s);
  }
}

function active(s: PeerState, e: FsmEvent, ctx: FsmContext): Transition {
  if (e.type === 'connectRetryTimerExpires') {
    if (ctx.config.passive) return stay(s, [{ type: 'startTimer', timer: 'connectRetry', ms: retryDelayMs(0, ctx) }]);
    return { next: { ...s, state: 'Connect' }, actions: [{ type: 'startTimer', timer: 'connectRetry', ms: connectTimeoutMs(s, ctx) }, { type: 'connect' }] };
  }
  return unconnected(s, e, ctx) ?? stay(s);
}

/** Events every state with a live connection handles the same way. */
function connected(s: PeerState, e: FsmEvent, ctx: FsmContext, unexpected: number): Transition | undefined {
  switch (e.type) {
    case 'manualStop':
      if (e.graceful && s.state === 'Established' && s.negotiated?.peerGracefulRestart && ctx.config.gracefulRestart) {
        // RFC 4724: close without NOTIFICATION so that the peer keeps our routes as stale.
        return goIdle(s, ctx, 'manual-stop', { restart: false });
      }
      return goIdle(s, ctx, 'manual-stop', { send: ceaseFor(e), restart: false });
    case 'holdTimerExpires':
      return goIdle(s, ctx, 'hold-timer-expired', { send: notification(ErrorCode.HOLD_TIMER_EXPIRED, 0), restart: true });
    case 'sendHoldTimerExpires':
      return goIdle(s, ctx, 'send-hold-timer-expired', { send: notification(ErrorCode.SEND_HOLD_TIMER_EXPIRED, 0), restart: true });
    case 'bfdDown':
      return goIdle(s, ctx, 'bfd-down', { send: notification(ErrorCode.CEASE, CeaseSubcode.BFD_DOWN), restart: true });
    case 'tcpConnectionFails':
      return goIdle(s, ctx, 'tcp-connection-failed', { restart: true });
    case 'notifMsg': {
      const t = goIdle(s, ctx, 'notification-received', { restart: true });
      return { ...t, actions: [{ type: 'notificationReceived', notification: e.notification }, ...t.actions] };
    }
    case 'messageError':
      return goIdle(s, ctx, reasonOfError(e.error), { send: notificationOf(e.error), restart: true });
    case 'bgpOpen':
    case 'keepAliveMsg':
    case 'updateMsg':
    case 'routeRefreshMsg':
      // RFC 6608: an unexpected message gets an FSM Error naming the state.
      return goIdle(s, ctx, 'fsm-error', { send: notification(ErrorCode.FSM, unexpected), restart: true });
    default:
      return undefined;
  }
}

function openSent(s: PeerState, e: FsmEvent, ctx: FsmContext): Transition {
  if (e.type === 'bgpOpen') {
    const result = checkOpen(e.open, ctx.config, s.localBgpId ?? 0);
    if (!('holdTimeSec' in result)) return goIdle(s, ctx, 'open-message-error', { send: notificationOf(result), restart: true });
    const actions: FsmAction[] = [{ type: 'stopTimer', timer: 'connectRetry' }, { type: 'send', message: { type: 'keepalive' } }];
    actions.push(...holdTimers(result, ctx));
    return { next: { ...s, state: 'OpenConfirm', negotiated: result }, actions };
  }
  if (e.type === 'tcpConnectionFails') {
    // RFC 4271 §8.2.2: back to Active and retry.
    const counter = s.connectRetryCounter + 1;
    return {
      next: { state: 'Active', connectRetryCounter: counter, restarting: s.restarting, lastDownReason: 'tcp-connection-failed' },
      reason: 'tcp-connection-failed',
      actions: [{ type: 'disconnect' }, { type: 'stopTimer', timer: 'hold' }, { type: 'startTimer', timer: 'connectRetry', ms: retryDelayMs(counter - 1, ctx) }],
    };
  }
  return connected(s, e, ctx, FsmSubcode.UNEXPECTED_MESSAGE_IN_OPENSENT) ?? stay(s);
}

/** Hold and keepalive timers for a negotiated hold time; none when it is 0 (RFC 4271 §4.4). */
function holdTimers(n: Negotiated, ctx: FsmContext): FsmAction[] {
  if (n.holdTimeSec === 0) return [{ type: 'stopTimer', timer: 'hold' }, { type: 'stopTimer', timer: 'keepalive' }];
  return [
    { type: 'startTimer', timer: 'hold', ms: n.holdTimeSec * 1000 },
    { type: 'startTimer', timer: 'keepalive', ms: jitter(n.keepaliveSec * 1000, ctx.random) },
  ];
}

function keepaliveTick(s: PeerState, ctx: FsmContext): Transition {
  const ka = s.negotiated?.keepaliveSec ?? 0;
  if (ka === 0) return stay(s);
  return stay(s, [{ type: 'send', message: { type: 'keepalive' } }, { type: 'startTimer', timer: 'keepalive', ms: jitter(ka * 1000, ctx.random) }]);
}

function restartHold(s: PeerState): FsmAction[] {
  const hold = s.negotiated?.holdTimeSec ?? 0;
  return hold > 0 ? [{ type: 'startTimer', timer: 'hold', ms: hold * 1000 }] : [];
}

function openConfirm(s: PeerState, e: FsmEvent, ctx: FsmContext): Transition {
  switch (e.type) {
    case 'keepaliveTimerExpires':
      return keepaliveTick(s, ctx);
    case 'keepAliveMsg':
      return {
        next: { ...s, state: 'Established', connectRetryCounter: 0, restarting: false },
        actions: [...restartHold(s), { type: 'announceAll' }],
      };
    default:
      return connected(s, e, ctx, FsmSubcode.UNEXPECTED_MESSAGE_IN_OPENCONFIRM) ?? stay(s);
  }
}

function established(s: PeerState, e: FsmEvent, ctx: FsmContext): Transition {
  switch (e.type) {
    case 'keepaliveTimerExpires':
      return keepaliveTick(s, ctx);
    case 'keepAliveMsg':
      return stay(s, restartHold(s));
    case 'updateMsg': {
      const u = e.update;
      const announced = u.nlri.length + (u.attributes.mpReach?.nlri.length ?? 0);
      const withdrawn = u.withdrawn.length + (u.attributes.mpUnreach?.withdrawn.length ?? 0);
      // Received routes are only counted (we install nothing); treat-as-withdraw counts them as withdrawn.
      const actions: FsmAction[] = [...restartHold(s)];
      if (e.handling === 'treat-as-withdraw') actions.push({ type: 'routesReceived', announced: 0, withdrawn: withdrawn + announced });
      else actions.push({ type: 'routesReceived', announced, withdrawn });
      if (e.problems.length > 0) actions.push({ type: 'updateProblems', handling: e.handling, problems: e.problems });
      return stay(s, actions);
    }
    case 'routeRefreshMsg': {
      const family = familyOfAfi(e.afi);
      // RFC 2918 §4: a request for a family we did not negotiate is ignored.
      if (family === undefined || e.safi !== Safi.UNICAST || !s.negotiated?.families.includes(family)) return stay(s);
      return stay(s, [{ type: 'replayAdjRibOut', family }]);
    }
    default:
      return connected(s, e, ctx, FsmSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED) ?? stay(s);
  }
}
