// An imitation of addon-operator running this module's batch hook executable (protocol §9.2):
// it probes and reads `hook config`, keeps informers on an in-memory cluster (lab/kube-api's
// ObjectStore, the same store the embedded API serves), renders binding contexts exactly as
// addon-operator does for batch hooks (every binding in group `main`: `type: Group` contexts with
// all snapshots), runs `hook run N` with its files and variables only, applies the outputs in its
// order and with its strictness (operations.ts), re-runs hooks on the events their writes cause
// until the state settles, and runs the module lifecycle (onStartup, Synchronization, beforeHelm,
// helm, afterHelm). No kube-apiserver can run here, so the cluster is the lab's store.
//
// `delayWatchEvents`: addon-operator's informer cache can lag behind a hook's own writes. In this
// mode the events caused by the operator's own writes (hook operations, helm) reach the cache only
// after the NEXT hook run, so that run sees the state from before the write.
//
// Each imitated operator has its own METALLB_HOOKS_STATE_DIR, kept across runs and wiped by
// `restart()` (a new addon-operator pod: values patches and metrics lost, informers relisted).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJsonObject, jsonEqual } from '../../../hooks/lib/json.ts';
import type { JsonObject, JsonValue } from '../../../hooks/lib/types.ts';
import type { KubeObject, ObjectStore } from '../../../lab/kube-api/store.ts';
import { StatusError } from '../../../lab/kube-api/errors.ts';
import { repoRoot } from '../tools.ts';
import { parseHookConfig, type HookConfig } from './hook-config.ts';
import { Informer, type PendingEvent } from './informer.ts';
import {
  applyKubeOperations, applyMetrics, applyValuesOps, compactValuesOps, OutputError, parseKubeOperations, parseMetrics,
  parseValuesPatch, type MetricSeries, type ValuesOp,
} from './operations.ts';
import { loadModuleSchemas, SchemaValidationError, type ModuleSchemas } from './schemas.ts';

const MODULE_NAME = 'metallb';
const MODULE_KEY = 'metallb';

/** Options of an imitated addon-operator. */
export interface OperatorOptions {
  /** The cluster; several operators (restarts, HA) may share one. */
  store: ObjectStore;
  /** The hooks executable (default hooks/metallb-hooks, built by `node scripts/build.mjs hooks`). */
  executable?: string;
  /** Module directory with openapi/ (default: the repository). */
  moduleDir?: string;
  /** User settings (ModuleConfig spec.settings, `metallb` part). */
  configValues?: JsonObject;
  /** Static values (a module's values.yaml layer), below config defaults. */
  staticValues?: JsonObject;
  /** Renders the module's objects from values (helm); applied like helm upgrade (three-way merge). */
  helm?: (values: JsonObject) => KubeObject[];
  delayWatchEvents?: boolean;
  /** The hooks' clock (METALLB_HOOKS_FAKE_NOW); default the wall clock. */
  now?: () => Date;
  /** Runs allowed per settle() before it gives up (a hook that never settles). */
  maxRuns?: number;
}

/** What one hook run did. */
export interface RunRecord {
  hook: string;
  contexts: JsonObject[];
  exitCode: number;
  stderr: string;
  kubeOperations: JsonObject[];
  valuesPatch: ValuesOp[];
  metrics: JsonObject[];
}

/** A failed hook run: addon-operator would retry it with backoff. */
export class HookRunError extends Error {
  readonly code = 'HOOK_RUN';
  constructor(readonly record: RunRecord, why: string) {
    super(`hook ${record.hook} failed: ${why}`);
  }
}

interface Task {
  hook: HookConfig;
  binding: string;
}

function sortedKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (isJsonObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys(v[k]!)]));
  return v;
}

/** Runs a process; resolves with exit code, stdout and stderr. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

/** The imitated addon-operator (one pod). */
export class AddonOperator {
  readonly store: ObjectStore;
  readonly stateDir: string;
  readonly runs: RunRecord[] = [];
  readonly #opts: OperatorOptions;
  readonly #executable: string;
  readonly #schemas: ModuleSchemas;
  readonly #workDir: string;
  #hooks: HookConfig[] = [];
  #informers = new Map<string, Informer[]>();
  #configValues: JsonObject;
  #patches: ValuesOp[] = [];
  #metrics = new Map<string, MetricSeries[]>();
  #helmManifests = new Map<string, KubeObject>();
  #queue: Task[] = [];
  #writing = false;
  #external: PendingEvent[] = [];
  #own: PendingEvent[] = [];
  #lagged: PendingEvent[] = [];

  constructor(opts: OperatorOptions) {
    this.#opts = opts;
    this.store = opts.store;
    this.#executable = opts.executable ?? join(repoRoot, 'hooks', 'metallb-hooks');
    this.#schemas = loadModuleSchemas(opts.moduleDir ?? repoRoot);
    this.#configValues = structuredClone(opts.configValues ?? {});
    this.#workDir = mkdtempSync(join(tmpdir(), 'metallb-ao-'));
    this.stateDir = join(this.#workDir, 'state');
    mkdirSync(this.stateDir);
  }

  /** Creates an operator and runs the module start (see `start`). */
  static async start(opts: OperatorOptions): Promise<AddonOperator> {
    const op = new AddonOperator(opts);
    await op.start();
    return op;
  }

  /** The hooks as read from `hook config`. */
  get hooks(): readonly HookConfig[] {
    return this.#hooks;
  }

  /** The module's values (`metallb`): static, config defaults, settings, values defaults, hook patches. */
  values(): JsonObject {
    return this.#computeValues(this.#patches);
  }

  /** Exported metric series of every group. */
  metrics(): MetricSeries[] {
    return [...this.#metrics.values()].flat();
  }

  #computeValues(patches: readonly ValuesOp[]): JsonObject {
    const base = { ...structuredClone(this.#opts.staticValues ?? {}), ...structuredClone(this.#configValues) };
    const withDefaults = this.#schemas.values.withDefaults(this.#schemas.config.withDefaults(base));
    return applyValuesOps({ [MODULE_KEY]: withDefaults }, patches, false)[MODULE_KEY] as JsonObject;
  }

  /** Module start: probe, config, informers, onStartup, Synchronization, ModuleRun, then settle. */
  async start(): Promise<void> {
    const list = await run(this.#executable, ['hook', 'list'], {}, this.#workDir);
    const m = /^Found ([1-9]\d{0,3}) items/.exec(list.stdout);
    if (list.code !== 0 || !m) throw new Error(`${this.#executable} hook list: not a batch hook (exit ${list.code}): ${list.stdout}${list.stderr}`);
    const cfg = await run(this.#executable, ['hook', 'config'], {}, this.#workDir);
    if (cfg.code !== 0) throw new Error(`hook config failed (exit ${cfg.code}): ${cfg.stderr}`);
    this.#hooks = parseHookConfig(cfg.stdout);
    if (this.#hooks.length !== Number(m[1])) throw new Error(`hook list says ${m[1]} hooks, hook config has ${this.#hooks.length}`);
    this.#schemas.config.validate(this.#schemas.config.withDefaults(this.#configValues), 'config values');
    this.#schemas.values.validate(this.values(), 'values');
    for (const hook of this.#hooks) {
      const informers = hook.kubernetes.map((b) => new Informer(this.store, b));
      this.#informers.set(hook.name, informers);
      for (const i of informers) i.start((e) => (this.#writing ? this.#own : this.#external).push(e));
    }
    for (const hook of this.#sorted('onStartup')) await this.#runHook(hook, [{ binding: 'onStartup' }]);
    for (const hook of this.#hooks) {
      const synced = hook.kubernetes.filter((b) => b.executeHookOnSynchronization);
      // Synchronization tasks of one hook are combined; group compaction leaves the last context.
      if (synced.length > 0) await this.#runHook(hook, [this.#groupContext(hook, synced[synced.length - 1]!.name)]);
    }
    await this.#moduleRun();
    await this.settle();
  }

  #sorted(key: 'onStartup' | 'beforeHelm' | 'afterHelm'): HookConfig[] {
    return this.#hooks.filter((h) => h[key] !== undefined).sort((a, b) => a[key]! - b[key]! || a.name.localeCompare(b.name));
  }

  #snapshots(hook: HookConfig): JsonObject {
    const out: JsonObject = {};
    for (const i of this.#informers.get(hook.name) ?? []) out[i.binding.name] = i.snapshot();
    return out;
  }

  #groupContext(hook: HookConfig, binding: string): JsonObject {
    return { binding, type: 'Group', groupName: 'main', snapshots: this.#snapshots(hook) };
  }

  /** beforeHelm hooks, helm, afterHelm hooks. */
  async #moduleRun(): Promise<void> {
    for (const hook of this.#sorted('beforeHelm')) await this.#runHook(hook, [{ binding: 'beforeHelm', snapshots: this.#snapshots(hook) }]);
    if (this.#opts.helm) {
      const values = this.values();
      this.#schemas.helm.validate(values, 'values for helm');
      this.#applyHelm(this.#opts.helm(values));
      this.#afterOwnWrites();
    }
    for (const hook of this.#sorted('afterHelm')) await this.#runHook(hook, [{ binding: 'afterHelm', snapshots: this.#snapshots(hook) }]);
  }

  /** helm upgrade: create, or patch with the three-way difference (user-added fields survive). */
  #applyHelm(objects: KubeObject[]): void {
    this.#writing = true;
    try {
      for (const obj of objects) {
        const t = this.store.resolve(obj.kind ?? '', (obj.apiVersion ?? '').includes('/') ? obj.apiVersion!.split('/')[0] : '');
        if (!t) continue; // kinds the imitated cluster does not serve (RBAC, DaemonSet...) are out of scope
        const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
        const old = this.#helmManifests.get(key);
        try {
          const current = this.store.get(t, obj.metadata.namespace, obj.metadata.name!);
          const patch = threeWay(old as unknown as JsonValue, obj as unknown as JsonValue, current as unknown as JsonValue);
          if (isJsonObject(patch) && Object.keys(patch).length > 0) this.store.patch(t, obj.metadata.namespace, obj.metadata.name!, 'merge', patch);
        } catch (err) {
          if (!(err instanceof StatusError) || err.reason !== 'NotFound') throw err;
          this.store.create(t, structuredClone(obj));
        }
        this.#helmManifests.set(key, structuredClone(obj));
      }
    } finally {
      this.#writing = false;
    }
  }

  /** Events caused by the operator's own writes reach the caches now, or one run later when delayed. */
  #afterOwnWrites(): void {
    if (this.#opts.delayWatchEvents) {
      this.#deliver(this.#lagged);
      this.#lagged = this.#own;
    } else {
      this.#deliver(this.#own);
    }
    this.#own = [];
  }

  /** Applies events to the informers and queues the hooks whose bindings fired. */
  #deliver(events: PendingEvent[]): void {
    const byInformer = new Map<Informer, PendingEvent[]>();
    for (const e of events) byInformer.set(e.informer, [...(byInformer.get(e.informer) ?? []), e]);
    for (const [informer, list] of byInformer) {
      if (!informer.apply(list) || !informer.binding.executeHookOnEvent) continue;
      const hook = this.#hooks.find((h) => (this.#informers.get(h.name) ?? []).includes(informer))!;
      // Consecutive tasks of one hook are combined into one run (one Group context, the last).
      const queued = this.#queue.find((t) => t.hook === hook);
      if (queued) queued.binding = informer.binding.name;
      else this.#queue.push({ hook, binding: informer.binding.name });
    }
  }

  /** Delivers pending events and runs the hooks they trigger until nothing changes. */
  async settle(): Promise<void> {
    const maxRuns = this.#opts.maxRuns ?? 50;
    let runs = 0;
    for (;;) {
      this.#deliver(this.#external.splice(0));
      if (this.#queue.length === 0 && this.#lagged.length > 0) this.#deliver(this.#lagged.splice(0));
      const task = this.#queue.shift();
      if (!task) return;
      if (++runs > maxRuns) throw new Error(`not settled after ${maxRuns} hook runs (a hook keeps changing what it watches?)`);
      const before = this.values();
      await this.#runHook(task.hook, [this.#groupContext(task.hook, task.binding)]);
      // A values change from an Event run starts a ModuleRun (addon-operator: module-hook-run task).
      if (!jsonEqual(before, this.values())) await this.#moduleRun();
    }
  }

  /**
   * A cron tick: every schedule binding with this crontab runs (a Group context with all
   * snapshots, as for batch hooks), then the state settles. Schedule runs that change values start
   * a ModuleRun, like Event runs.
   */
  async tick(crontab: string): Promise<void> {
    for (const hook of this.#hooks) {
      const bindings = hook.schedule.filter((s) => s.crontab === crontab);
      if (bindings.length === 0) continue;
      const before = this.values();
      await this.#runHook(hook, [this.#groupContext(hook, bindings[bindings.length - 1]!.name)]);
      if (!jsonEqual(before, this.values())) await this.#moduleRun();
    }
    await this.settle();
  }

  /** Changes the user settings (a ModuleConfig edit): validated, then a ModuleRun. */
  async setConfigValues(configValues: JsonObject): Promise<void> {
    this.#schemas.config.validate(this.#schemas.config.withDefaults(configValues), 'config values');
    this.#configValues = structuredClone(configValues);
    await this.#moduleRun();
    await this.settle();
  }

  /** A new addon-operator pod: values patches, metrics, caches and the state directory are lost. */
  async restart(): Promise<void> {
    this.stop();
    for (const f of readdirSync(this.stateDir)) rmSync(join(this.stateDir, f), { recursive: true, force: true });
    this.#patches = [];
    this.#metrics.clear();
    this.#queue = [];
    this.#external = [];
    this.#own = [];
    this.#lagged = [];
    this.#informers.clear();
    await this.start();
  }

  /** Stops the watches. */
  stop(): void {
    for (const list of this.#informers.values()) for (const i of list) i.stop();
  }

  /** Stops and removes the operator's temporary files. */
  dispose(): void {
    this.stop();
    rmSync(this.#workDir, { recursive: true, force: true });
  }

  /** Runs one hook with these contexts through the executable and applies its outputs. */
  async #runHook(hook: HookConfig, contexts: JsonObject[]): Promise<RunRecord> {
    const dir = join(this.#workDir, `run-${randomUUID()}`);
    mkdirSync(dir);
    const files = {
      BINDING_CONTEXT_PATH: join(dir, 'binding-context.json'),
      VALUES_PATH: join(dir, 'values.json'),
      CONFIG_VALUES_PATH: join(dir, 'config-values.json'),
      VALUES_JSON_PATCH_PATH: join(dir, 'values.json-patch'),
      CONFIG_VALUES_JSON_PATCH_PATH: join(dir, 'config-values.json-patch'),
      KUBERNETES_PATCH_PATH: join(dir, 'object-patch'),
      METRICS_PATH: join(dir, 'metrics.json'),
    };
    const rendered = contexts.map((c) => sortedKeys(c) as JsonObject);
    writeFileSync(files.BINDING_CONTEXT_PATH, JSON.stringify(rendered));
    writeFileSync(files.VALUES_PATH, JSON.stringify({ global: { enabledModules: [MODULE_NAME] }, [MODULE_KEY]: this.values() }));
    writeFileSync(files.CONFIG_VALUES_PATH, JSON.stringify({ global: {}, [MODULE_KEY]: this.#configValues }));
    for (const f of [files.VALUES_JSON_PATCH_PATH, files.CONFIG_VALUES_JSON_PATCH_PATH, files.KUBERNETES_PATCH_PATH, files.METRICS_PATH]) writeFileSync(f, '');
    const env: NodeJS.ProcessEnv = { ...files, MODULE_NAME, METALLB_HOOKS_STATE_DIR: this.stateDir };
    if (this.#opts.now) env.METALLB_HOOKS_FAKE_NOW = this.#opts.now().toISOString();
    const emptyCwd = join(dir, 'cwd');
    mkdirSync(emptyCwd);
    const res = await run(this.#executable, ['hook', 'run', String(hook.index)], env, emptyCwd);
    const record: RunRecord = { hook: hook.name, contexts: rendered, exitCode: res.code, stderr: res.stderr, kubeOperations: [], valuesPatch: [], metrics: [] };
    this.runs.push(record);
    try {
      if (res.code !== 0) throw new HookRunError(record, `exit code ${res.code}: ${res.stderr.trim()}`);
      this.#applyOutputs(hook, record, {
        metrics: readFileSync(files.METRICS_PATH, 'utf8'),
        kube: readFileSync(files.KUBERNETES_PATCH_PATH, 'utf8'),
        config: readFileSync(files.CONFIG_VALUES_JSON_PATCH_PATH, 'utf8'),
        values: readFileSync(files.VALUES_JSON_PATCH_PATH, 'utf8'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      this.#afterOwnWrites();
    }
    return record;
  }

  /** addon-operator's order: metrics, Kubernetes operations, config values patch, values patch. */
  #applyOutputs(hook: HookConfig, record: RunRecord, text: { metrics: string; kube: string; config: string; values: string }): void {
    const fail = (why: string): never => { throw new HookRunError(record, why); };
    try {
      record.metrics = parseMetrics(text.metrics, hook.name);
      applyMetrics(this.#metrics, record.metrics);
      record.kubeOperations = parseKubeOperations(text.kube);
      this.#writing = true;
      const errors = applyKubeOperations(this.store, record.kubeOperations);
      this.#writing = false;
      if (errors.length > 0) fail(`kubernetes operations failed:\n  ${errors.join('\n  ')}`);
      const configOps = parseValuesPatch(text.config, MODULE_KEY);
      if (configOps.length > 0) {
        const next = applyValuesOps({ [MODULE_KEY]: this.#configValues }, configOps, true)[MODULE_KEY] as JsonObject;
        this.#schemas.config.validate(this.#schemas.config.withDefaults(next), 'config values after the hook\'s patch');
        this.#configValues = next;
      }
      record.valuesPatch = parseValuesPatch(text.values, MODULE_KEY);
      if (record.valuesPatch.length > 0) {
        const next = applyValuesOps({ [MODULE_KEY]: this.values() }, record.valuesPatch, true)[MODULE_KEY] as JsonObject;
        this.#schemas.values.validate(next, 'values after the hook\'s patch');
        this.#patches = compactValuesOps(this.#patches, record.valuesPatch);
      }
    } catch (err) {
      this.#writing = false;
      if (err instanceof HookRunError) throw err;
      if (err instanceof OutputError || err instanceof SchemaValidationError) fail(err.message);
      throw err;
    }
  }
}

/**
 * The merge patch helm's three-way merge amounts to for maps: fields of the new manifest that differ
 * from the live object, and nulls for fields the old manifest had and the new one dropped. Fields
 * only the live object has (added by users or controllers) are left alone.
 */
export function threeWay(old: JsonValue | undefined, next: JsonValue, current: JsonValue | undefined): JsonValue {
  if (!isJsonObject(next)) return next;
  const patch: JsonObject = {};
  const cur = isJsonObject(current ?? null) ? current as JsonObject : {};
  const prev = isJsonObject(old ?? null) ? old as JsonObject : {};
  for (const [k, v] of Object.entries(next)) {
    if (isJsonObject(v) && isJsonObject(cur[k] ?? null)) {
      const sub = threeWay(prev[k], v, cur[k]);
      if (isJsonObject(sub) && Object.keys(sub).length > 0) patch[k] = sub;
    } else if (!jsonEqual(cur[k], v)) {
      patch[k] = v;
    }
  }
  for (const k of Object.keys(prev)) if (!Object.hasOwn(next, k) && Object.hasOwn(cur, k)) patch[k] = null;
  return patch;
}
