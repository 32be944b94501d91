// Text forms of communities as users write them in config: "65535:65282", "4200000001:1:2".
import type { LargeCommunity } from './types.ts';

const U16 = /^(0|[1-9][0-9]{0,4})$/;
const U32 = /^(0|[1-9][0-9]{0,9})$/;

/** Well-known community names (RFC 1997, RFC 7999, RFC 8326). */
const WELL_KNOWN: Record<string, number> = {
  'no-export': 0xffffff01,
  'no-advertise': 0xffffff02,
  'no-export-subconfed': 0xffffff03,
  'graceful-shutdown': 0xffff0000,
  blackhole: 0xffff029a,
};

/** Parses "asn:value" (two 16-bit numbers) or a well-known name into the 32-bit community. */
export function parseCommunity(s: string): number {
  const named = WELL_KNOWN[s.toLowerCase()];
  if (named !== undefined) return named;
  const parts = s.split(':');
  if (parts.length !== 2 || !parts.every((p) => U16.test(p) && Number(p) <= 0xffff)) {
    throw new RangeError(`community must be "asn:value" with two 16-bit numbers: ${JSON.stringify(s)}`);
  }
  return ((Number(parts[0]) << 16) | Number(parts[1])) >>> 0;
}

export function formatCommunity(c: number): string {
  return `${c >>> 16}:${c & 0xffff}`;
}

/** Parses "global:local1:local2" (three 32-bit numbers, RFC 8092). */
export function parseLargeCommunity(s: string): LargeCommunity {
  const parts = s.split(':');
  if (parts.length !== 3 || !parts.every((p) => U32.test(p) && Number(p) <= 0xffffffff)) {
    throw new RangeError(`large community must be "global:local1:local2" with three 32-bit numbers: ${JSON.stringify(s)}`);
  }
  const [g, l1, l2] = parts.map(Number) as [number, number, number];
  return { globalAdmin: g, localData1: l1, localData2: l2 };
}

export function formatLargeCommunity(c: LargeCommunity): string {
  return `${c.globalAdmin}:${c.localData1}:${c.localData2}`;
}
