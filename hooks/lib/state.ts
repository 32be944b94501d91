// The per-hook JSON state files in METALLB_HOOKS_STATE_DIR (default /tmp): kept between runs of one
// operator pod, gone after a restart, when the informers start from a full list anyway (DESIGN §2).
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HookLogger, HookState, JsonValue } from './types.ts';

/** Default state directory: Deckhouse's hook chroot keeps /tmp between runs. */
export const DEFAULT_STATE_DIR = '/tmp';
const KEY = /^[a-z0-9][a-z0-9-]*$/;

/** A state store whose writes are buffered until `commit()`. */
export function openState(dir: string, hookName: string, log: HookLogger): HookState & { commit(): void } {
  const file = (key: string): string => {
    if (!KEY.test(key)) throw new Error(`invalid state key "${key}"`);
    return join(dir, `metallb-hooks.${hookName}.${key}.json`);
  };
  // Pending writes are kept serialized: commit writes that text, and serializing at write() is the
  // copy that keeps a handler's later changes to the value out of the state (no second deep copy).
  const pending = new Map<string, string | undefined>();
  return {
    read(key) {
      if (pending.has(key)) {
        const text = pending.get(key);
        return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
      }
      const path = file(key);
      if (!existsSync(path)) return undefined;
      try {
        return JSON.parse(readFileSync(path, 'utf8')) as JsonValue;
      } catch (err) {
        log.warn('state file unreadable, ignored', { path, error: (err as Error).message });
        return undefined;
      }
    },
    write(key, value) { file(key); pending.set(key, JSON.stringify(value)); },
    delete(key) { file(key); pending.set(key, undefined); },
    commit() {
      for (const [key, text] of pending) {
        const path = file(key);
        if (text === undefined) { rmSync(path, { force: true }); continue; }
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, text);
        renameSync(tmp, path);
      }
      pending.clear();
    },
  };
}
