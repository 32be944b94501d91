// The collectors behind `HookOutput`: they record what a handler emits, in addon-operator's wire
// shapes, so the same records serve the executable (written to the output files) and handler tests.
import { createHash } from 'node:crypto';
import { cloneJson, escapePointerToken, isJsonObject, jsonEqual } from './json.ts';
import type {
  EventCollector, HookEvent, HookLogger, HookOutput, JsonObject, JsonPatchOperation, JsonValue, KubeCollector,
  KubeObject, MetricsCollector, ObjectRef, PatchOptions, ValuesCollector,
} from './types.ts';

/** The values key of this module (addon-operator: camelCase of the module name). */
export const MODULE_KEY = 'metallb';
/** Events beyond this number per run are logged, not emitted (DESIGN §3: Events are capped per run). */
export const MAX_EVENTS_PER_RUN = 20;
/** `source.component` / `reportingComponent` of the Events the hooks write. */
export const EVENT_COMPONENT = 'metallb-hooks';

/** One values patch operation as addon-operator reads it (only add and remove are allowed). */
export type ValuesPatchOperation = { op: 'add'; path: string; value: JsonValue } | { op: 'remove'; path: string };

/** One object operation of KUBERNETES_PATCH_PATH (shell-operator's object_patch schema). */
export type KubeOperation =
  | { operation: 'Create' | 'CreateIfNotExists' | 'CreateOrUpdate'; object: KubeObject }
  | { operation: 'Delete' | 'DeleteInBackground' | 'DeleteNonCascading'; apiVersion: string; kind: string; namespace?: string; name: string }
  | { operation: 'MergePatch'; apiVersion: string; kind: string; namespace?: string; name: string; subresource?: 'status'; mergePatch: JsonObject; ignoreMissingObject?: boolean }
  | { operation: 'JSONPatch'; apiVersion: string; kind: string; namespace?: string; name: string; subresource?: 'status'; jsonPatch: JsonPatchOperation[]; ignoreMissingObject?: boolean };

/** One metric operation of METRICS_PATH. */
export type MetricOperation =
  | { name: string; action: 'set' | 'add'; value: number; labels?: Record<string, string>; group?: string }
  | { group: string; action: 'expire' };

/** Everything one run emitted, in emission order. */
export interface HookOutputs {
  values: ValuesPatchOperation[];
  kube: KubeOperation[];
  metrics: MetricOperation[];
}

/** Creates the collectors for one run; `result()` returns what was emitted so far. */
export function createCollectors(opts: { values: JsonObject; now: Date; log: HookLogger }): { out: HookOutput; result: () => HookOutputs } {
  const emitted: HookOutputs = { values: [], kube: [], metrics: [] };
  const out: HookOutput = {
    values: valuesCollector(cloneJson(opts.values), emitted.values),
    kube: kubeCollector(emitted.kube),
    metrics: metricsCollector(emitted.metrics),
    events: eventCollector(emitted.kube, opts.now, opts.log),
  };
  return { out, result: () => emitted };
}

function splitPath(path: string): string[] {
  const segments = path.split('.');
  if (path === '' || segments.some((s) => s === '')) throw new Error(`invalid values path "${path}"`);
  return segments;
}

function pointer(segments: readonly string[]): string {
  return `/${[MODULE_KEY, ...segments].map(escapePointerToken).join('/')}`;
}

/**
 * Values patches against a working copy of the values, so that a handler's later `set` sees its
 * earlier ones and an unchanged value emits nothing. A missing (or null) parent is created by one
 * `add` of the nearest missing ancestor, because addon-operator applies patches strictly.
 */
function valuesCollector(working: JsonObject, sink: ValuesPatchOperation[]): ValuesCollector {
  return {
    set(path, value) {
      const segments = splitPath(path);
      let node: JsonObject = working;
      for (let i = 0; i < segments.length - 1; i++) {
        const seg = segments[i]!;
        const child = node[seg];
        if (!isJsonObject(child)) {
          let wrapped: JsonValue = cloneJson(value);
          for (let j = segments.length - 1; j > i; j--) wrapped = { [segments[j]!]: wrapped };
          node[seg] = wrapped;
          sink.push({ op: 'add', path: pointer(segments.slice(0, i + 1)), value: cloneJson(wrapped) });
          return;
        }
        node = child;
      }
      const last = segments[segments.length - 1]!;
      if (Object.hasOwn(node, last) && jsonEqual(node[last], value)) return;
      node[last] = cloneJson(value);
      sink.push({ op: 'add', path: pointer(segments), value: cloneJson(value) });
    },
    remove(path) {
      const segments = splitPath(path);
      let node: JsonValue | undefined = working;
      for (const seg of segments.slice(0, -1)) {
        node = isJsonObject(node) ? node[seg] : undefined;
      }
      const last = segments[segments.length - 1]!;
      if (!isJsonObject(node) || !Object.hasOwn(node, last)) return;
      delete node[last];
      sink.push({ op: 'remove', path: pointer(segments) });
    },
  };
}

function locator(ref: ObjectRef): { apiVersion: string; kind: string; namespace?: string; name: string } {
  return ref.namespace === undefined
    ? { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name }
    : { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name };
}

function patchOptions(options: PatchOptions | undefined): { subresource?: 'status'; ignoreMissingObject?: boolean } {
  const o: { subresource?: 'status'; ignoreMissingObject?: boolean } = {};
  if (options?.subresource) o.subresource = options.subresource;
  if (options?.ignoreMissingObject) o.ignoreMissingObject = true;
  return o;
}

function kubeCollector(sink: KubeOperation[]): KubeCollector {
  const DELETE = { Foreground: 'Delete', Background: 'DeleteInBackground', Orphan: 'DeleteNonCascading' } as const;
  return {
    create: (object) => { sink.push({ operation: 'Create', object: structuredClone(object) }); },
    createIfNotExists: (object) => { sink.push({ operation: 'CreateIfNotExists', object: structuredClone(object) }); },
    createOrUpdate: (object) => { sink.push({ operation: 'CreateOrUpdate', object: structuredClone(object) }); },
    mergePatch: (ref, patch, options) => {
      sink.push({ operation: 'MergePatch', ...locator(ref), ...patchOptions(options), mergePatch: cloneJson(patch) });
    },
    jsonPatch: (ref, patch, options) => {
      sink.push({ operation: 'JSONPatch', ...locator(ref), ...patchOptions(options), jsonPatch: structuredClone(patch) });
    },
    delete: (ref, propagation = 'Foreground') => { sink.push({ operation: DELETE[propagation], ...locator(ref) }); },
  };
}

function checkMetric(name: string, value: number): void {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name "${name}"`);
  if (!Number.isFinite(value)) throw new Error(`metric ${name}: value must be a finite number`);
}

function metricsCollector(sink: MetricOperation[]): MetricsCollector {
  const record = (action: 'set' | 'add') => (name: string, value: number, labels?: Record<string, string>, group?: string): void => {
    checkMetric(name, value);
    const op: MetricOperation = { name, action, value };
    if (labels && Object.keys(labels).length > 0) op.labels = { ...labels };
    if (group !== undefined) op.group = group;
    sink.push(op);
  };
  return { set: record('set'), add: record('add'), expire: (group) => { sink.push({ group, action: 'expire' }); } };
}

/** The deterministic name of an Event: the object's name plus a hash of what the Event says and when. */
export function eventName(event: HookEvent, now: Date): string {
  const r = event.regarding;
  const digest = createHash('sha256')
    .update([r.kind, r.namespace ?? '', r.name, event.type, event.reason, event.message, now.toISOString()].join('\n'))
    .digest('hex');
  return `${r.name.slice(0, 200)}.${digest.slice(0, 16)}`;
}

function eventCollector(sink: KubeOperation[], now: Date, log: HookLogger): EventCollector {
  let count = 0;
  return {
    emit(event) {
      count++;
      if (count > MAX_EVENTS_PER_RUN) {
        log.warn('event dropped: too many events in one run', { reason: event.reason, object: event.regarding.name, limit: MAX_EVENTS_PER_RUN });
        return;
      }
      const r = event.regarding;
      const time = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
      const involvedObject: JsonObject = { apiVersion: r.apiVersion, kind: r.kind, name: r.name };
      if (r.namespace !== undefined) involvedObject.namespace = r.namespace;
      if (r.uid !== undefined) involvedObject.uid = r.uid;
      sink.push({
        operation: 'CreateIfNotExists',
        object: {
          apiVersion: 'v1',
          kind: 'Event',
          // Events about cluster-scoped objects live in `default`, as kubectl and client-go put them.
          metadata: { name: eventName(event, now), namespace: r.namespace ?? 'default' },
          involvedObject,
          type: event.type,
          reason: event.reason,
          message: event.message,
          count: 1,
          firstTimestamp: time,
          lastTimestamp: time,
          source: { component: EVENT_COMPONENT },
          reportingComponent: EVENT_COMPONENT,
          reportingInstance: EVENT_COMPONENT,
        },
      });
    },
  };
}
