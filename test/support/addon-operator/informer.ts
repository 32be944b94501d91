// One kubernetes binding's informer, as shell-operator's kube_events_manager keeps it: a list, then
// a watch on the shared object store; a cache of jq filter results per object; an event only when
// the filter result's checksum changes (Added/Modified) or the object goes (Deleted); snapshots
// sorted by namespace, then name. Watch events are buffered until the operator applies them, which
// is how the operator makes the cache lag behind its own writes.
import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../../../hooks/lib/types.ts';
import { selectorRequirements } from '../../../lib/kube/labels.ts';
import type { FieldSelector } from '../../../lab/kube-api/selectors.ts';
import type { KubeObject, ObjectStore, ResourceType, WatchEvent, WatchHandle } from '../../../lab/kube-api/store.ts';
import type { BindingConfig } from './hook-config.ts';
import { applyJqFilter } from './jq.ts';

/** A watch event waiting to reach the cache. */
export interface PendingEvent {
  informer: Informer;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

interface CacheEntry {
  namespace: string;
  name: string;
  object: KubeObject;
  filterResult: JsonValue;
  checksum: string;
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function checksum(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v) ?? 'undefined').digest('hex');
}

/** The cache of one binding of one hook. */
export class Informer {
  readonly binding: BindingConfig;
  readonly type: ResourceType;
  readonly #store: ObjectStore;
  readonly #cache = new Map<string, CacheEntry>();
  #watch: WatchHandle | undefined;

  constructor(store: ObjectStore, binding: BindingConfig) {
    this.#store = store;
    this.binding = binding;
    const group = binding.apiVersion.includes('/') ? binding.apiVersion.split('/')[0] : '';
    const t = store.resolve(binding.kind, group);
    if (!t) throw new Error(`binding ${binding.name}: kind ${binding.kind} (${binding.apiVersion}) is not served by the imitated cluster`);
    this.type = t;
  }

  #selected(o: KubeObject): boolean {
    const b = this.binding;
    if (b.nameSelector && !b.nameSelector.includes(o.metadata.name ?? '')) return false;
    if (b.namespaces && this.type.namespaced && !b.namespaces.includes(o.metadata.namespace ?? '')) return false;
    return true;
  }

  #filter(objects: readonly KubeObject[]): JsonValue[] {
    const f = this.binding.jqFilter;
    return f === undefined ? objects.map(() => null) : applyJqFilter(f, objects);
  }

  /** Lists the current objects into the cache and starts the watch; events go to `sink`. */
  start(sink: (e: PendingEvent) => void): void {
    const b = this.binding;
    const fieldSelector: FieldSelector = (b.fieldSelector ?? []).map((f) => ({ path: f.field, equal: f.operator !== '!=' && f.operator !== 'NotEquals', value: f.value }));
    const selection = { labelSelector: selectorRequirements(b.labelSelector), fieldSelector };
    const { items, resourceVersion } = this.#store.list(this.type, selection);
    const selected = items.filter((o) => this.#selected(o));
    const results = this.#filter(selected);
    this.#cache.clear();
    selected.forEach((o, i) => this.#put(o, results[i]!));
    this.#watch = this.#store.watch(this.type, { ...selection, resourceVersion }, (e: WatchEvent) => {
      if (e.type !== 'ADDED' && e.type !== 'MODIFIED' && e.type !== 'DELETED') return;
      const o = e.object as KubeObject;
      if (this.#selected(o)) sink({ informer: this, type: e.type, object: o });
    });
  }

  /** Stops the watch (a restart relists). */
  stop(): void {
    this.#watch?.stop();
    this.#watch = undefined;
  }

  #put(o: KubeObject, filterResult: JsonValue): void {
    this.#cache.set(keyOf(o), {
      namespace: o.metadata.namespace ?? '',
      name: o.metadata.name ?? '',
      object: o,
      filterResult,
      checksum: checksum(this.binding.jqFilter === undefined ? o : filterResult),
    });
  }

  /**
   * Applies buffered events to the cache, in order; returns whether any of them is an event
   * shell-operator would emit (checksum changed, or a deletion).
   */
  apply(events: readonly PendingEvent[]): boolean {
    const live = events.filter((e) => e.type !== 'DELETED').map((e) => e.object);
    const results = this.#filter(live);
    let fired = false;
    let i = 0;
    for (const e of events) {
      const key = keyOf(e.object);
      if (e.type === 'DELETED') {
        if (this.#cache.delete(key)) fired = true;
        continue;
      }
      const before = this.#cache.get(key)?.checksum;
      this.#put(e.object, results[i++]!);
      if (before !== this.#cache.get(key)!.checksum) fired = true;
    }
    return fired;
  }

  /** Snapshot items as addon-operator renders them for this binding. */
  snapshot(): JsonObject[] {
    return [...this.#cache.values()]
      .sort((a, b) => (a.namespace === b.namespace ? a.name.localeCompare(b.name) : a.namespace.localeCompare(b.namespace)))
      .map((c) => {
        const item: JsonObject = {};
        if (this.binding.keepFullObjectsInMemory) item.object = c.object as unknown as JsonObject;
        // Without a jqFilter there is no filterResult; with keepFullObjectsInMemory false the item is {}.
        if (this.binding.jqFilter !== undefined) item.filterResult = c.filterResult;
        return item;
      });
  }
}
