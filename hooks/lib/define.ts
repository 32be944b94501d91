// Declaring hooks: `defineHook` infers the snapshot types from the bindings' `project` functions,
// and `checkHooks` rejects a broken hook list when the executable starts (or in the build's smoke
// run), never in the middle of a run.
import type { HookDefinition } from './types.ts';

/** Thrown for a hook list that cannot be served (duplicate names, missing jqFilter, bad order numbers). */
export class HookDefinitionError extends Error {
  readonly code = 'HOOK_DEFINITION';
}

/** A hook as the runtime sees it: snapshot types erased (each `project` returns its own record). */
export type Hook = HookDefinition<Record<string, unknown>>;

/**
 * Declares a hook. The snapshot types are inferred from the bindings' `project` functions inside the
 * definition and erased in the result, so hooks of different shapes fit in one list (hooks/main.ts).
 */
export function defineHook<S>(hook: HookDefinition<S>): Hook {
  // Sound: the runtime builds each snapshot list with the same binding's `project`.
  return hook as unknown as Hook;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LIFECYCLE = ['onStartup', 'beforeHelm', 'afterHelm', 'afterDeleteHelm'] as const;

/** Validates every hook of the list; throws one error listing all problems. */
export function checkHooks(hooks: readonly Hook[]): void {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [i, hook] of hooks.entries()) {
    const where = `hook ${i} (${hook.name})`;
    if (!NAME.test(hook.name)) problems.push(`${where}: name must be kebab-case`);
    if (names.has(hook.name)) problems.push(`${where}: duplicate hook name`);
    names.add(hook.name);
    const bindings = new Set<string>();
    for (const [name, b] of Object.entries(hook.kubernetes ?? {})) {
      if (bindings.has(name)) problems.push(`${where}: duplicate binding ${name}`);
      bindings.add(name);
      if (typeof b.jqFilter !== 'string' || b.jqFilter.trim() === '') problems.push(`${where}: binding ${name} needs a jqFilter (batch hooks keep no full objects)`);
      if (typeof b.kind !== 'string' || b.kind === '') problems.push(`${where}: binding ${name} needs a kind`);
      if (typeof b.apiVersion !== 'string' || b.apiVersion === '') problems.push(`${where}: binding ${name} needs an apiVersion`);
      if (typeof b.project !== 'function') problems.push(`${where}: binding ${name} needs a project function`);
    }
    for (const s of hook.schedule ?? []) {
      if (bindings.has(s.name)) problems.push(`${where}: duplicate binding ${s.name}`);
      bindings.add(s.name);
      const fields = s.crontab.trim().split(/\s+/).length;
      if (fields !== 5 && fields !== 6) problems.push(`${where}: schedule ${s.name} crontab needs 5 or 6 fields`);
    }
    for (const key of LIFECYCLE) {
      const order = hook[key];
      if (order !== undefined && !(Number.isInteger(order) && order >= 0)) problems.push(`${where}: ${key} must be an integer >= 0`);
    }
    if (bindings.size === 0 && LIFECYCLE.every((k) => hook[k] === undefined)) problems.push(`${where}: has no binding`);
  }
  if (problems.length > 0) throw new HookDefinitionError(`invalid hook list:\n  ${problems.join('\n  ')}`);
}
