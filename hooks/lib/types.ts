// The hook runtime's public API: what a hook file declares and what its handler receives and emits.
// A hook is plain data plus one function; the runtime (hooks/lib/) does every file, env and protocol
// detail of addon-operator's module-sdk batch protocol. See hooks/lib/README.md.

import type { JsonObject, JsonValue } from '../../lib/json.ts';

/** JSON values as they travel through binding contexts, values and patches (one type: lib/json.ts). */
export type { JsonObject, JsonValue };

/** A Kubernetes label selector as the API spells it. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** One field selector requirement; only fields the API server can select on. */
export interface FieldSelectorRequirement {
  field: string;
  operator: '=' | '==' | 'Equals' | '!=' | 'NotEquals';
  value: string;
}

/**
 * A `kubernetes` binding. Batch hooks never keep full objects in memory, so a binding without a
 * `jqFilter` would deliver empty items: the filter is required and is the only view the hook gets.
 * `project` turns one filter result into the hook's own record (parse at the edge, once); it throws
 * (any Error) when the shape is unexpected, which fails the run with the binding name in the message.
 * The binding's name is its key in `HookDefinition.kubernetes`.
 */
export interface KubernetesBinding<T> {
  apiVersion: string;
  kind: string;
  /** Watch only objects with these names. */
  nameSelector?: { matchNames: string[] };
  /** Watch only these namespaces (absent: all namespaces, or cluster-scoped objects). */
  namespace?: { nameSelector?: { matchNames: string[] }; labelSelector?: LabelSelector };
  labelSelector?: LabelSelector;
  fieldSelector?: { matchExpressions: FieldSelectorRequirement[] };
  /** jq (gojq) program applied to each object; its result is what `project` receives. */
  jqFilter: string;
  /** Run the hook when objects change (default true); false: the snapshot is kept current but changes do not run the hook. */
  executeHookOnEvent?: boolean;
  /** Run the hook on the initial list (default true). */
  executeHookOnSynchronization?: boolean;
  /** Module start waits for this binding's first list (default true). */
  waitForSynchronization?: boolean;
  /** A failed run triggered by this binding is not retried (default false). */
  allowFailure?: boolean;
  project: (filterResult: JsonValue) => T;
}

/** A cron binding (5 fields, or 6 with leading seconds). */
export interface ScheduleBinding {
  name: string;
  crontab: string;
}

/** Snapshot records per binding name, in addon-operator's order (namespace, then name). */
export type Snapshots<S> = { readonly [K in keyof S]: readonly S[K][] };

/** The kubernetes bindings of a hook, keyed by binding name (unique within the hook). */
export type KubernetesBindings<S> = { [K in keyof S]: KubernetesBinding<S[K]> };

/**
 * A hook: bindings plus a handler. Every binding is put in group `main` by addon-operator, so each
 * run sees the full snapshots of all kubernetes bindings; handlers recompute from them and must be
 * idempotent (a second run on the same state emits nothing) and deterministic (sorted output, time
 * only from `input.now`, randomness only from `input.random`).
 */
export interface HookDefinition<S = Record<string, unknown>> {
  /** Stable name, kebab-case; used in logs, metrics (`hook` label) and the state file names. */
  name: string;
  kubernetes?: KubernetesBindings<S>;
  schedule?: ScheduleBinding[];
  /** Order numbers of lifecycle bindings (lower runs first). */
  onStartup?: number;
  beforeHelm?: number;
  afterHelm?: number;
  afterDeleteHelm?: number;
  handler: (input: HookInput<S>, out: HookOutput) => void | Promise<void>;
}

/** What triggered this run: one entry per binding context, oldest first. */
export interface Trigger {
  /** Binding name: a kubernetes/schedule binding name, or `onStartup`, `beforeHelm`, `afterHelm`, `afterDeleteHelm`. */
  binding: string;
  /** Context type: `Group` for kubernetes and schedule bindings in batch hooks, absent for lifecycle bindings. */
  type?: string;
}

/** Persistent per-hook JSON store in `METALLB_HOOKS_STATE_DIR` (default /tmp), kept between runs of one operator pod. */
export interface HookState {
  /** The value stored under `key`, or undefined. A corrupt file reads as undefined (and is logged). */
  read(key: string): JsonValue | undefined;
  /** Stores `value` under `key`; written (atomically) only after the run's outputs are written. */
  write(key: string, value: JsonValue): void;
  /** Deletes `key` (after the run). */
  delete(key: string): void;
}

/** Structured log lines on stderr (addon-operator logs hook stderr line by line). */
export interface HookLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** The handler's input. */
export interface HookInput<S> {
  /** Snapshots of all kubernetes bindings (empty lists when the run carries none, see `hasSnapshots`). */
  snapshots: Snapshots<S>;
  /** False only in an onStartup run: addon-operator sends no snapshots there, so empty lists mean "unknown". */
  hasSnapshots: boolean;
  /** The module's values (`metallb` key): defaults, user settings and earlier hook patches merged. Read-only. */
  values: JsonObject;
  /** The user's settings as stored (no defaults), `metallb` key. Read-only. */
  configValues: JsonObject;
  /** The binding contexts of this run. For logs; never decide from a single event. */
  triggers: readonly Trigger[];
  /** The runtime's clock, read once per run. */
  now: Date;
  /** Cryptographically random bytes. */
  random: (bytes: number) => Uint8Array;
  state: HookState;
  log: HookLogger;
}

/** A reference to one Kubernetes object. `namespace` absent: cluster-scoped. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** A Kubernetes object to create or replace. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'test' | 'move' | 'copy';
  path: string;
  value?: JsonValue;
  from?: string;
}

/** Options of patch operations. */
export interface PatchOptions {
  /** `status` to write the status subresource (the only way status changes on objects that have one). */
  subresource?: 'status';
  /** A missing object is not an error. */
  ignoreMissingObject?: boolean;
}

/** Values patches under the module key. Paths are dotted and relative to `metallb`, e.g. `internal.membership`. */
export interface ValuesCollector {
  /** Sets the value at `path` (creating missing parent objects); emits nothing when the value is already equal. */
  set(path: string, value: JsonValue): void;
  /** Removes the value at `path`; emits nothing when it is absent. */
  remove(path: string): void;
}

/** Kubernetes operations, applied by addon-operator in the order given. */
export interface KubeCollector {
  create(object: KubeObject): void;
  createIfNotExists(object: KubeObject): void;
  /** Create, or replace the whole object (not a merge). */
  createOrUpdate(object: KubeObject): void;
  mergePatch(ref: ObjectRef, patch: JsonObject, options?: PatchOptions): void;
  jsonPatch(ref: ObjectRef, patch: JsonPatchOperation[], options?: PatchOptions): void;
  /** Foreground deletion (addon-operator waits until the object is gone); NotFound is ignored. */
  delete(ref: ObjectRef, propagation?: 'Foreground' | 'Background' | 'Orphan'): void;
}

/** Prometheus series exported through addon-operator. Ungrouped series are replaced as a whole on every run. */
export interface MetricsCollector {
  set(name: string, value: number, labels?: Record<string, string>, group?: string): void;
  add(name: string, value: number, labels?: Record<string, string>, group?: string): void;
  /** Drops every series of `group`. */
  expire(group: string): void;
}

/** A Kubernetes Event about one object. */
export interface HookEvent {
  regarding: ObjectRef & { uid?: string };
  type: 'Normal' | 'Warning';
  /** CamelCase reason from the module's closed list (DESIGN §3). */
  reason: string;
  message: string;
}

/** Events; capped per run (the excess is logged, not emitted). */
export interface EventCollector {
  emit(event: HookEvent): void;
}

/** Everything a handler can emit. Nothing else leaves a hook. */
export interface HookOutput {
  values: ValuesCollector;
  kube: KubeCollector;
  metrics: MetricsCollector;
  events: EventCollector;
}
