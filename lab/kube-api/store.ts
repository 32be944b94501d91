// The object store behind the embedded Kubernetes API. It stands in for etcd plus the generic
// registry of kube-apiserver, because no kube-apiserver binary can run on these machines; the HTTPS
// server (server.ts) and the addon-operator imitation both use it, so selectors, patches and
// resourceVersion rules exist once.
//
// Semantics kept from kube-apiserver (what clients rely on):
// - one cluster-wide, monotonically increasing resourceVersion (a decimal string), bumped by every
//   write; a write that changes nothing keeps the old version and sends no event;
// - optimistic concurrency: an update or patch carrying a stale metadata.resourceVersion fails with
//   409 Conflict; an update without one is unconditional;
// - delete of an object with finalizers only sets metadata.deletionTimestamp; the object goes away
//   when an update removes its last finalizer; no finalizer may be added while it is being deleted;
// - for kinds with a status subresource, writes to the main resource keep the old status and status
//   writes change nothing but status; metadata.generation counts spec (non-metadata) changes;
// - watches replay from a bounded history; a resourceVersion older than the history gives
//   410 Gone (reason Expired), so clients relist. Bookmarks carry `resourceVersion()` and are sent
//   by the HTTP layer (watch.ts), which also owns timeouts and injected delays.
// Pure: time and uids come from injected functions; events are delivered synchronously.
import { alreadyExists, badRequest, conflict, gone, invalid, notFound, StatusError, type ErrorSubject } from './errors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, jsonEqual, metadataListRules, type Json } from './patch.ts';
import { matchFieldSelector, matchLabelSelector } from './selectors.ts';
import type { KubeObject, PatchType, ResourceType, Selection, StoreOptions, WatchEvent, WatchEventType, WatchHandle, WatchOptions } from './types.ts';

export type { KubeObject, ObjectMeta, PatchType, ResourceType, Selection, StoreOptions, WatchEvent, WatchEventType, WatchHandle, WatchOptions } from './types.ts';

interface HistoryEntry {
  rv: number;
  typeId: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  old: KubeObject | undefined;
}

interface Watcher {
  typeId: string;
  selection: Selection;
  send: (e: WatchEvent) => void;
}

/** Kubernetes timestamps are RFC 3339 in UTC with whole seconds. */
export function formatTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

function typeIdOf(t: ResourceType): string {
  return `${t.group}/${t.resource}`;
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/**
 * A deep copy in JSON form: stored objects are JSON (a Date given by a direct caller becomes its
 * ISO string, as on the wire), and a JSON round trip is about twice as fast as structuredClone.
 */
function copy<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Everything but metadata (and status, when it is a subresource): what metadata.generation counts. */
function specPart(t: ResourceType, o: KubeObject): Json {
  const rest: Record<string, unknown> = { ...o };
  delete rest.metadata;
  delete rest.apiVersion;
  delete rest.kind;
  if (t.statusSubresource) delete rest.status;
  return rest as Json;
}

/** Metadata without the fields the server owns, to detect no-op writes. */
function comparable(o: KubeObject): Json {
  const m = { ...o.metadata };
  delete m.resourceVersion;
  delete m.managedFields;
  return { ...o, metadata: m } as unknown as Json;
}

/** In-memory object store with kube-apiserver's write and watch semantics (see the file comment). */
export class ObjectStore {
  readonly #types = new Map<string, ResourceType>();
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #history: HistoryEntry[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly #now: () => Date;
  readonly #newUid: () => string;
  readonly #historyLimit: number;
  readonly #requireNamespaces: boolean;
  #rv = 0;
  /** Highest version dropped from the history: watching from below it is 410 Gone. */
  #compacted = 0;
  #uidCounter = 0;

  constructor(opts: StoreOptions = {}) {
    this.#now = opts.now ?? (() => new Date());
    this.#newUid = opts.newUid ?? (() => {
      this.#uidCounter++;
      return `00000000-0000-4000-8000-${this.#uidCounter.toString(16).padStart(12, '0')}`;
    });
    this.#historyLimit = opts.historyLimit ?? 1000;
    this.#requireNamespaces = opts.requireNamespaces ?? false;
  }

  /** Registers (or replaces, keeping objects) a resource type. */
  register(t: ResourceType): void {
    const id = typeIdOf(t);
    this.#types.set(id, t);
    if (!this.#objects.has(id)) this.#objects.set(id, new Map());
  }

  /** Every registered type. */
  types(): ResourceType[] {
    return [...this.#types.values()];
  }

  /** The type registered for group + plural, or undefined. */
  type(group: string, resource: string): ResourceType | undefined {
    return this.#types.get(`${group}/${resource}`);
  }

  /**
   * Finds a type by kind, plural, singular or short name (case-insensitive), optionally within a
   * group; as kubectl and addon-operator resolve `kind:` in bindings.
   */
  resolve(name: string, group?: string): ResourceType | undefined {
    const n = name.toLowerCase();
    for (const t of this.#types.values()) {
      if (group !== undefined && t.group !== group) continue;
      if (t.kind.toLowerCase() === n || t.resource === n || t.singular === n || t.shortNames?.includes(n)) return t;
    }
    return undefined;
  }

  /** The current (latest) resourceVersion of the whole store. */
  resourceVersion(): string {
    return String(this.#rv);
  }

  #require(t: ResourceType): Map<string, KubeObject> {
    const m = this.#objects.get(typeIdOf(t));
    if (!m) throw new Error(`resource ${typeIdOf(t)} is not registered in the store`);
    return m;
  }

  #subject(t: ResourceType, name: string): ErrorSubject {
    return { group: t.group, resource: t.resource, kind: t.kind, name };
  }

  #namespaceOf(t: ResourceType, namespace: string | undefined): string | undefined {
    if (!t.namespaced) return undefined;
    if (!namespace) throw badRequest(`the namespace of the provided object does not match the namespace sent on the request: a namespace is required for ${t.resource}`);
    return namespace;
  }

  /** Returns a copy of one object; 404 if absent. */
  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const o = this.#require(t).get(keyOf(this.#namespaceOf(t, namespace), name));
    if (!o) throw notFound(this.#subject(t, name));
    return copy(o);
  }

  /**
   * Returns copies of the selected objects sorted by namespace and name, and the list's version.
   * `shared: true` returns the stored objects themselves, for callers that only read them at once
   * (the HTTP server serialising a response): modifying them would corrupt the store.
   */
  list(t: ResourceType, sel: Selection = {}, opts: { shared?: boolean } = {}): { items: KubeObject[]; resourceVersion: string } {
    // etcd returns keys in byte order; the map keys are `namespace/name`.
    const items = [...this.#require(t).entries()]
      .filter(([, o]) => this.#matches(t, sel, o))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => (opts.shared ? o : copy(o)));
    return { items, resourceVersion: this.resourceVersion() };
  }

  #matches(t: ResourceType, sel: Selection, o: KubeObject): boolean {
    if (t.namespaced && sel.namespace && o.metadata.namespace !== sel.namespace) return false;
    if (sel.labelSelector && !matchLabelSelector(sel.labelSelector, o.metadata.labels)) return false;
    if (sel.fieldSelector && !matchFieldSelector(sel.fieldSelector, o)) return false;
    return true;
  }

  #check(t: ResourceType, o: KubeObject, old: KubeObject | undefined): KubeObject {
    const prepared = t.prepare ? t.prepare(o) : o;
    const causes = t.validate ? t.validate(prepared, old) : [];
    if (old?.metadata.deletionTimestamp) {
      const before = new Set(old.metadata.finalizers ?? []);
      for (const f of prepared.metadata.finalizers ?? []) {
        if (!before.has(f)) {
          causes.push({ reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"${f}"}` });
        }
      }
    }
    if (causes.length > 0) throw invalid(this.#subject(t, o.metadata.name ?? ''), causes);
    return prepared;
  }

  /**
   * Creates an object (name or generateName required). Sets uid, creationTimestamp, generation 1,
   * resourceVersion; resets status for kinds with a status subresource unless keepStatusOnCreate.
   */
  create(t: ResourceType, input: KubeObject): KubeObject {
    const objects = this.#require(t);
    const o = copy(input);
    if (typeof o.metadata !== 'object' || o.metadata === null) throw badRequest('metadata is required');
    const ns = this.#namespaceOf(t, o.metadata.namespace);
    if (!o.metadata.name && o.metadata.generateName) {
      // kube-apiserver appends 5 random alphanumerics; a counter keeps runs reproducible.
      let i = 0;
      do {
        i++;
        o.metadata.name = `${o.metadata.generateName}${(this.#rv + i).toString(36).padStart(5, '0').slice(-5)}`;
      } while (objects.has(keyOf(ns, o.metadata.name)));
    }
    const name = o.metadata.name;
    if (!name) {
      throw invalid(this.#subject(t, ''), [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    }
    if (objects.has(keyOf(ns, name))) throw alreadyExists(this.#subject(t, name));
    if (ns !== undefined && this.#requireNamespaces) this.#requireLiveNamespace(ns);
    if (ns === undefined) delete o.metadata.namespace;
    o.apiVersion = t.group ? `${t.group}/${t.version}` : t.version;
    o.kind = t.kind;
    if (t.statusSubresource && !t.keepStatusOnCreate) delete o.status;
    delete o.metadata.deletionTimestamp;
    delete o.metadata.deletionGracePeriodSeconds;
    o.metadata.uid = this.#newUid();
    o.metadata.creationTimestamp = formatTime(this.#now());
    o.metadata.generation = 1;
    const stored = this.#check(t, o, undefined);
    stored.metadata.resourceVersion = String(++this.#rv);
    objects.set(keyOf(ns, name), stored);
    this.#record(t, 'ADDED', stored, undefined);
    return copy(stored);
  }

  #requireLiveNamespace(ns: string): void {
    const nsType = this.type('', 'namespaces');
    if (!nsType) return;
    const found = this.#require(nsType).get(keyOf(undefined, ns));
    if (!found) throw notFound({ group: '', resource: 'namespaces', kind: 'Namespace', name: ns });
    if (found.metadata.deletionTimestamp) {
      throw new StatusError(403, 'Forbidden', `unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  /**
   * Replaces an object (PUT). `subresource: 'status'` changes only status. A non-empty
   * metadata.resourceVersion must equal the stored one (else 409). Returns the stored object.
   */
  update(t: ResourceType, input: KubeObject, subresource?: 'status'): KubeObject {
    const name = input.metadata?.name;
    if (!name) throw badRequest('metadata.name is required for an update');
    const ns = this.#namespaceOf(t, input.metadata.namespace);
    const objects = this.#require(t);
    const old = objects.get(keyOf(ns, name));
    if (!old) throw notFound(this.#subject(t, name));
    const rv = input.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) {
      throw conflict(this.#subject(t, name), 'the object has been modified; please apply your changes to the latest version and try again');
    }
    if (input.metadata.uid && input.metadata.uid !== old.metadata.uid) {
      throw conflict(this.#subject(t, name), `Precondition failed: UID in precondition: ${input.metadata.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    let next: KubeObject;
    if (subresource === 'status') {
      if (!t.statusSubresource) throw notFound(this.#subject(t, name));
      next = copy(old);
      if (input.status === undefined) delete next.status;
      else next.status = copy(input.status);
    } else {
      next = copy(input);
      if (t.statusSubresource) {
        if (old.status === undefined) delete next.status;
        else next.status = copy(old.status);
      }
    }
    // Fields the server owns.
    next.apiVersion = old.apiVersion;
    next.kind = old.kind;
    next.metadata.name = old.metadata.name;
    if (ns === undefined) delete next.metadata.namespace;
    else next.metadata.namespace = ns;
    next.metadata.uid = old.metadata.uid;
    next.metadata.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp) {
      next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
      next.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    } else {
      delete next.metadata.deletionTimestamp;
      delete next.metadata.deletionGracePeriodSeconds;
    }
    next.metadata.generation = old.metadata.generation;
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    const stored = this.#check(t, next, old);
    if (!jsonEqual(specPart(t, stored), specPart(t, old))) stored.metadata.generation = (old.metadata.generation ?? 0) + 1;
    if (jsonEqual(comparable(stored), comparable(old))) return copy(old);
    stored.metadata.resourceVersion = String(++this.#rv);
    if (stored.metadata.deletionTimestamp && (stored.metadata.finalizers ?? []).length === 0) {
      objects.delete(keyOf(ns, name));
      this.#record(t, 'DELETED', stored, old);
      this.#afterRemoval(t, stored);
    } else {
      objects.set(keyOf(ns, name), stored);
      this.#record(t, 'MODIFIED', stored, old);
    }
    return copy(stored);
  }

  /**
   * The object a patch would produce (not stored, not validated): the patch applied to the stored
   * object, carrying the stored resourceVersion unless the patch sets one (a precondition).
   */
  patched(t: ResourceType, namespace: string | undefined, name: string, type: PatchType, body: unknown): KubeObject {
    const current = this.get(t, namespace, name);
    const base = current as unknown as Json;
    let patched: Json;
    if (type === 'merge') patched = applyMergePatch(base, body as Json);
    else if (type === 'json') patched = applyJsonPatch(base, body);
    else {
      if (!t.strategicListRules) {
        throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
      }
      patched = applyStrategicMergePatch(base, body as Json, { ...metadataListRules, ...t.strategicListRules });
    }
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) throw badRequest('the patch did not produce an object');
    const obj = patched as unknown as KubeObject;
    if (typeof obj.metadata !== 'object' || obj.metadata === null) obj.metadata = {};
    if (!obj.metadata.resourceVersion) obj.metadata.resourceVersion = current.metadata.resourceVersion;
    if (obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
    }
    obj.metadata.namespace = current.metadata.namespace;
    return obj;
  }

  /**
   * Patches an object: the patch applies to the stored object, then the result is written as by
   * `update` (a resourceVersion inside the patch makes it conditional, else it is unconditional).
   */
  patch(t: ResourceType, namespace: string | undefined, name: string, type: PatchType, body: unknown, subresource?: 'status'): KubeObject {
    return this.update(t, this.patched(t, namespace, name, type, body), subresource);
  }

  /**
   * Deletes an object. With finalizers it only gets a deletionTimestamp (returned with
   * `deleted: false`); otherwise it is removed. Preconditions failing give 409.
   */
  delete(t: ResourceType, namespace: string | undefined, name: string, preconditions: { resourceVersion?: string; uid?: string } = {}): { object: KubeObject; deleted: boolean } {
    const ns = this.#namespaceOf(t, namespace);
    const objects = this.#require(t);
    const old = objects.get(keyOf(ns, name));
    if (!old) throw notFound(this.#subject(t, name));
    if (preconditions.resourceVersion && preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(this.#subject(t, name), `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    }
    if (preconditions.uid && preconditions.uid !== old.metadata.uid) {
      throw conflict(this.#subject(t, name), `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    const hasFinalizers = (old.metadata.finalizers ?? []).length > 0;
    if (t.resource === 'namespaces' && t.group === '') this.#terminateNamespace(name);
    const stillThere = objects.get(keyOf(ns, name));
    if (!stillThere) return { object: copy(old), deleted: true };
    if (hasFinalizers || (t.resource === 'namespaces' && t.group === '' && this.#namespaceHasObjects(name))) {
      if (old.metadata.deletionTimestamp) return { object: copy(old), deleted: false };
      const next = copy(old);
      next.metadata.deletionTimestamp = formatTime(this.#now());
      next.metadata.deletionGracePeriodSeconds = 0;
      if (t.resource === 'namespaces' && t.group === '') next.status = { ...(next.status as object | undefined), phase: 'Terminating' };
      next.metadata.resourceVersion = String(++this.#rv);
      objects.set(keyOf(ns, name), next);
      this.#record(t, 'MODIFIED', next, old);
      return { object: copy(next), deleted: false };
    }
    const gone = copy(old);
    gone.metadata.resourceVersion = String(++this.#rv);
    objects.delete(keyOf(ns, name));
    this.#record(t, 'DELETED', gone, old);
    this.#afterRemoval(t, gone);
    return { object: copy(gone), deleted: true };
  }

  /** Namespace deletion deletes its contents, as the namespace controller does. */
  #terminateNamespace(ns: string): void {
    for (const t of this.#types.values()) {
      if (!t.namespaced) continue;
      for (const o of [...this.#require(t).values()]) {
        if (o.metadata.namespace === ns && !o.metadata.deletionTimestamp) this.delete(t, ns, o.metadata.name!);
      }
    }
  }

  #namespaceHasObjects(ns: string): boolean {
    for (const t of this.#types.values()) {
      if (!t.namespaced) continue;
      for (const o of this.#require(t).values()) if (o.metadata.namespace === ns) return true;
    }
    return false;
  }

  /** A terminating namespace goes away with its last object. */
  #afterRemoval(t: ResourceType, o: KubeObject): void {
    const ns = o.metadata.namespace;
    const nsType = this.type('', 'namespaces');
    if (!t.namespaced || !ns || !nsType) return;
    const nsObj = this.#require(nsType).get(keyOf(undefined, ns));
    if (nsObj?.metadata.deletionTimestamp && (nsObj.metadata.finalizers ?? []).length === 0 && !this.#namespaceHasObjects(ns)) {
      this.delete(nsType, undefined, ns);
    }
  }

  #record(t: ResourceType, type: HistoryEntry['type'], object: KubeObject, old: KubeObject | undefined): void {
    // Stored objects are never modified in place (every write stores a new object), so the
    // history may share them; receivers get copies.
    const entry: HistoryEntry = { rv: this.#rv, typeId: typeIdOf(t), type, object, old };
    this.#history.push(entry);
    while (this.#history.length > this.#historyLimit) this.#compacted = this.#history.shift()!.rv;
    for (const w of [...this.#watchers]) if (w.typeId === entry.typeId) this.#deliver(t, w, entry);
  }

  /**
   * Translates a change into what a selective watcher sees: an object entering the selection is
   * ADDED, one leaving it is DELETED (as kube-apiserver's watch cache does).
   */
  #deliver(t: ResourceType, w: Watcher, e: HistoryEntry): void {
    const now = this.#matches(t, w.selection, e.object);
    const before = e.old !== undefined && this.#matches(t, w.selection, e.old);
    let type: WatchEventType | undefined;
    if (e.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (e.type === 'DELETED') type = before || now ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    if (type) w.send({ type, object: copy(e.object) });
  }

  /**
   * Starts a watch. Events before the call are replayed from `resourceVersion` (or, without one, an
   * ADDED per current object); a version older than the kept history sends one ERROR event with a
   * 410 Expired status and no more. `send` is called synchronously from writes.
   */
  watch(t: ResourceType, opts: WatchOptions, send: (e: WatchEvent) => void): WatchHandle {
    this.#require(t);
    const w: Watcher = { typeId: typeIdOf(t), selection: opts, send };
    const rvText = opts.resourceVersion ?? '';
    if (rvText === '' || rvText === '0') {
      for (const o of this.list(t, opts).items) send({ type: 'ADDED', object: o });
    } else {
      if (!/^\d+$/.test(rvText)) throw badRequest(`invalid resource version "${rvText}"`);
      const rv = Number(rvText);
      if (rv < this.#compacted) {
        send({ type: 'ERROR', object: gone(rvText, String(this.#compacted + 1)) });
        return { stop: () => undefined };
      }
      for (const e of this.#history) if (e.rv > rv && e.typeId === w.typeId) this.#deliver(t, w, e);
    }
    this.#watchers.add(w);
    return { stop: () => this.#watchers.delete(w) };
  }

  /** Number of running watches (for tests and fault injection). */
  watchCount(): number {
    return this.#watchers.size;
  }
}
