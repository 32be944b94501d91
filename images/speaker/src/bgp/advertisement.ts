// What the engine announces: a prefix with the attributes the user configured.
import { formatPrefix, type Prefix } from '../../../../lib/net/index.ts';
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

/** An advertisement in canonical form: communities sorted and deduplicated, with a key for its attribute set. */
export interface Route {
  prefix: Prefix;
  key: string;
  communities: number[];
  largeCommunities: LargeCommunity[];
  extendedCommunities: bigint[];
  localPref?: number;
  med?: number;
  /** Routes with equal attrKey share one UPDATE. */
  attrKey: string;
}

function uniqSorted<T>(xs: readonly T[], key: (x: T) => string, cmp: (a: T, b: T) => number): T[] {
  const m = new Map<string, T>();
  for (const x of xs) m.set(key(x), x);
  return [...m.values()].sort(cmp);
}

const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** Canonical form of an advertisement (RFC 1997/8092 ask to remove duplicates; sorting makes keys stable). */
export function toRoute(a: Advertisement): Route {
  const communities = uniqSorted(a.communities ?? [], String, (x, y) => x - y);
  const largeCommunities = uniqSorted(
    a.largeCommunities ?? [],
    (c) => `${c.globalAdmin}:${c.localData1}:${c.localData2}`,
    (x, y) => x.globalAdmin - y.globalAdmin || x.localData1 - y.localData1 || x.localData2 - y.localData2,
  );
  const extendedCommunities = uniqSorted(a.extendedCommunities ?? [], String, cmpBig);
  const attrKey = JSON.stringify([
    communities,
    largeCommunities.map((c) => [c.globalAdmin, c.localData1, c.localData2]),
    extendedCommunities.map(String),
    a.localPref ?? null,
    a.med ?? null,
  ]);
  return {
    prefix: a.prefix,
    key: formatPrefix(a.prefix),
    communities,
    largeCommunities,
    extendedCommunities,
    ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
    ...(a.med !== undefined ? { med: a.med } : {}),
    attrKey,
  };
}

/**
 * Merges advertisements of the same prefix (several Services or pools may announce one IP): the
 * union of communities, the highest LOCAL_PREF and the lowest MED, as MetalLB merges them.
 */
export function mergeAdvertisements(advs: readonly Advertisement[]): Map<string, Route> {
  const byPrefix = new Map<string, Advertisement>();
  for (const a of advs) {
    const key = formatPrefix(a.prefix);
    const prev = byPrefix.get(key);
    if (!prev) {
      byPrefix.set(key, a);
      continue;
    }
    const localPref = prev.localPref === undefined ? a.localPref : a.localPref === undefined ? prev.localPref : Math.max(prev.localPref, a.localPref);
    const med = prev.med === undefined ? a.med : a.med === undefined ? prev.med : Math.min(prev.med, a.med);
    byPrefix.set(key, {
      prefix: a.prefix,
      communities: [...(prev.communities ?? []), ...(a.communities ?? [])],
      largeCommunities: [...(prev.largeCommunities ?? []), ...(a.largeCommunities ?? [])],
      extendedCommunities: [...(prev.extendedCommunities ?? []), ...(a.extendedCommunities ?? [])],
      ...(localPref !== undefined ? { localPref } : {}),
      ...(med !== undefined ? { med } : {}),
    });
  }
  const out = new Map<string, Route>();
  for (const [k, a] of byPrefix) out.set(k, toRoute(a));
  return out;
}
