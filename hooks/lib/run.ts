// One hook run without files: binding contexts and values in, collected outputs out. The CLI
// (cli.ts) wraps it with addon-operator's files; handler tests call it directly (testing.ts).
import { readRunContext } from './context.ts';
import { createCollectors, MODULE_KEY, type HookOutputs } from './collectors.ts';
import { cloneJson, isJsonObject } from './json.ts';
import type { Hook } from './define.ts';
import type { HookLogger, HookState, JsonObject, JsonValue } from './types.ts';

/** Inputs of one run, as the runtime has read them. */
export interface RunInput {
  contexts: JsonValue;
  /** The whole VALUES_PATH document ({global, metallb}). */
  values: JsonValue;
  /** The whole CONFIG_VALUES_PATH document. */
  configValues: JsonValue;
  now: Date;
  random: (bytes: number) => Uint8Array;
  state: HookState;
  log: HookLogger;
}

/** Name of the runtime's own metric: snapshot items skipped because their projection failed. */
export const SKIPPED_METRIC = 'd8_metallb_hook_skipped_objects';

function moduleSection(doc: JsonValue, what: string): JsonObject {
  if (!isJsonObject(doc)) throw new Error(`${what}: JSON object expected`);
  const section = doc[MODULE_KEY];
  if (section === undefined || section === null) return {};
  if (!isJsonObject(section)) throw new Error(`${what}: "${MODULE_KEY}" must be an object`);
  return section;
}

/** Runs `hook`'s handler on the given input and returns what it emitted. */
export async function runHook(hook: Hook, input: RunInput): Promise<HookOutputs> {
  const ctx = readRunContext(hook, input.contexts, input.log);
  const values = moduleSection(input.values, 'values');
  const configValues = moduleSection(input.configValues, 'config values');
  const { out, result } = createCollectors({ values, now: input.now, log: input.log });
  await hook.handler(
    {
      snapshots: ctx.snapshots,
      hasSnapshots: ctx.hasSnapshots,
      values: cloneJson(values),
      configValues: cloneJson(configValues),
      triggers: ctx.triggers,
      now: input.now,
      random: input.random,
      state: input.state,
      log: input.log,
    },
    out,
  );
  for (const [binding, count] of Object.entries(ctx.skipped).sort(([a], [b]) => a.localeCompare(b))) {
    out.metrics.set(SKIPPED_METRIC, count, { binding });
  }
  return result();
}
