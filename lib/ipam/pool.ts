// Pools: named sets of arithmetic address ranges with MetalLB's options. Generic on purpose: an L2
// MetalLoadBalancerClass and a BGP address pool are both a PoolSpec to the allocator.
import {
  compareIP,
  normalizeRanges,
  rangeIntersection,
  subtractRanges,
  tryParseRange,
  type AddressRange,
  type IPAddress,
  type IPFamily,
} from '../net/index.ts';

/**
 * A pool as the allocator sees it. `ranges` are normalized (sorted, merged, IPv4 first) and already
 * exclude addresses another pool owns (see resolvePools), so pools handed to one allocation never
 * overlap.
 */
export interface PoolSpec {
  readonly name: string;
  readonly ranges: readonly AddressRange[];
  /** false: only pinned addresses are handed out (MetalLB `autoAssign`). */
  readonly autoAssign: boolean;
  /** true: IPv4 addresses ending in .0 or .255 are never handed out (MetalLB `avoidBuggyIPs`). */
  readonly avoidBuggyIPs: boolean;
}

/** A pool as the user wrote it, before overlaps between pools are resolved. */
export interface PoolDefinition {
  readonly name: string;
  /** Entries as written: CIDR, `first-last` or a single address. */
  readonly addresses: readonly string[];
  readonly autoAssign?: boolean;
  readonly avoidBuggyIPs?: boolean;
}

/** The outcome of resolvePools for one pool. */
export interface ResolvedPool {
  readonly spec: PoolSpec;
  /** Entries that are not a CIDR, a range or an address (the CRD schema should have refused them). */
  readonly invalidEntries: readonly string[];
  /** Earlier pools whose addresses overlap this one's; those addresses are not handed out from this pool. */
  readonly overlapsWith: readonly string[];
}

/**
 * Resolves pools given in precedence order (the first one owns contested addresses): parses the
 * entries, and removes from each pool every address an earlier pool already has. Arithmetic only.
 */
export function resolvePools(definitions: readonly PoolDefinition[]): ResolvedPool[] {
  const out: ResolvedPool[] = [];
  const earlier: { name: string; ranges: AddressRange[] }[] = [];
  for (const def of definitions) {
    const raw: AddressRange[] = [];
    const invalidEntries: string[] = [];
    for (const entry of def.addresses) {
      const r = tryParseRange(entry);
      if (r) raw.push(r);
      else invalidEntries.push(entry);
    }
    const own = normalizeRanges(raw);
    const overlapsWith: string[] = [];
    const taken: AddressRange[] = [];
    for (const e of earlier) {
      if (rangesIntersect(own, e.ranges)) {
        overlapsWith.push(e.name);
        taken.push(...e.ranges);
      }
    }
    const ranges = taken.length > 0 ? subtractRanges(own, taken) : own;
    earlier.push({ name: def.name, ranges: own });
    out.push({
      spec: {
        name: def.name,
        ranges,
        autoAssign: def.autoAssign ?? true,
        avoidBuggyIPs: def.avoidBuggyIPs ?? false,
      },
      invalidEntries,
      overlapsWith,
    });
  }
  return out;
}

function rangesIntersect(a: readonly AddressRange[], b: readonly AddressRange[]): boolean {
  return a.some((x) => b.some((y) => rangeIntersection(x, y) !== undefined));
}

/** Whether MetalLB's avoidBuggyIPs rule excludes the address (IPv4 .0 and .255). */
export function isBuggyIP(a: IPAddress): boolean {
  if (a.family !== 4) return false;
  const low = a.value & 0xffn;
  return low === 0n || low === 0xffn;
}

/** Binary search over normalized ranges: the index of the range holding `a`, or -1. */
export function findRange(ranges: readonly AddressRange[], a: IPAddress): number {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid] as AddressRange;
    if (compareIP(r.first, a) > 0) {
      hi = mid - 1;
      continue;
    }
    if (r.last.family === a.family && a.value <= r.last.value) return mid;
    lo = mid + 1;
  }
  return -1;
}

/** Whether the pool may hand out `a` (inside its ranges, not excluded by avoidBuggyIPs). */
export function poolContains(pool: PoolSpec, a: IPAddress): boolean {
  return findRange(pool.ranges, a) >= 0 && !(pool.avoidBuggyIPs && isBuggyIP(a));
}

/** The families the pool has addresses of, IPv4 first. */
export function poolFamilies(pool: PoolSpec): IPFamily[] {
  const fams = new Set(pool.ranges.map((r) => r.first.family));
  return ([4, 6] as const).filter((f) => fams.has(f));
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** Count of values v in [lo, hi] with v ≡ r (mod m). */
function countCongruent(lo: bigint, hi: bigint, r: bigint, m: bigint): bigint {
  return floorDiv(hi - r, m) - floorDiv(lo - 1n - r, m);
}

/** Number of addresses the pool can hand out (per family when given), without enumerating. */
export function poolSize(pool: PoolSpec, family?: IPFamily): bigint {
  let n = 0n;
  for (const r of pool.ranges) {
    if (family !== undefined && r.first.family !== family) continue;
    n += r.last.value - r.first.value + 1n;
    if (pool.avoidBuggyIPs && r.first.family === 4) {
      n -= countCongruent(r.first.value, r.last.value, 0n, 256n);
      n -= countCongruent(r.first.value, r.last.value, 255n, 256n);
    }
  }
  return n;
}
