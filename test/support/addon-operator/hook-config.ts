// `hook config` of a module-sdk batch executable, read as addon-operator reads it
// (addon-operator:kind/batch_hook.go) but stricter: unknown keys and wrong types are errors here
// (Go's decoder would drop or choke on them), so a typo in a binding fails the test, not production.
// addon-operator's remap is applied: every binding in group `main`, keepFullObjectsInMemory false
// unless given, executeHookOnEvent a boolean.
import type { JsonValue } from '../../../hooks/lib/types.ts';
import { isJsonObject } from '../../../hooks/lib/json.ts';
import type { LabelSelector } from '../../../lib/kube/labels.ts';

/** One kubernetes binding after addon-operator's defaults. */
export interface BindingConfig {
  name: string;
  apiVersion: string;
  kind: string;
  nameSelector?: string[];
  namespaces?: string[];
  labelSelector?: LabelSelector;
  fieldSelector?: { field: string; operator: string; value: string }[];
  jqFilter?: string;
  executeHookOnEvent: boolean;
  executeHookOnSynchronization: boolean;
  waitForSynchronization: boolean;
  keepFullObjectsInMemory: boolean;
  allowFailure: boolean;
}

/** One hook of the batch. */
export interface HookConfig {
  index: number;
  name: string;
  kubernetes: BindingConfig[];
  schedule: { name: string; crontab: string }[];
  onStartup?: number;
  beforeHelm?: number;
  afterHelm?: number;
  afterDeleteHelm?: number;
  beforeDeleteHelm?: number;
}

/** Thrown with every problem of the configuration. */
export class HookConfigError extends Error {
  readonly code = 'HOOK_CONFIG';
}

const HOOK_KEYS = new Set(['configVersion', 'metadata', 'schedule', 'kubernetes', 'onStartup', 'beforeHelm', 'afterHelm', 'afterDeleteHelm', 'beforeDeleteHelm', 'allowFailure', 'settings', 'logLevel']);
const BINDING_KEYS = new Set(['name', 'apiVersion', 'kind', 'nameSelector', 'namespace', 'labelSelector', 'fieldSelector', 'executeHookOnEvent', 'executeHookOnSynchronization', 'waitForSynchronization', 'keepFullObjectsInMemory', 'jqFilter', 'allowFailure', 'resynchronizationPeriod', 'includeSnapshotsFrom', 'queue']);
const FIELD_OPERATORS = new Set(['=', '==', 'Equals', '!=', 'NotEquals']);
const SELECTOR_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

function strings(v: JsonValue | undefined, where: string, problems: string[]): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    problems.push(`${where}: list of strings expected`);
    return undefined;
  }
  return v as string[];
}

function labelSelector(v: JsonValue | undefined, where: string, problems: string[]): LabelSelector | undefined {
  if (v === undefined) return undefined;
  if (!isJsonObject(v)) {
    problems.push(`${where}: object expected`);
    return undefined;
  }
  const keys = Object.keys(v);
  // shell-operator's schema: 1-2 properties, matchLabels and/or matchExpressions.
  if (keys.length === 0 || keys.some((k) => k !== 'matchLabels' && k !== 'matchExpressions')) problems.push(`${where}: only matchLabels and matchExpressions, at least one`);
  for (const e of Array.isArray(v.matchExpressions) ? v.matchExpressions : []) {
    if (!isJsonObject(e) || typeof e.key !== 'string' || typeof e.operator !== 'string' || !SELECTOR_OPERATORS.has(e.operator)) problems.push(`${where}.matchExpressions: {key, operator In|NotIn|Exists|DoesNotExist, values} expected`);
  }
  return v as unknown as LabelSelector;
}

function order(v: JsonValue | undefined, where: string, problems: string[]): number | undefined {
  if (v === undefined) return undefined;
  // Go *uint: a negative or fractional number fails decoding.
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    problems.push(`${where}: unsigned integer expected`);
    return undefined;
  }
  return v;
}

function bool(v: JsonValue | undefined, where: string, dflt: boolean, problems: string[]): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') {
    problems.push(`${where}: boolean expected (module-sdk)`);
    return dflt;
  }
  return v;
}

function binding(b: JsonValue, where: string, problems: string[]): BindingConfig | undefined {
  if (!isJsonObject(b)) {
    problems.push(`${where}: object expected`);
    return undefined;
  }
  for (const k of Object.keys(b)) if (!BINDING_KEYS.has(k)) problems.push(`${where}: unknown key ${k}`);
  if (typeof b.name !== 'string' || b.name === '') problems.push(`${where}: name required`);
  if (typeof b.kind !== 'string' || b.kind === '') problems.push(`${where}: kind required`);
  if (b.apiVersion !== undefined && typeof b.apiVersion !== 'string') problems.push(`${where}: apiVersion must be a string`);
  const cfg: BindingConfig = {
    name: String(b.name),
    apiVersion: typeof b.apiVersion === 'string' ? b.apiVersion : 'v1',
    kind: String(b.kind),
    executeHookOnEvent: bool(b.executeHookOnEvent, `${where}.executeHookOnEvent`, true, problems),
    executeHookOnSynchronization: bool(b.executeHookOnSynchronization, `${where}.executeHookOnSynchronization`, true, problems),
    waitForSynchronization: bool(b.waitForSynchronization, `${where}.waitForSynchronization`, true, problems),
    keepFullObjectsInMemory: bool(b.keepFullObjectsInMemory, `${where}.keepFullObjectsInMemory`, false, problems),
    allowFailure: bool(b.allowFailure, `${where}.allowFailure`, false, problems),
  };
  if (b.jqFilter !== undefined) {
    if (typeof b.jqFilter !== 'string') problems.push(`${where}.jqFilter: string expected`);
    else cfg.jqFilter = b.jqFilter;
  }
  if (b.nameSelector !== undefined) {
    if (!isJsonObject(b.nameSelector)) problems.push(`${where}.nameSelector: {matchNames: [...]} expected`);
    else cfg.nameSelector = strings(b.nameSelector.matchNames, `${where}.nameSelector.matchNames`, problems);
  }
  if (b.namespace !== undefined) {
    if (!isJsonObject(b.namespace)) problems.push(`${where}.namespace: object expected`);
    else {
      if (b.namespace.labelSelector !== undefined) problems.push(`${where}.namespace.labelSelector: not supported by this imitation`);
      if (isJsonObject(b.namespace.nameSelector)) cfg.namespaces = strings(b.namespace.nameSelector.matchNames, `${where}.namespace.nameSelector.matchNames`, problems);
    }
  }
  const sel = labelSelector(b.labelSelector, `${where}.labelSelector`, problems);
  if (sel) cfg.labelSelector = sel;
  if (b.fieldSelector !== undefined) {
    const exprs = isJsonObject(b.fieldSelector) ? b.fieldSelector.matchExpressions : undefined;
    if (!Array.isArray(exprs)) problems.push(`${where}.fieldSelector: {matchExpressions: [...]} expected`);
    else {
      cfg.fieldSelector = [];
      for (const e of exprs) {
        if (!isJsonObject(e) || Object.keys(e).some((k) => !['field', 'operator', 'value'].includes(k)) || typeof e.field !== 'string' || typeof e.operator !== 'string' || !FIELD_OPERATORS.has(e.operator) || typeof e.value !== 'string') {
          problems.push(`${where}.fieldSelector: {field, operator (=, ==, Equals, !=, NotEquals), value} expected`);
        } else cfg.fieldSelector.push({ field: e.field, operator: e.operator, value: e.value });
      }
    }
  }
  if (cfg.nameSelector && cfg.fieldSelector?.some((f) => f.field === 'metadata.name')) problems.push(`${where}: nameSelector and a metadata.name field selector exclude each other`);
  return cfg;
}

/** Parses `hook config` stdout ({"version":"v1","hooks":[...]} or the older bare array). */
export function parseHookConfig(stdout: string): HookConfig[] {
  let doc: JsonValue;
  try {
    doc = JSON.parse(stdout) as JsonValue;
  } catch (err) {
    throw new HookConfigError(`hook config: not JSON: ${(err as Error).message}`);
  }
  let list: JsonValue;
  if (Array.isArray(doc)) list = doc;
  else if (isJsonObject(doc) && doc.version === 'v1' && Array.isArray(doc.hooks)) list = doc.hooks;
  else throw new HookConfigError('hook config: {"version":"v1","hooks":[...]} expected');
  const problems: string[] = [];
  const hooks: HookConfig[] = [];
  for (const [index, h] of (list as JsonValue[]).entries()) {
    const where = `hooks[${index}]`;
    if (!isJsonObject(h)) {
      problems.push(`${where}: object expected`);
      continue;
    }
    for (const k of Object.keys(h)) if (!HOOK_KEYS.has(k)) problems.push(`${where}: unknown key ${k}`);
    if (h.configVersion !== 'v1') problems.push(`${where}.configVersion: "v1" expected`);
    const name = isJsonObject(h.metadata) && typeof h.metadata.name === 'string' ? h.metadata.name : '';
    if (!name) problems.push(`${where}.metadata.name required`);
    const kubernetes = (Array.isArray(h.kubernetes) ? h.kubernetes : []).map((b, i) => binding(b, `${where}.kubernetes[${i}]`, problems)).filter((b): b is BindingConfig => b !== undefined);
    const names = new Set<string>();
    for (const b of kubernetes) {
      if (names.has(b.name)) problems.push(`${where}: duplicate binding ${b.name}`);
      names.add(b.name);
    }
    const schedule: { name: string; crontab: string }[] = [];
    for (const [i, s] of (Array.isArray(h.schedule) ? h.schedule : []).entries()) {
      if (!isJsonObject(s) || typeof s.crontab !== 'string') problems.push(`${where}.schedule[${i}]: crontab required`);
      else schedule.push({ name: typeof s.name === 'string' ? s.name : 'schedule', crontab: s.crontab });
    }
    const hook: HookConfig = { index, name, kubernetes, schedule };
    for (const key of ['onStartup', 'beforeHelm', 'afterHelm', 'afterDeleteHelm', 'beforeDeleteHelm'] as const) {
      const o = order(h[key], `${where}.${key}`, problems);
      if (o !== undefined) hook[key] = o;
    }
    hooks.push(hook);
  }
  if (problems.length > 0) throw new HookConfigError(`hook config is invalid:\n  ${problems.join('\n  ')}`);
  return hooks;
}
