// A hook run's outputs applied as addon-operator applies them, with its strictness:
// - KUBERNETES_PATCH_PATH: shell-operator's object_patch format (a stream of JSON objects or YAML
//   documents, never a top-level array), unknown keys rejected, every operation attempted and the
//   errors collected (pkg/kube/object_patch). Stricter than the API server: writing `status` of a
//   kind with a status subresource without `subresource: status` is an error here (the real API
//   drops it silently, which hides the bug).
// - VALUES_JSON_PATCH_PATH: only add/remove, only under /metallb/, applied strictly (add needs the
//   parent, remove needs the target), then the result is validated (pkg/utils/values_patch.go).
// - METRICS_PATH: set/add/expire; the default group is the hook name (a group's series are
//   replaced as a whole by every run).
import { execFileSync } from 'node:child_process';
import yaml from 'js-yaml';
import { isJsonObject, jsonEqual, parseJsonStream } from '../../../hooks/lib/json.ts';
import type { JsonObject, JsonValue } from '../../../hooks/lib/types.ts';
import { StatusError } from '../../../lab/kube-api/errors.ts';
import { applyJsonPatch, parsePointer, type Json } from '../../../lab/kube-api/patch.ts';
import type { KubeObject, ObjectStore, ResourceType } from '../../../lab/kube-api/store.ts';

/** Thrown for output addon-operator would refuse; the run counts as failed. */
export class OutputError extends Error {
  readonly code = 'HOOK_OUTPUT';
}

const OPERATION_KEYS = new Set(['operation', 'apiVersion', 'kind', 'namespace', 'name', 'subresource', 'object', 'jqFilter', 'mergePatch', 'jsonPatch', 'ignoreMissingObject', 'ignoreHookError']);
const CREATES = new Set(['Create', 'CreateIfNotExists', 'CreateOrUpdate']);
const DELETES = new Set(['Delete', 'DeleteInBackground', 'DeleteNonCascading']);
const PATCHES = new Set(['JQPatch', 'MergePatch', 'JSONPatch']);

/** Parses the object-patch file: JSON stream first, YAML documents if that fails. */
export function parseKubeOperations(text: string): JsonObject[] {
  let docs: unknown[];
  try {
    docs = parseJsonStream(text);
  } catch {
    try {
      docs = yaml.loadAll(text).filter((d) => d !== null && d !== undefined);
    } catch (err) {
      throw new OutputError(`kubernetes operations: neither JSON stream nor YAML: ${(err as Error).message}`);
    }
  }
  return docs.map((d, i) => {
    if (!isJsonObject(d as JsonValue)) throw new OutputError(`kubernetes operation ${i}: object expected (a top-level array is not accepted)`);
    const op = d as JsonObject;
    for (const k of Object.keys(op)) if (!OPERATION_KEYS.has(k)) throw new OutputError(`kubernetes operation ${i}: unknown key "${k}"`);
    const kind = op.operation;
    if (typeof kind !== 'string' || !(CREATES.has(kind) || DELETES.has(kind) || PATCHES.has(kind))) throw new OutputError(`kubernetes operation ${i}: unknown operation ${JSON.stringify(kind)}`);
    if (CREATES.has(kind)) {
      const obj = typeof op.object === 'string' ? yaml.load(op.object) : op.object;
      if (!isJsonObject(obj as JsonValue)) throw new OutputError(`kubernetes operation ${i} (${kind}): object required`);
      op.object = obj as JsonObject;
    } else if (typeof op.kind !== 'string' || typeof op.name !== 'string') {
      throw new OutputError(`kubernetes operation ${i} (${kind}): kind and name required`);
    }
    if (kind === 'MergePatch' && !isJsonObject(typeof op.mergePatch === 'string' ? JSON.parse(op.mergePatch) as JsonValue : op.mergePatch ?? null)) throw new OutputError(`kubernetes operation ${i}: mergePatch object required`);
    if (kind === 'JSONPatch' && !Array.isArray(typeof op.jsonPatch === 'string' ? JSON.parse(op.jsonPatch) as JsonValue : op.jsonPatch)) throw new OutputError(`kubernetes operation ${i}: jsonPatch array required`);
    if (kind === 'JQPatch' && typeof op.jqFilter !== 'string') throw new OutputError(`kubernetes operation ${i}: jqFilter required`);
    if (op.subresource !== undefined && (op.subresource !== 'status' || !PATCHES.has(kind))) throw new OutputError(`kubernetes operation ${i}: subresource "status" is only for patch operations`);
    return op;
  });
}

function resolveType(store: ObjectStore, apiVersion: JsonValue | undefined, kind: string): ResourceType {
  const group = typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.split('/')[0] : typeof apiVersion === 'string' ? '' : undefined;
  const t = store.resolve(kind, group);
  if (!t) throw new OutputError(`no resource ${kind}${apiVersion ? ` in ${String(apiVersion)}` : ''} (not registered in the imitated cluster)`);
  return t;
}

function touchesStatus(op: JsonObject): boolean {
  if (op.operation === 'MergePatch') {
    const p = (typeof op.mergePatch === 'string' ? JSON.parse(op.mergePatch) : op.mergePatch) as JsonObject;
    return Object.hasOwn(p, 'status');
  }
  if (op.operation === 'JSONPatch') {
    const p = (typeof op.jsonPatch === 'string' ? JSON.parse(op.jsonPatch) : op.jsonPatch) as JsonObject[];
    return p.some((o) => typeof o.path === 'string' && (o.path === '/status' || o.path.startsWith('/status/')));
  }
  if (CREATES.has(String(op.operation))) return Object.hasOwn(op.object as JsonObject, 'status');
  return false;
}

/** Applies the operations in order; returns the errors (each naming its operation). */
export function applyKubeOperations(store: ObjectStore, ops: readonly JsonObject[]): string[] {
  const errors: string[] = [];
  for (const [i, op] of ops.entries()) {
    try {
      applyOne(store, op);
    } catch (err) {
      const what = err instanceof StatusError ? `${err.reason}: ${err.message}` : (err as Error).message;
      errors.push(`operation ${i} ${String(op.operation)} ${describe(op)}: ${what}`);
    }
  }
  return errors;
}

function describe(op: JsonObject): string {
  const o = isJsonObject(op.object ?? null) ? op.object as JsonObject : op;
  const meta = isJsonObject(o.metadata ?? null) ? o.metadata as JsonObject : o;
  return `${String(o.kind)} ${meta.namespace ? `${String(meta.namespace)}/` : ''}${String(meta.name)}`;
}

function applyOne(store: ObjectStore, op: JsonObject): void {
  const operation = String(op.operation);
  if (CREATES.has(operation)) {
    const obj = structuredClone(op.object) as unknown as KubeObject;
    const t = resolveType(store, obj.apiVersion, String(obj.kind));
    if (t.statusSubresource && touchesStatus(op)) throw new OutputError(`status of ${t.kind} is written only with subresource: status`);
    try {
      store.create(t, obj);
    } catch (err) {
      if (!(err instanceof StatusError) || err.reason !== 'AlreadyExists' || operation === 'Create') throw err;
      if (operation === 'CreateIfNotExists') return;
      // CreateOrUpdate: GET, copy resourceVersion, PUT (a full replace), as shell-operator does.
      const current = store.get(t, obj.metadata.namespace, obj.metadata.name!);
      obj.metadata.resourceVersion = current.metadata.resourceVersion;
      store.update(t, obj);
    }
    return;
  }
  const t = resolveType(store, op.apiVersion, String(op.kind));
  const ns = typeof op.namespace === 'string' && op.namespace !== '' ? op.namespace : undefined;
  const name = String(op.name);
  if (DELETES.has(operation)) {
    try {
      const { deleted } = store.delete(t, ns, name);
      // Foreground deletion waits (20 s in shell-operator) for the object to go; finalizers keep it.
      if (!deleted && operation === 'Delete') throw new OutputError(`timed out waiting for ${t.kind} ${name} to be deleted (finalizers: ${(store.get(t, ns, name).metadata.finalizers ?? []).join(', ')})`);
    } catch (err) {
      if (err instanceof StatusError && err.reason === 'NotFound') return;
      throw err;
    }
    return;
  }
  const subresource = op.subresource === 'status' ? 'status' : undefined;
  if (!subresource && t.statusSubresource && touchesStatus(op)) throw new OutputError(`status of ${t.kind} is written only with subresource: status`);
  try {
    if (operation === 'MergePatch') store.patch(t, ns, name, 'merge', typeof op.mergePatch === 'string' ? JSON.parse(op.mergePatch) : op.mergePatch, subresource);
    else if (operation === 'JSONPatch') store.patch(t, ns, name, 'json', typeof op.jsonPatch === 'string' ? JSON.parse(op.jsonPatch) : op.jsonPatch, subresource);
    else {
      const current = store.get(t, ns, name);
      const out = execFileSync('gojq', ['-c', String(op.jqFilter)], { input: JSON.stringify(current) }).toString().split('\n')[0]!;
      const next = JSON.parse(out) as KubeObject;
      if (!jsonEqual(next as unknown as JsonValue, current as unknown as JsonValue)) store.update(t, next, subresource);
    }
  } catch (err) {
    if (op.ignoreMissingObject === true && err instanceof StatusError && err.reason === 'NotFound') return;
    throw err;
  }
}

/** One values patch operation as stored by addon-operator. */
export type ValuesOp = { op: 'add'; path: string; value: JsonValue } | { op: 'remove'; path: string };

/** Parses and checks a values patch file: only add/remove, only under /<moduleKey>/. */
export function parseValuesPatch(text: string, moduleKey: string): ValuesOp[] {
  let docs: JsonValue[];
  try {
    docs = parseJsonStream(text);
  } catch (err) {
    throw new OutputError(`values patch: bad JSON: ${(err as Error).message}`);
  }
  const ops = docs.flatMap((d) => (Array.isArray(d) ? d : [d]));
  return ops.map((o, i) => {
    if (!isJsonObject(o) || typeof o.op !== 'string' || typeof o.path !== 'string') throw new OutputError(`values patch ${i}: {op, path, value} expected`);
    if (o.op !== 'add' && o.op !== 'remove') throw new OutputError(`values patch ${i}: operation "${o.op}" is not allowed (only add and remove)`);
    if (!o.path.startsWith(`/${moduleKey}/`)) throw new OutputError(`values patch ${i}: path ${o.path} is outside /${moduleKey}/`);
    if (o.op === 'add') {
      if (!Object.hasOwn(o, 'value')) throw new OutputError(`values patch ${i}: add without value`);
      return { op: 'add', path: o.path, value: o.value! };
    }
    return { op: 'remove', path: o.path };
  });
}

/** Applies values ops to `doc` ({moduleKey: values}). Strict: a missing parent or target throws. */
export function applyValuesOps(doc: JsonObject, ops: readonly ValuesOp[], strict: boolean): JsonObject {
  let out: Json = structuredClone(doc) as Json;
  for (const op of ops) {
    if (!strict && op.op === 'remove') {
      // Stored patches are re-applied with "ignore missing on remove".
      try {
        out = applyJsonPatch(out, [op]);
      } catch {
        // absent: nothing to remove
      }
      continue;
    }
    if (op.op === 'add') {
      const segments = parsePointer(op.path);
      let parent: unknown = out;
      for (const s of segments.slice(0, -1)) parent = isJsonObject(parent as JsonValue) || Array.isArray(parent) ? (parent as Record<string, unknown>)[s] : undefined;
      if (parent === null || parent === undefined) throw new OutputError(`values patch: add ${op.path}: parent does not exist`);
    }
    try {
      out = applyJsonPatch(out, [op]);
    } catch (err) {
      throw new OutputError(`values patch: ${op.op} ${op.path}: ${(err as Error).message}`);
    }
  }
  return out as JsonObject;
}

/** addon-operator's CompactPatches: the last op per path wins; an op on a path drops ops below it. */
export function compactValuesOps(stored: readonly ValuesOp[], added: readonly ValuesOp[]): ValuesOp[] {
  let out = [...stored];
  for (const op of added) {
    out = out.filter((o) => o.path !== op.path && !o.path.startsWith(`${op.path}/`));
    out.push(op);
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** One exported series. */
export interface MetricSeries {
  group: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses and checks metric operations; the default group is the hook name. */
export function parseMetrics(text: string, hookName: string): JsonObject[] {
  let docs: JsonValue[];
  try {
    docs = parseJsonStream(text);
  } catch (err) {
    throw new OutputError(`metrics: bad JSON: ${(err as Error).message}`);
  }
  return docs.map((d, i) => {
    if (!isJsonObject(d)) throw new OutputError(`metric ${i}: object expected`);
    const op: JsonObject = { ...d };
    op.group ??= hookName;
    const action = op.action;
    if (action === 'expire') return op;
    if (action === 'observe') throw new OutputError(`metric ${i}: observe is invalid in a group (every hook metric has one)`);
    if (action !== 'set' && action !== 'add') throw new OutputError(`metric ${i}: unknown action ${JSON.stringify(action)}`);
    if (typeof op.name !== 'string' || op.name === '') throw new OutputError(`metric ${i}: name required`);
    if (typeof op.value !== 'number') throw new OutputError(`metric ${i} ${op.name}: value must be a number`);
    if (op.labels !== undefined && (!isJsonObject(op.labels) || Object.values(op.labels).some((v) => typeof v !== 'string'))) throw new OutputError(`metric ${i} ${op.name}: labels must be strings`);
    return op;
  });
}

/** Applies metric operations to the series store (group replacement semantics). */
export function applyMetrics(series: Map<string, MetricSeries[]>, ops: readonly JsonObject[]): void {
  const touched = new Set<string>();
  for (const op of ops) {
    const group = String(op.group);
    if (!touched.has(group)) {
      series.set(group, []);
      touched.add(group);
    }
    if (op.action === 'expire') continue;
    const list = series.get(group)!;
    const labels = (op.labels ?? {}) as Record<string, string>;
    const existing = list.find((s) => s.name === op.name && jsonEqual(s.labels, labels));
    if (existing) existing.value = op.action === 'add' ? existing.value + Number(op.value) : Number(op.value);
    else list.push({ group, name: String(op.name), labels, value: Number(op.value) });
  }
}
