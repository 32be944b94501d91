// Reads addon-operator's binding contexts (BINDING_CONTEXT_PATH) into the handler's snapshots.
// Batch hooks get `type: Group` contexts carrying every snapshot of the hook; lifecycle contexts
// (beforeHelm, afterHelm) carry them too; onStartup carries none.
import { isJsonObject } from './json.ts';
import type { Hook } from './define.ts';
import type { HookLogger, JsonValue, Trigger } from './types.ts';

/** The parts of a run's binding contexts a handler uses. */
export interface RunContext {
  triggers: Trigger[];
  snapshots: Record<string, unknown[]>;
  hasSnapshots: boolean;
  /** Items whose projection failed, per binding (skipped and logged; exported as a metric). */
  skipped: Record<string, number>;
}

/** Thrown when the binding context file is not what addon-operator writes. */
export class BindingContextError extends Error {
  readonly code = 'BINDING_CONTEXT';
}

/**
 * Parses the binding context array. Snapshots come from the last context that carries them (they
 * are refreshed just before the run, so every context of one run holds the same snapshots).
 */
export function readRunContext(hook: Hook, contexts: JsonValue, log: HookLogger): RunContext {
  if (!Array.isArray(contexts)) throw new BindingContextError('binding context must be a JSON array');
  const triggers: Trigger[] = [];
  let raw: Record<string, JsonValue> | undefined;
  for (const [i, ctx] of contexts.entries()) {
    if (!isJsonObject(ctx) || typeof ctx.binding !== 'string') {
      throw new BindingContextError(`binding context ${i}: object with a "binding" string expected`);
    }
    triggers.push(typeof ctx.type === 'string' ? { binding: ctx.binding, type: ctx.type } : { binding: ctx.binding });
    if (ctx.snapshots !== undefined) {
      if (!isJsonObject(ctx.snapshots)) throw new BindingContextError(`binding context ${i}: "snapshots" must be an object`);
      raw = ctx.snapshots;
    }
  }
  const snapshots: Record<string, unknown[]> = {};
  const skipped: Record<string, number> = {};
  for (const [name, binding] of Object.entries(hook.kubernetes ?? {})) {
    const items = raw?.[name] ?? [];
    if (!Array.isArray(items)) throw new BindingContextError(`snapshot ${name} must be an array`);
    const records: unknown[] = [];
    for (const [i, item] of items.entries()) {
      if (!isJsonObject(item) || !Object.hasOwn(item, 'filterResult')) {
        throw new BindingContextError(`snapshot ${name}[${i}]: item without filterResult (is the binding's jqFilter missing?)`);
      }
      try {
        records.push(binding.project(item.filterResult!));
      } catch (err) {
        skipped[name] = (skipped[name] ?? 0) + 1;
        log.warn('snapshot item skipped: unexpected shape', { binding: name, index: i, error: (err as Error).message });
      }
    }
    snapshots[name] = records;
  }
  return { triggers, snapshots, hasSnapshots: raw !== undefined, skipped };
}
