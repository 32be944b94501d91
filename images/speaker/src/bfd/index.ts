// BFD for the BGP engine: sessions (RFC 5880/5881/5883), the UDP transport and the clock.
export { BfdSession } from './session.ts';
export type { BfdSessionOptions, BfdTransport, BfdLink, BfdEndpoint, BfdStateChange, BfdDownEvent, BfdCounters, BfdDropReason } from './session.ts';
export { UdpBfdTransport, BFD_SINGLE_HOP_PORT, BFD_MULTIHOP_PORT } from './transport.ts';
export { systemClock, ManualClock, type BfdClock } from './clock.ts';
export type { BfdDiagnostic, BfdStateName } from './packet.ts';
