// Handler tests without files: build the input, run, inspect the collected outputs.
import { createHash } from 'node:crypto';
import type { HookOutputs } from './collectors.ts';
import type { Hook } from './define.ts';
import { runHook } from './run.ts';
import type { HookState, JsonObject, JsonValue } from './types.ts';

/** Input of `runHandler`; snapshots are given as raw filter results per binding. */
export interface HandlerTestInput {
  snapshots?: Record<string, JsonValue[]>;
  /** `metallb` values. */
  values?: JsonObject;
  configValues?: JsonObject;
  /** Binding name of the run (default: a Group run of the first kubernetes binding, or beforeHelm). */
  binding?: string;
  now?: Date;
  /** Seed of the deterministic byte source (sha256 counter). */
  seed?: string;
  state?: Map<string, JsonValue>;
}

/** An in-memory HookState over `map`. */
export function memoryState(map = new Map<string, JsonValue>()): HookState {
  return {
    read: (k) => structuredClone(map.get(k)),
    write: (k, v) => { map.set(k, structuredClone(v)); },
    delete: (k) => { map.delete(k); },
  };
}

/** Deterministic "random" bytes for tests. */
export function seededRandom(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

/** Runs `hook`'s handler like a Group run with the given snapshots; returns the outputs and the logs. */
export async function runHandler(hook: Hook, input: HandlerTestInput = {}): Promise<HookOutputs & { logs: JsonObject[] }> {
  const logs: JsonObject[] = [];
  const push = (level: string) => (msg: string, fields?: Record<string, unknown>): void => {
    logs.push(JSON.parse(JSON.stringify({ level, msg, ...fields })) as JsonObject);
  };
  const kubeNames = Object.keys(hook.kubernetes ?? {});
  const binding = input.binding ?? kubeNames[0] ?? 'beforeHelm';
  const snapshots: Record<string, JsonValue> = {};
  for (const name of kubeNames) snapshots[name] = (input.snapshots?.[name] ?? []).map((r) => ({ filterResult: r }));
  const context: JsonObject = binding === 'onStartup'
    ? { binding }
    : kubeNames.includes(binding) ? { binding, type: 'Group', groupName: 'main', snapshots } : { binding, snapshots };
  const outputs = await runHook(hook, {
    contexts: [context],
    values: { global: {}, metallb: input.values ?? {} },
    configValues: { global: {}, metallb: input.configValues ?? {} },
    now: input.now ?? new Date('2026-01-01T00:00:00Z'),
    random: seededRandom(input.seed ?? 'test'),
    state: memoryState(input.state),
    log: { info: push('info'), warn: push('warn') },
  });
  return { ...outputs, logs };
}
