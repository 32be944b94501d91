// Public surface of L2 placement (DESIGN §4).
export * from './placement.ts';
