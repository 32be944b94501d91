// The BGP engine: codec, FSM, sessions, desired-state API and the speaker hook.
export { BgpEngine, type BgpEngineOptions, type DesiredPeer } from './engine.ts';
export { SpeakerBgp, desiredPeersFromConfig, bfdStarter } from './static-config.ts';
export { BgpSession, type SessionStatus, type BfdWatch } from './session.ts';
export type { Advertisement } from './advertisement.ts';
export type { PeerSpec } from './peer-config.ts';
export { plainDialer, nativeDialer, defaultDialer, type Dialer, type DialOptions } from './transport.ts';
export { BgpMetrics } from './metrics.ts';
export type { Logger } from './logger.ts';
export { systemClock, type Clock } from './clock.ts';
