// Per-peer Adj-RIB-Out: the desired routes, what the peer was sent, and the difference between them.
import type { IPFamily, Prefix } from '../../../../lib/net/index.ts';
import { mergeAdvertisements, type Advertisement, type Route } from './advertisement.ts';

/** Routes of one family grouped by attribute set, ready to pack. */
export interface RouteGroup {
  sample: Route;
  prefixes: Prefix[];
}

/** The changes to send for one family. */
export interface FamilyChanges {
  family: IPFamily;
  announce: RouteGroup[];
  withdraw: Prefix[];
}

function groupByAttrs(routes: Iterable<Route>): RouteGroup[] {
  const groups = new Map<string, RouteGroup>();
  for (const r of routes) {
    const g = groups.get(r.attrs.attrKey);
    if (g) g.prefixes.push(r.prefix);
    else groups.set(r.attrs.attrKey, { sample: r, prefixes: [r.prefix] });
  }
  return [...groups.values()];
}

/**
 * Desired state in, differences out. `set` replaces the whole desired set; `takeChanges` returns
 * what must be sent to make the peer's view equal to it and records it as sent. After a session
 * loss `reset` forgets what was sent, so the next session gets everything.
 */
export class AdjRibOut {
  #desired = new Map<string, Route>();
  #sent = new Map<string, Route>();

  /** Replaces the desired set. */
  set(advertisements: readonly Advertisement[]): void {
    this.#desired = mergeAdvertisements(advertisements);
  }

  /** Prefixes whose announcement or withdrawal has not been sent yet. */
  get pendingCount(): number {
    let n = 0;
    for (const [k, r] of this.#desired) if (this.#sent.get(k)?.attrs.attrKey !== r.attrs.attrKey) n++;
    for (const k of this.#sent.keys()) if (!this.#desired.has(k)) n++;
    return n;
  }

  /** Prefixes the peer currently has from us. */
  get sentCount(): number {
    return this.#sent.size;
  }

  get desiredCount(): number {
    return this.#desired.size;
  }

  /** The changes for the given families, recorded as sent. Prefixes of other families are left pending. */
  takeChanges(families: readonly IPFamily[]): FamilyChanges[] {
    const out: FamilyChanges[] = [];
    for (const family of families) {
      const announce: Route[] = [];
      const withdraw: Prefix[] = [];
      for (const [k, r] of this.#desired) {
        if (r.prefix.address.family !== family) continue;
        if (this.#sent.get(k)?.attrs.attrKey === r.attrs.attrKey) continue;
        announce.push(r);
        this.#sent.set(k, r);
      }
      for (const [k, r] of this.#sent) {
        if (r.prefix.address.family !== family || this.#desired.has(k)) continue;
        withdraw.push(r.prefix);
        this.#sent.delete(k);
      }
      if (announce.length > 0 || withdraw.length > 0) out.push({ family, announce: groupByAttrs(announce), withdraw });
    }
    return out;
  }

  /** Everything the peer has of one family, for ROUTE-REFRESH (RFC 2918 §4). */
  sentGroups(family: IPFamily): RouteGroup[] {
    return groupByAttrs([...this.#sent.values()].filter((r) => r.prefix.address.family === family));
  }

  /** The session went down: the next one starts from nothing. */
  reset(): void {
    this.#sent.clear();
  }
}
