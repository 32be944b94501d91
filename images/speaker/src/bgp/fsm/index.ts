// The per-peer BGP FSM (RFC 4271 §8): pure, driven by events, answering with actions.
export * from './types.ts';
export * from './fsm.ts';
export * from './open.ts';
export * from './router-id.ts';
export * from './timers.ts';
