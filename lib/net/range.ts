// Inclusive address ranges, the unit of every pool. A pool entry is written as a CIDR
// ("198.51.100.0/24"), a range ("198.51.100.100-198.51.100.150") or a single address; all three
// become one AddressRange, and all arithmetic on pools is done on ranges (sizes are BigInt).
import { AddressError, compareIP, formatIP, ip, tryParseIP, type IPAddress, type IPFamily } from './address.ts';
import { prefixLast, tryParsePrefix } from './prefix.ts';

/** Inclusive range of addresses of one family; first <= last. */
export interface AddressRange {
  readonly first: IPAddress;
  readonly last: IPAddress;
}

export function rangeFamily(r: AddressRange): IPFamily {
  return r.first.family;
}

/** Parses a CIDR, "first-last" or a single address; undefined when it is none of these. */
export function tryParseRange(s: string): AddressRange | undefined {
  const text = s.trim();
  if (text.includes('/')) {
    const p = tryParsePrefix(text);
    return p ? { first: p.address, last: prefixLast(p) } : undefined;
  }
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const first = tryParseIP(text.slice(0, dash).trim());
    const last = tryParseIP(text.slice(dash + 1).trim());
    if (!first || !last || first.family !== last.family || first.value > last.value) return undefined;
    return { first, last };
  }
  const a = tryParseIP(text);
  return a ? { first: a, last: a } : undefined;
}

/** Parses a pool entry; throws AddressError saying what is wrong. */
export function parseRange(s: string): AddressRange {
  const r = tryParseRange(s);
  if (r) return r;
  const dash = s.indexOf('-');
  if (dash >= 0 && !s.includes('/')) {
    const first = tryParseIP(s.slice(0, dash).trim());
    const last = tryParseIP(s.slice(dash + 1).trim());
    if (first && last && first.family !== last.family) throw new AddressError('range mixes IPv4 and IPv6', s);
    if (first && last) throw new AddressError('range ends before it starts', s);
  }
  throw new AddressError('not a CIDR, a first-last range or an address', s);
}

/** "first-last" (or the single address). */
export function formatRange(r: AddressRange): string {
  return r.first.value === r.last.value ? formatIP(r.first) : `${formatIP(r.first)}-${formatIP(r.last)}`;
}

/** Number of addresses in the range. */
export function rangeSize(r: AddressRange): bigint {
  return r.last.value - r.first.value + 1n;
}

export function rangeContains(r: AddressRange, a: IPAddress): boolean {
  return a.family === r.first.family && a.value >= r.first.value && a.value <= r.last.value;
}

/** The overlap of two ranges, or undefined. */
export function rangeIntersection(a: AddressRange, b: AddressRange): AddressRange | undefined {
  if (a.first.family !== b.first.family) return undefined;
  const lo = a.first.value > b.first.value ? a.first.value : b.first.value;
  const hi = a.last.value < b.last.value ? a.last.value : b.last.value;
  if (lo > hi) return undefined;
  return { first: ip(a.first.family, lo), last: ip(a.first.family, hi) };
}

/** Sorts and merges overlapping or adjacent ranges (IPv4 first). */
export function normalizeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((x, y) => compareIP(x.first, y.first) || compareIP(x.last, y.last));
  const out: AddressRange[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.last.family === r.first.family && r.first.value <= prev.last.value + 1n) {
      if (r.last.value > prev.last.value) out[out.length - 1] = { first: prev.first, last: r.last };
    } else {
      out.push(r);
    }
  }
  return out;
}

/** `ranges` minus `remove`, normalized. */
export function subtractRanges(ranges: readonly AddressRange[], remove: readonly AddressRange[]): AddressRange[] {
  let current = normalizeRanges(ranges);
  for (const cut of normalizeRanges(remove)) {
    const next: AddressRange[] = [];
    for (const r of current) {
      if (!rangeIntersection(r, cut)) {
        next.push(r);
        continue;
      }
      const fam = r.first.family;
      if (r.first.value < cut.first.value) next.push({ first: r.first, last: ip(fam, cut.first.value - 1n) });
      if (r.last.value > cut.last.value) next.push({ first: ip(fam, cut.last.value + 1n), last: r.last });
    }
    current = next;
  }
  return current;
}

/** Total number of addresses in normalized ranges. */
export function totalSize(ranges: readonly AddressRange[]): bigint {
  return normalizeRanges(ranges).reduce((n, r) => n + rangeSize(r), 0n);
}
