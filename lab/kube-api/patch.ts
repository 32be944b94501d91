// The three patch formats of the Kubernetes API, applied to plain JSON values:
// - JSON merge patch (RFC 7386), `application/merge-patch+json`;
// - JSON patch (RFC 6902), `application/json-patch+json`;
// - strategic merge patch, `application/strategic-merge-patch+json`, for the core kinds used here.
// All functions are pure: they never modify their inputs and return a new value.
import { badRequest, StatusError } from './errors.ts';

/** A JSON value as it travels over the wire. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/**
 * Applies an RFC 7386 JSON merge patch: objects merge recursively, `null` removes a key, anything
 * else (arrays included) replaces the target.
 */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

/** RFC 6901 §4: splits a JSON pointer into unescaped reference tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`invalid JSON pointer "${pointer}": must start with "/"`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, forAdd: boolean, pointer: string): number {
  if (forAdd && token === '-') return length;
  // RFC 6902 §4 / RFC 6901 §4: array indices are decimal without leading zeros.
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw badRequest(`invalid array index "${token}" in "${pointer}"`);
  const i = Number(token);
  if (i > length || (!forAdd && i === length)) throw badRequest(`array index ${i} out of bounds in "${pointer}"`);
  return i;
}

function getAt(doc: Json, tokens: string[], pointer: string): Json {
  let cur: Json = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, pointer)] as Json;
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t] as Json;
    else throw badRequest(`path "${pointer}" does not exist`);
  }
  return cur;
}

/** Returns [parent container, last token]; the parent must exist (RFC 6902 §4.1). */
function parentOf(doc: Json, pointer: string): [Json[] | JsonObject, string] {
  const tokens = parsePointer(pointer);
  const last = tokens.pop();
  if (last === undefined) throw badRequest('the root cannot be the target of this operation');
  const parent = getAt(doc, tokens, pointer);
  if (!Array.isArray(parent) && !isObject(parent)) throw badRequest(`parent of "${pointer}" is not a container`);
  return [parent, last];
}

function addAt(doc: Json, pointer: string, value: Json): Json {
  if (pointer === '') return value;
  const [parent, last] = parentOf(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, pointer), 0, value);
  else parent[last] = value;
  return doc;
}

function removeAt(doc: Json, pointer: string): Json {
  const [parent, last] = parentOf(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false, pointer), 1);
  else if (Object.hasOwn(parent, last)) delete parent[last];
  else throw badRequest(`path "${pointer}" does not exist`);
  return doc;
}

/** Applies RFC 6902 operations in order; any failing operation fails the whole patch (§5). */
export function applyJsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest('a JSON patch must be an array of operations');
  let doc = clone(target);
  for (const raw of ops as unknown[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest(`invalid JSON patch operation ${JSON.stringify(raw)}`);
    }
    const op = raw as unknown as JsonPatchOperation;
    switch (op.op) {
      case 'add':
        if (!('value' in op)) throw badRequest(`"add" at "${op.path}" needs a value`);
        doc = addAt(doc, op.path, clone(op.value as Json));
        break;
      case 'remove':
        doc = removeAt(doc, op.path);
        break;
      case 'replace':
        if (!('value' in op)) throw badRequest(`"replace" at "${op.path}" needs a value`);
        getAt(doc, parsePointer(op.path), op.path); // RFC 6902 §4.3: the target must exist
        doc = op.path === '' ? clone(op.value as Json) : addAt(removeAt(doc, op.path), op.path, clone(op.value as Json));
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw badRequest(`"move" to "${op.path}" needs "from"`);
        if (op.path.startsWith(`${op.from}/`)) throw badRequest(`cannot move "${op.from}" into its own child`);
        const v = getAt(doc, parsePointer(op.from), op.from);
        doc = addAt(removeAt(doc, op.from), op.path, v);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw badRequest(`"copy" to "${op.path}" needs "from"`);
        doc = addAt(doc, op.path, clone(getAt(doc, parsePointer(op.from), op.from)));
        break;
      }
      case 'test': {
        const v = getAt(doc, parsePointer(op.path), op.path);
        if (!jsonEqual(v, op.value as Json)) {
          throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: test failed at "${op.path}"`);
        }
        break;
      }
      default:
        throw badRequest(`unknown JSON patch operation "${String((op as { op: unknown }).op)}"`);
    }
  }
  return doc;
}

/** Deep equality of JSON values (object key order ignored). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * How a list field merges under a strategic merge patch, keyed by dotted path from the object root
 * (`spec.ports`). A string is the merge key of a list of objects (patchStrategy=merge,
 * patchMergeKey); `'$set'` is a list of scalars merged as a set (finalizers). Lists not named are
 * atomic and replaced whole, as in the Go types without a patchStrategy tag.
 */
export type StrategicListRules = Readonly<Record<string, string>>;

/** Rules every kind shares, from ObjectMeta's struct tags. */
export const metadataListRules: StrategicListRules = {
  'metadata.finalizers': '$set',
  'metadata.ownerReferences': 'uid',
};

const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

/**
 * Applies a strategic merge patch as kube-apiserver does for built-in kinds: maps merge like JSON
 * merge patch; lists named in `rules` merge element-wise by their key; the directives `$patch:
 * replace|delete|merge`, `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
 * `$setElementOrder/<field>` (sent by `kubectl apply`) are honoured.
 */
export function applyStrategicMergePatch(target: Json, patch: Json, rules: StrategicListRules): Json {
  if (!isObject(patch)) throw badRequest('a strategic merge patch must be a JSON object');
  return mergeObject(isObject(target) ? target : {}, patch, rules, '');
}

function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function mergeObject(target: JsonObject, patch: JsonObject, rules: StrategicListRules, path: string): Json {
  const directive = patch.$patch;
  if (directive === 'replace') {
    const rest = clone(patch);
    delete rest.$patch;
    return rest;
  }
  if (directive === 'delete') return null;
  const out = clone(target);
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (k.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = k.slice(DELETE_FROM_PRIMITIVE.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => jsonEqual(d, x)));
      continue;
    }
    const p = childPath(path, k);
    if (v === null) {
      delete out[k];
    } else if (isObject(v)) {
      const merged = mergeObject(isObject(out[k]) ? (out[k] as JsonObject) : {}, v, rules, p);
      if (merged === null) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v) && rules[p] !== undefined) {
      out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as Json[]) : [], v, rules, p);
    } else {
      out[k] = clone(v);
    }
  }
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(SET_ELEMENT_ORDER) && Array.isArray(v)) {
      const field = k.slice(SET_ELEMENT_ORDER.length);
      const list = out[field];
      if (Array.isArray(list)) out[field] = reorder(list, v, rules[childPath(path, field)]);
    }
  }
  return out;
}

function mergeList(target: Json[], patch: Json[], rules: StrategicListRules, path: string): Json[] {
  const key = rules[path];
  if (key === '$set') {
    const out = clone(target);
    for (const v of patch) if (!out.some((x) => jsonEqual(x, v))) out.push(clone(v));
    return out;
  }
  if (key === undefined) return clone(patch);
  // A `{$patch: replace}` element replaces the whole list with the other elements.
  if (patch.some((e) => isObject(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isObject(e) && e.$patch === 'replace')).map((e) => clone(e));
  }
  const out = clone(target);
  for (const el of patch) {
    if (!isObject(el) || !(key in el)) {
      throw badRequest(`map: ${JSON.stringify(el)} does not contain declared merge key: ${key}`);
    }
    const i = out.findIndex((x) => isObject(x) && jsonEqual(x[key], el[key]));
    if (el.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = mergeObject(out[i] as JsonObject, el, rules, path);
    else out.push(mergeObject({}, el, rules, path));
  }
  return out;
}

/** `$setElementOrder`: put the named elements first, in the given order; keep the rest after. */
function reorder(list: Json[], order: Json[], key: string | undefined): Json[] {
  const idOf = (x: Json): Json | undefined => (key && key !== '$set' && isObject(x) ? x[key] : x);
  const wanted = order.map((o) => (key && key !== '$set' && isObject(o) ? o[key] : o));
  const first: Json[] = [];
  for (const w of wanted) {
    const found = list.find((x) => jsonEqual(idOf(x), w));
    if (found !== undefined) first.push(found);
  }
  const rest = list.filter((x) => !first.includes(x));
  return [...first, ...rest];
}
