// IPAM: pools as arithmetic ranges, allocation with pins, sharing and dual stack (DESIGN §2–§3).
export * from './pool.ts';
export * from './sharing.ts';
export * from './allocate.ts';
export { FreeCursor } from './free-cursor.ts';
