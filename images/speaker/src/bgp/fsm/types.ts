// The peer FSM's states, events and actions (RFC 4271 §8), as plain data.
import type { IPAddress, IPFamily } from '../../../../../lib/net/index.ts';
import type { BgpError, HandlingLevel } from '../codec/errors.ts';
import type { BgpMessage, NotificationMessage, OpenMessage, UpdateMessage } from '../codec/types.ts';

export type FsmStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** Timers the FSM asks the session shell to run. The send hold timer is the shell's (it watches writes). */
export type TimerName = 'connectRetry' | 'hold' | 'keepalive' | 'idleHold';

/** Events (RFC 4271 §8.1 numbering in comments; names follow the RFC in camelCase). */
export type FsmEvent =
  | { type: 'manualStart' } // 1
  | {
      type: 'manualStop'; // 2
      /** Keep the peer's routes (graceful restart): close without NOTIFICATION when GR was negotiated. */
      graceful?: boolean;
      /** Cease subcode to send; default Administrative Shutdown. */
      subcode?: number;
      /** RFC 9003 shutdown communication. */
      message?: string;
    }
  | { type: 'automaticStart' } // 3
  | { type: 'connectRetryTimerExpires' } // 9
  | { type: 'holdTimerExpires' } // 10
  | { type: 'keepaliveTimerExpires' } // 11
  | { type: 'idleHoldTimerExpires' } // 13
  | { type: 'sendHoldTimerExpires' } // RFC 9687
  | { type: 'tcpConnectionConfirmed'; localAddress: IPAddress } // 16/17
  | { type: 'tcpConnectionFails'; reason: string } // 18
  | { type: 'bgpOpen'; open: OpenMessage } // 19
  | { type: 'messageError'; error: BgpError } // 21, 22, 28
  | { type: 'notifMsg'; notification: NotificationMessage } // 24/25
  | { type: 'keepAliveMsg' } // 26
  | { type: 'updateMsg'; update: UpdateMessage; handling: HandlingLevel; problems: BgpError[] } // 27
  | { type: 'routeRefreshMsg'; afi: number; safi: number }
  | { type: 'bfdDown' }; // RFC 5882, RFC 9384

/** What the session shell must do, in order. */
export type FsmAction =
  | { type: 'connect' }
  | { type: 'disconnect' }
  | { type: 'send'; message: BgpMessage }
  | { type: 'startTimer'; timer: TimerName; ms: number }
  | { type: 'stopTimer'; timer: TimerName }
  /** Established: send the whole Adj-RIB-Out of every negotiated family, then End-of-RIB. */
  | { type: 'announceAll' }
  /** ROUTE-REFRESH received: send the Adj-RIB-Out of this family again (RFC 2918 §4). */
  | { type: 'replayAdjRibOut'; family: IPFamily }
  | { type: 'routesReceived'; announced: number; withdrawn: number }
  | { type: 'updateProblems'; handling: HandlingLevel; problems: BgpError[] }
  | { type: 'notificationReceived'; notification: NotificationMessage }
  | { type: 'notificationSent'; notification: NotificationMessage };

/** Why a session left a state: a closed list with stable names for logs and metrics. */
export type DownReason =
  | 'manual-stop'
  | 'hold-timer-expired'
  | 'send-hold-timer-expired'
  | 'notification-received'
  | 'tcp-connection-failed'
  | 'connect-retry-timer-expired'
  | 'open-message-error'
  | 'message-header-error'
  | 'update-message-error'
  | 'route-refresh-message-error'
  | 'fsm-error'
  | 'bfd-down';

/** Per-peer settings that shape the FSM. */
export interface FsmConfig {
  localAs: number;
  peerAs: number;
  /** Families carried on this session (one per session by default: the peer address's family). */
  families: IPFamily[];
  /** Proposed hold time: 0 or ≥ 3 (RFC 4271 §4.2). */
  holdTimeSec: number;
  /** Configured BGP Identifier (uint32); else the IPv4 local address, else `fallbackRouterId`. */
  routerId?: number;
  /** Router ID when neither is available (IPv6-only: derived from the node name). */
  fallbackRouterId: number;
  /** First connect-retry interval; doubles per failure up to `connectRetryMaxSec`. */
  connectRetrySec: number;
  connectRetryMaxSec: number;
  /** Wait for the peer to connect; never dial (RFC 4271 event 4). */
  passive: boolean;
  /** Graceful restart (RFC 4724) as restarting speaker; undefined = off. */
  gracefulRestart?: { restartTimeSec: number };
  /** Lowest hold time we accept from a peer (besides 0); RFC 4271 §10 allows refusing small values. */
  minHoldTimeSec: number;
}

/** What the two OPENs agreed on. */
export interface Negotiated {
  holdTimeSec: number;
  keepaliveSec: number;
  fourOctetAs: boolean;
  extendedMessage: boolean;
  families: IPFamily[];
  routeRefresh: boolean;
  /** The peer speaks graceful restart (it will keep our routes stale if we vanish). */
  peerGracefulRestart: boolean;
  peerAs: number;
  peerBgpId: number;
  localBgpId: number;
}

/** The FSM's whole state for one peer. */
export interface PeerState {
  state: FsmStateName;
  connectRetryCounter: number;
  /** Send R=1 in the next OPEN: true from process start until the first Established (RFC 4724 §4.1). */
  restarting: boolean;
  localAddress?: IPAddress;
  localBgpId?: number;
  negotiated?: Negotiated;
  /** Why the session last went to Idle. */
  lastDownReason?: DownReason;
}

/** The result of one step: the next state, why (when leaving), and the actions to run in order. */
export interface Transition {
  next: PeerState;
  reason?: DownReason;
  actions: FsmAction[];
}

/** What the FSM needs besides its state: config and a random source for jitter (injected for tests). */
export interface FsmContext {
  config: FsmConfig;
  random: () => number;
}
