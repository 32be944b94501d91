// Addresses, prefixes and ranges for both families (see each file).
export * from './address.ts';
export * from './prefix.ts';
export * from './range.ts';
