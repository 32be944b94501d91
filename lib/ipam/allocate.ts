// The allocator: given pools and every request (one per Service) with the addresses it holds now,
// decide each request's addresses. Pure and deterministic; the caller turns the result into status,
// conditions and Events.
//
// Invariants a caller may rely on:
// - an address is held by two requests only when sharingConflict() allows it (same key, no port
//   clash, same backends), and never twice by one request;
// - every address handed out lies in its request's pool (poolContains);
// - a held address stays held while it is still valid (in the pool, not displaced by a pin of the
//   same request, still within the count), so addresses move only when the pool, the request or an
//   earlier holder changed;
// - new addresses are the lowest free ones; pools are walked as ranges, never enumerated;
// - requests are served in the order given: on a contested address the earlier request wins.
import { formatIP, type IPAddress, type IPFamily } from '../net/index.ts';
import { poolContains, poolFamilies, type PoolSpec } from './pool.ts';
import { sharingConflict, type SharingInfo } from './sharing.ts';
import { FreeCursor } from './free-cursor.ts';

/** Why an index stays without an address (DESIGN §3 closed list). */
export type FailureReason = 'PoolExhausted' | 'RequestedIPNotInPool' | 'RequestedIPInUse' | 'NoEligibleNodes' | 'SharingConflict';

/** An allocation failure with a human sentence after the reason. */
export interface AllocationFailure {
  readonly reason: FailureReason;
  readonly detail: string;
}

/** One Service's wish. */
export interface AllocationRequest {
  /** Unique per call, e.g. `namespace/name`. */
  readonly id: string;
  readonly pool: string;
  /** Families to allocate, in the Service's order. */
  readonly families: readonly IPFamily[];
  /** Addresses per family. */
  readonly count: number;
  /** Addresses held now, in status order (per family the position is the index). */
  readonly current: readonly IPAddress[];
  /** Pinned addresses: the i-th address of a family pins that family's index i. */
  readonly pins: readonly IPAddress[];
  readonly sharing?: SharingInfo;
  /** When set, nothing new is handed out (held addresses stay); new indexes fail with this. */
  readonly blockNew?: AllocationFailure | undefined;
}

/** One index of one family. */
export interface Slot {
  readonly family: IPFamily;
  readonly index: number;
  readonly ip?: IPAddress;
  readonly failure?: AllocationFailure;
}

/** The decision for one request. */
export interface AllocationResult {
  readonly id: string;
  /** Families in request order, indexes ascending. */
  readonly slots: readonly Slot[];
  /** Addresses held before and after. */
  readonly kept: readonly IPAddress[];
  /** Addresses newly assigned in this call. */
  readonly allocated: readonly IPAddress[];
  /** Addresses held before and not any more. */
  readonly released: readonly IPAddress[];
}

/** The whole outcome. */
export interface Allocation {
  readonly results: ReadonlyMap<string, AllocationResult>;
  /** Distinct addresses in use per pool. */
  readonly inUse: ReadonlyMap<string, number>;
}

interface Holder {
  readonly id: string;
  readonly sharing: SharingInfo | undefined;
}

interface Holding {
  readonly pool: string;
  readonly holders: Holder[];
}

interface MutableSlot {
  family: IPFamily;
  index: number;
  pin: IPAddress | undefined;
  ip: IPAddress | undefined;
  failure: AllocationFailure | undefined;
  kept: boolean | undefined;
}

/**
 * Key of an address in the held maps: IPv4 as a number (V8 hashes numbers far faster than BigInt,
 * and 32 bits are exact in a double), IPv6 as its BigInt.
 */
type HeldKey = number | bigint;
const heldKey = (family: IPFamily, value: bigint): HeldKey => (family === 4 ? Number(value) : value);

interface Work {
  readonly req: AllocationRequest;
  readonly pool: PoolSpec | undefined;
  readonly slots: MutableSlot[];
  readonly released: IPAddress[];
}

const familyName = (f: IPFamily) => `IPv${f}`;

/** Decides every request's addresses. */
export function allocate(pools: readonly PoolSpec[], requests: readonly AllocationRequest[]): Allocation {
  const poolByName = new Map(pools.map((p) => [p.name, p]));
  const held: Record<IPFamily, Map<HeldKey, Holding>> = { 4: new Map(), 6: new Map() };
  const groups = new Map<string, IPAddress[]>();
  const work = requests.map((req) => prepare(req, poolByName.get(req.pool)));

  const groupKey = (w: Work, s: MutableSlot) => `${w.req.pool}\u0000${w.req.sharing?.key ?? ''}\u0000${s.family}\u0000${s.index}`;
  /** Adds the slot's address to its sharing group (by its final index). */
  const joinGroup = (w: Work, s: MutableSlot, a: IPAddress) => {
    if (!w.req.sharing || w.req.sharing.key === '') return;
    const k = groupKey(w, s);
    const g = groups.get(k);
    if (!g) groups.set(k, [a]);
    else if (!g.some((x) => x.value === a.value)) g.push(a);
  };
  const hold = (w: Work, s: MutableSlot, a: IPAddress, group = true) => {
    const m = held[a.family];
    const k = heldKey(a.family, a.value);
    const h = m.get(k);
    const holder = { id: w.req.id, sharing: w.req.sharing };
    if (h) h.holders.push(holder);
    else m.set(k, { pool: w.req.pool, holders: [holder] });
    s.ip = a;
    if (group) joinGroup(w, s, a);
  };
  /** Why `w` may not hold `a` next to its current holders; undefined when it may. */
  const conflictWith = (w: Work, a: IPAddress): { holder: string; why: string; sameKey: boolean } | undefined => {
    const h = held[a.family].get(heldKey(a.family, a.value));
    if (!h) return undefined;
    for (const o of h.holders) {
      if (o.id === w.req.id) return { holder: o.id, why: 'already holds it at another index', sameKey: false };
      const why = sharingConflict(o.sharing, w.req.sharing);
      if (why !== undefined) {
        const sameKey = !!w.req.sharing && w.req.sharing.key !== '' && o.sharing?.key === w.req.sharing.key;
        return { holder: o.id, why, sameKey };
      }
    }
    if (h.pool !== w.req.pool) return { holder: h.holders[0]?.id ?? '?', why: `held from pool ${h.pool}`, sameKey: false };
    return undefined;
  };

  // Phase 1: keep what is held and still valid, earlier requests first.
  for (const w of work) {
    for (const s of w.slots) {
      if (!s.ip) continue;
      const a = s.ip;
      s.ip = undefined;
      if (w.pool && poolContains(w.pool, a) && !conflictWith(w, a)) {
        hold(w, s, a, false);
        s.kept = true;
      } else {
        w.released.push(a);
      }
    }
  }
  // Kept addresses take the indexes status will give them (released ones leave no gap), and only
  // then join their sharing groups: a group index must be the same in this run and the next.
  for (const w of work) {
    compactUnpinned(w.slots);
    for (const s of w.slots) if (s.ip) joinGroup(w, s, s.ip);
  }

  // Phase 2: pins, before any automatic choice can take a pinned address.
  for (const w of work) {
    for (const s of w.slots) {
      if (s.ip || !s.pin) continue;
      if (w.req.blockNew) {
        s.failure = w.req.blockNew;
        continue;
      }
      const a = s.pin;
      if (!w.pool || !poolContains(w.pool, a)) {
        s.failure = { reason: 'RequestedIPNotInPool', detail: `${formatIP(a)} is not in pool ${w.req.pool}` };
        continue;
      }
      const c = conflictWith(w, a);
      if (c) {
        s.failure = c.sameKey
          ? { reason: 'SharingConflict', detail: `${formatIP(a)} is shared with ${c.holder}, but ${c.why}` }
          : { reason: 'RequestedIPInUse', detail: `${formatIP(a)} is held by ${c.holder}` };
        continue;
      }
      hold(w, s, a);
    }
  }

  // Phase 3: automatic choices: the sharing group's address at this index, else the lowest free one.
  const cursors = new Map<string, FreeCursor>();
  const cursorFor = (pool: PoolSpec, family: IPFamily): FreeCursor => {
    const k = `${pool.name}\u0000${family}`;
    let c = cursors.get(k);
    if (!c) {
      const m = held[family];
      c = new FreeCursor(pool, family, (v) => m.has(heldKey(family, v)));
      cursors.set(k, c);
    }
    return c;
  };
  for (const w of work) {
    // Once an unpinned index of a family fails, the later ones fail alike: status cannot show gaps,
    // so failures must trail the assigned addresses for the next run to see the same indexes.
    const stopped = new Map<IPFamily, AllocationFailure>();
    for (const s of w.slots) {
      if (s.ip || s.pin || s.failure) continue;
      const earlier = stopped.get(s.family);
      if (earlier) {
        s.failure = earlier;
        continue;
      }
      autoAssign(w, s);
      if (s.failure) stopped.set(s.family, s.failure);
    }
  }

  function autoAssign(w: Work, s: MutableSlot): void {
    if (w.req.blockNew) {
      s.failure = w.req.blockNew;
      return;
    }
    const pool = w.pool;
    if (!pool) {
      s.failure = { reason: 'PoolExhausted', detail: `pool ${w.req.pool} does not exist` };
      return;
    }
    if (w.req.sharing && w.req.sharing.key !== '') {
      const group = groups.get(groupKey(w, s));
      if (group && group.length > 0) {
        const ok = group.find((a) => !conflictWith(w, a));
        if (ok) {
          hold(w, s, ok);
        } else {
          const c = conflictWith(w, group[0] as IPAddress);
          s.failure = { reason: 'SharingConflict', detail: `${formatIP(group[0] as IPAddress)} is shared with ${c?.holder ?? '?'}, but ${c?.why ?? 'it conflicts'}` };
        }
        return;
      }
    }
    if (!poolFamilies(pool).includes(s.family)) {
      s.failure = { reason: 'PoolExhausted', detail: `pool ${pool.name} has no ${familyName(s.family)} addresses` };
      return;
    }
    if (!pool.autoAssign) {
      s.failure = { reason: 'PoolExhausted', detail: `pool ${pool.name} hands out pinned addresses only` };
      return;
    }
    const v = cursorFor(pool, s.family).take();
    if (v === undefined) {
      s.failure = { reason: 'PoolExhausted', detail: `no free ${familyName(s.family)} address in pool ${pool.name}` };
      return;
    }
    hold(w, s, { family: s.family, value: v });
  }

  for (const w of work) compactUnpinned(w.slots);

  const results = new Map<string, AllocationResult>();
  for (const w of work) {
    const slots: Slot[] = w.slots.map((s) => (s.ip ? { family: s.family, index: s.index, ip: s.ip } : { family: s.family, index: s.index, failure: s.failure as AllocationFailure }));
    results.set(w.req.id, {
      id: w.req.id,
      slots,
      kept: w.slots.filter((s) => s.kept && s.ip).map((s) => s.ip as IPAddress),
      allocated: w.slots.filter((s) => !s.kept && s.ip).map((s) => s.ip as IPAddress),
      released: w.released,
    });
  }
  const inUse = new Map<string, number>(pools.map((p) => [p.name, 0]));
  for (const fam of [4, 6] as const) for (const h of held[fam].values()) inUse.set(h.pool, (inUse.get(h.pool) ?? 0) + 1);
  return { results, inUse };
}

/**
 * Moves the addresses of unpinned indexes before their failures, keeping their order: status lists
 * addresses without gaps, so this is the index each address will have when read back.
 */
function compactUnpinned(slots: MutableSlot[]): void {
  // Usual case (10k Services a run): no empty unpinned index before a filled one, nothing to move.
  let gap = false;
  let needed = false;
  for (const s of slots) {
    if (s.pin) continue;
    if (!s.ip) gap = true;
    else if (gap) needed = true;
  }
  if (!needed) return;
  for (const family of [4, 6] as const) {
    const free = slots.filter((s) => s.family === family && !s.pin);
    const filled = free.filter((s) => s.ip).map((s) => ({ ip: s.ip, kept: s.kept }));
    const failed = free.filter((s) => !s.ip).map((s) => s.failure);
    free.forEach((s, i) => {
      const f = filled[i];
      s.ip = f?.ip;
      s.kept = f?.kept;
      s.failure = f ? undefined : failed[i - filled.length];
    });
  }
}

/**
 * Lays out a request's slots and maps its current addresses to indexes: an address equal to a pin
 * takes the pin's index; the others fill the unpinned indexes in status order. Addresses of families
 * no longer wanted, or beyond the count, are released.
 */
function prepare(req: AllocationRequest, pool: PoolSpec | undefined): Work {
  const slots: MutableSlot[] = [];
  const released: IPAddress[] = [];
  const count = Math.max(0, Math.floor(req.count));
  for (const family of req.families) {
    const pins = req.pins.filter((a) => a.family === family);
    const fam: MutableSlot[] = [];
    for (let i = 0; i < count; i++) fam.push({ family, index: i, pin: pins[i], ip: undefined, failure: undefined, kept: undefined });
    const rest: IPAddress[] = [];
    for (const a of req.current.filter((x) => x.family === family)) {
      const s = fam.find((x) => x.pin && !x.ip && x.pin.value === a.value);
      if (s) s.ip = a;
      else rest.push(a);
    }
    for (const a of rest) {
      const s = fam.find((x) => !x.pin && !x.ip);
      if (s) s.ip = a;
      else released.push(a);
    }
    slots.push(...fam);
  }
  for (const a of req.current) if (!req.families.includes(a.family)) released.push(a);
  return { req, pool, slots, released };
}
