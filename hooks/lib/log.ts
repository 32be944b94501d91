// Hook logs: one JSON object per line on stderr, which addon-operator merges into its own records.
import type { HookLogger } from './types.ts';

/** A logger writing JSON lines to `write` (stderr in the executable). */
export function createLogger(hook: string, write: (line: string) => void): HookLogger {
  const line = (level: string, msg: string, fields?: Record<string, unknown>): void => {
    write(`${JSON.stringify({ level, msg, hook, ...fields })}\n`);
  };
  return { info: (msg, fields) => line('info', msg, fields), warn: (msg, fields) => line('warn', msg, fields) };
}
