// The executable's command line: module-sdk's batch protocol (`hook list`, `hook config`,
// `hook run N`). Any other argument list exits 2, so addon-operator's probes (and a shell-hook scan
// calling `--config`) never mistake the file for something else.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { checkHooks, type Hook } from './define.ts';
import { renderConfig } from './config.ts';
import { createLogger } from './log.ts';
import { runHook } from './run.ts';
import { DEFAULT_STATE_DIR, openState } from './state.ts';
import type { JsonValue } from './types.ts';
import type { HookOutputs } from './collectors.ts';

/** Where the CLI writes; the executable passes process streams, tests pass buffers. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const USAGE = 'usage: metallb-hooks hook list | hook config | hook run <index>\n';

/**
 * Test-only clock override (RFC 3339), so the addon-operator imitation can produce byte-identical
 * runs. Unset in Deckhouse, where the wall clock is used.
 */
export const FAKE_NOW_ENV = 'METALLB_HOOKS_FAKE_NOW';

/** Runs the CLI and returns the exit code. */
export async function runCli(hooks: readonly Hook[], argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  checkHooks(hooks);
  const [cmd, sub, arg, ...rest] = argv;
  if (cmd !== 'hook' || rest.length > 0) return usage(io);
  if (sub === 'list' && arg === undefined) {
    io.stdout(`Found ${hooks.length} items:\n${hooks.map((h, i) => `${i} - ${h.name}\n`).join('')}`);
    return 0;
  }
  if (sub === 'config' && arg === undefined) {
    io.stdout(`${JSON.stringify(renderConfig(hooks))}\n`);
    return 0;
  }
  if (sub === 'run' && arg !== undefined && /^(0|[1-9][0-9]*)$/.test(arg)) {
    const hook = hooks[Number(arg)];
    if (!hook) {
      io.stderr(`hook run: no hook with index ${arg} (${hooks.length} hooks)\n`);
      return 2;
    }
    return run(hook, env, io);
  }
  return usage(io);
}

function usage(io: CliIo): number {
  io.stderr(USAGE);
  return 2;
}

function requireEnv(env: NodeJS.ProcessEnv, name: string, fallback?: string): string {
  const v = env[name] || (fallback ? env[fallback] : undefined);
  if (!v) throw new Error(`environment variable ${name} is not set (addon-operator sets it for every run)`);
  return v;
}

function readJson(path: string, what: string): JsonValue {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as JsonValue;
  } catch (err) {
    throw new Error(`${what} (${path}): ${(err as Error).message}`, { cause: err });
  }
}

function ndjson(items: readonly unknown[]): string {
  return items.map((i) => `${JSON.stringify(i)}\n`).join('');
}

async function run(hook: Hook, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const log = createLogger(hook.name, io.stderr);
  try {
    const fakeNow = env[FAKE_NOW_ENV];
    const now = fakeNow ? new Date(fakeNow) : new Date();
    if (Number.isNaN(now.getTime())) throw new Error(`${FAKE_NOW_ENV}: not a date: ${fakeNow}`);
    const state = openState(env.METALLB_HOOKS_STATE_DIR || DEFAULT_STATE_DIR, hook.name, log);
    const outputs: HookOutputs = await runHook(hook, {
      contexts: readJson(requireEnv(env, 'BINDING_CONTEXT_PATH'), 'binding context'),
      values: readJson(requireEnv(env, 'VALUES_PATH'), 'values'),
      configValues: readJson(requireEnv(env, 'CONFIG_VALUES_PATH'), 'config values'),
      now,
      random: (n) => new Uint8Array(randomBytes(n)),
      state,
      log,
    });
    // Deckhouse's Go test framework names the object-patch file D8_TEST_KUBERNETES_PATCH_SET_FILE.
    writeFileSync(requireEnv(env, 'KUBERNETES_PATCH_PATH', 'D8_TEST_KUBERNETES_PATCH_SET_FILE'), ndjson(outputs.kube));
    writeFileSync(requireEnv(env, 'METRICS_PATH'), ndjson(outputs.metrics));
    writeFileSync(requireEnv(env, 'VALUES_JSON_PATCH_PATH'), ndjson(outputs.values));
    state.commit();
    return 0;
  } catch (err) {
    io.stderr(`hook ${hook.name} failed: ${(err as Error).message}\n`);
    return 1;
  }
}
