// The hooks' memory of their own recent writes (DESIGN §2). addon-operator's informer cache may lag
// behind the patches of the previous run; a run that trusted such a stale snapshot could move a
// Service's IPs or hand them to another Service. So every write is remembered, keyed by object, with
// the resourceVersion the decision was based on, until a snapshot shows it:
//
// - a snapshot with the same resourceVersion as the base is stale by definition (our write bumps it);
// - a snapshot with another resourceVersion that shows what we wrote has caught up: entry dropped;
// - otherwise the entry stands in for the snapshot's view. After REWRITE_AFTER_MS without catching
//   up the write is sent again (it may have failed); after EXPIRE_AFTER_MS the entry is dropped.
//
// Pure: the hook reads and writes the JSON through its state store.
import type { JsonValue } from '../json.ts';

/** One remembered write. `view` is the part of the object the write set, in comparable form. */
export interface CachedWrite {
  readonly baseResourceVersion: string;
  readonly view: JsonValue;
  readonly writtenAtMs: number;
}

/** The cache as stored (JSON). */
export interface WriteCacheData {
  readonly version: 1;
  readonly writes: Readonly<Record<string, CachedWrite>>;
  /** Fingerprints of warnings already reported per object (InvalidAnnotation, IPsShareNodes). */
  readonly reported: Readonly<Record<string, string>>;
}

/** A write the snapshot does not show after this long is sent again (it may have failed). */
export const REWRITE_AFTER_MS = 30_000;
/** A write the snapshot does not show after this long is forgotten (the snapshot is trusted again). */
export const EXPIRE_AFTER_MS = 600_000;

/** Parses stored JSON; anything unexpected reads as an empty cache (a restart is safe: informers start fresh). */
export function loadWriteCache(v: JsonValue | undefined): WriteCacheData {
  if (v && typeof v === 'object' && !Array.isArray(v) && v.version === 1 && isRecord(v.writes) && isRecord(v.reported)) {
    return v as unknown as WriteCacheData;
  }
  return { version: 1, writes: {}, reported: {} };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How one object's current state is to be read. */
export interface Effective<T> {
  /** The view to decide from: the snapshot's, or our newer write's. */
  readonly view: T;
  /** The snapshot still lags behind our write and the write is recent: do not send it again. */
  readonly pendingWrite: boolean;
}

/** A working copy of the cache for one run. */
export class WriteCache {
  readonly #writes: Map<string, CachedWrite>;
  readonly #reported: Map<string, string>;
  readonly #nowMs: number;
  readonly #seen = new Set<string>();
  readonly #seenReported = new Set<string>();

  constructor(data: WriteCacheData, nowMs: number) {
    this.#writes = new Map(Object.entries(data.writes));
    this.#reported = new Map(Object.entries(data.reported));
    this.#nowMs = nowMs;
  }

  /**
   * The view to decide from for object `key`, given the snapshot's view and resourceVersion.
   * `equal` compares views (only the parts we write).
   */
  effective<T extends JsonValue>(key: string, snapshotRV: string, snapshotView: T, equal: (a: T, b: T) => boolean): Effective<T> {
    this.#seen.add(key);
    const w = this.#writes.get(key);
    if (!w) return { view: snapshotView, pendingWrite: false };
    const age = this.#nowMs - w.writtenAtMs;
    const caughtUp = snapshotRV !== w.baseResourceVersion && equal(snapshotView, w.view as T);
    if (caughtUp || age > EXPIRE_AFTER_MS || age < 0) {
      this.#writes.delete(key);
      return { view: snapshotView, pendingWrite: false };
    }
    return { view: w.view as T, pendingWrite: age <= REWRITE_AFTER_MS };
  }

  /** Records a write of `view` decided from a snapshot at `baseRV`. */
  remember(key: string, baseRV: string, view: JsonValue): void {
    this.#seen.add(key);
    this.#writes.set(key, { baseResourceVersion: baseRV, view, writtenAtMs: this.#nowMs });
  }

  /** Whether the warning fingerprint differs from the one reported last for `key`. */
  isNewWarning(key: string, fingerprint: string): boolean {
    this.#seenReported.add(key);
    return (this.#reported.get(key) ?? '') !== fingerprint;
  }

  /** Marks `fingerprint` reported for `key` ("" clears it). */
  markReported(key: string, fingerprint: string): void {
    this.#seenReported.add(key);
    if (fingerprint === '') this.#reported.delete(key);
    else this.#reported.set(key, fingerprint);
  }

  /** The cache to store: entries of objects not seen in this run are dropped (the objects are gone). */
  toData(): WriteCacheData {
    const writes: Record<string, CachedWrite> = {};
    for (const k of [...this.#writes.keys()].sort()) if (this.#seen.has(k)) writes[k] = this.#writes.get(k) as CachedWrite;
    const reported: Record<string, string> = {};
    for (const k of [...this.#reported.keys()].sort()) if (this.#seenReported.has(k)) reported[k] = this.#reported.get(k) as string;
    return { version: 1, writes, reported };
  }
}
