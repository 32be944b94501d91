// BGP-4 message codec: pure functions from Buffers to messages and back.
export * from './constants.ts';
export * from './errors.ts';
export * from './types.ts';
export * from './header.ts';
export * from './open.ts';
export * from './aspath.ts';
export * from './attributes.ts';
export * from './nlri.ts';
export * from './update.ts';
export * from './notification.ts';
export * from './message.ts';
export * from './communities.ts';
