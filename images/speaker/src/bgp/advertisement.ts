// What the engine announces: a prefix with the attributes the user configured.
import type { Prefix } from '../../../../lib/net/index.ts';
import type { LargeCommunity } from './codec/types.ts';

/** One route to announce to a peer (desired state). */
export interface Advertisement {
  prefix: Prefix;
  communities?: readonly number[];
  largeCommunities?: readonly LargeCommunity[];
  extendedCommunities?: readonly bigint[];
  /** LOCAL_PREF, sent on iBGP sessions only (RFC 4271 §5.1.5). */
  localPref?: number;
  med?: number;
}

/** An attribute set in canonical form: communities sorted and deduplicated; shared by its routes. */
export interface RouteAttributes {
  communities: readonly number[];
  largeCommunities: readonly LargeCommunity[];
  extendedCommunities: readonly bigint[];
  localPref?: number;
  med?: number;
  /** Equal keys = equal attributes: such routes share one UPDATE. */
  attrKey: string;
}

/** A route of the Adj-RIB-Out: a prefix, its map key (`prefixKey`) and its (shared) attribute set. */
export interface Route {
  prefix: Prefix;
  key: string;
  attrs: RouteAttributes;
}

/**
 * The Adj-RIB-Out's map key of a prefix: family, address value and length. Not the text form:
 * formatting 10k+ IPv6 addresses was most of the cost of replacing the desired set.
 */
export function prefixKey(p: Prefix): string {
  return `${p.address.family}:${p.address.value}/${p.length}`;
}

const EMPTY: readonly never[] = Object.freeze([]);

function uniqSorted<T>(xs: readonly T[] | undefined, key: (x: T) => string, cmp: (a: T, b: T) => number): readonly T[] {
  if (!xs || xs.length === 0) return EMPTY;
  const m = new Map<string, T>();
  for (const x of xs) m.set(key(x), x);
  return [...m.values()].sort(cmp);
}

const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
const largeText = (c: LargeCommunity) => `${c.globalAdmin}:${c.localData1}:${c.localData2}`;

/**
 * Canonical attribute sets, interned: thousands of prefixes announced with the same communities
 * hold one object (RFC 1997/8092 ask to remove duplicates; sorting makes the key stable).
 */
export class AttributeInterner {
  #byRaw = new Map<string, RouteAttributes>();
  #last: { a: Advertisement; attrs: RouteAttributes } | undefined;

  of(a: Advertisement): RouteAttributes {
    // Advertisements of one pool or config entry share their attribute arrays: same arrays and
    // values as the previous call, same attribute set, without building the text key again.
    const l = this.#last;
    if (l && l.a.communities === a.communities && l.a.largeCommunities === a.largeCommunities && l.a.extendedCommunities === a.extendedCommunities && l.a.localPref === a.localPref && l.a.med === a.med) {
      return l.attrs;
    }
    const attrs = this.#intern(a);
    this.#last = { a, attrs };
    return attrs;
  }

  #intern(a: Advertisement): RouteAttributes {
    const raw = `${a.communities?.join(',') ?? ''}|${a.largeCommunities?.map(largeText).join(',') ?? ''}|${a.extendedCommunities?.join(',') ?? ''}|${a.localPref ?? ''}|${a.med ?? ''}`;
    let attrs = this.#byRaw.get(raw);
    if (!attrs) {
      const communities = uniqSorted(a.communities, String, (x, y) => x - y);
      const largeCommunities = uniqSorted(a.largeCommunities, largeText, (x, y) => x.globalAdmin - y.globalAdmin || x.localData1 - y.localData1 || x.localData2 - y.localData2);
      const extendedCommunities = uniqSorted(a.extendedCommunities, String, cmpBig);
      const attrKey = `${communities.join(',')}|${largeCommunities.map(largeText).join(',')}|${extendedCommunities.join(',')}|${a.localPref ?? ''}|${a.med ?? ''}`;
      attrs = {
        communities,
        largeCommunities,
        extendedCommunities,
        ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
        ...(a.med !== undefined ? { med: a.med } : {}),
        attrKey,
      };
      this.#byRaw.set(raw, attrs);
    }
    return attrs;
  }
}

/** Canonical form of one advertisement. */
export function toRoute(a: Advertisement, interner = new AttributeInterner()): Route {
  return { prefix: a.prefix, key: prefixKey(a.prefix), attrs: interner.of(a) };
}

/**
 * Merges advertisements of the same prefix (several Services or pools may announce one IP): the
 * union of communities, the highest LOCAL_PREF and the lowest MED, as MetalLB merges them.
 */
export function mergeAdvertisements(advs: readonly Advertisement[]): Map<string, Route> {
  const out = new Map<string, Route>();
  const merged = new Map<string, Advertisement>();
  const interner = new AttributeInterner();
  for (const a of advs) {
    const key = prefixKey(a.prefix);
    const prev = merged.get(key);
    if (!prev) {
      merged.set(key, a);
      out.set(key, { prefix: a.prefix, key, attrs: interner.of(a) });
      continue;
    }
    const localPref = prev.localPref === undefined ? a.localPref : a.localPref === undefined ? prev.localPref : Math.max(prev.localPref, a.localPref);
    const med = prev.med === undefined ? a.med : a.med === undefined ? prev.med : Math.min(prev.med, a.med);
    const both: Advertisement = {
      prefix: a.prefix,
      communities: [...(prev.communities ?? []), ...(a.communities ?? [])],
      largeCommunities: [...(prev.largeCommunities ?? []), ...(a.largeCommunities ?? [])],
      extendedCommunities: [...(prev.extendedCommunities ?? []), ...(a.extendedCommunities ?? [])],
      ...(localPref !== undefined ? { localPref } : {}),
      ...(med !== undefined ? { med } : {}),
    };
    merged.set(key, both);
    out.set(key, { prefix: a.prefix, key, attrs: interner.of(both) });
  }
  return out;
}
