// Renders the hooks' binding configuration as module-sdk's `hook config` JSON, which addon-operator
// remaps to shell-operator's v1 config (every binding in group `main`, keepFullObjectsInMemory false).
import type { Hook } from './define.ts';
import type { JsonObject } from './types.ts';

/** The `hook config` document: {"version":"v1","hooks":[HookConfig...]}. */
export function renderConfig(hooks: readonly Hook[]): JsonObject {
  return { version: 'v1', hooks: hooks.map(renderHookConfig) };
}

/** One module-sdk HookConfig. Keys with default values are left out, as module-sdk does. */
export function renderHookConfig(hook: Hook): JsonObject {
  const cfg: JsonObject = { configVersion: 'v1', metadata: { name: hook.name, path: `hooks/${hook.name}` } };
  if (hook.schedule?.length) cfg.schedule = hook.schedule.map((s) => ({ name: s.name, crontab: s.crontab }));
  const kube = Object.entries(hook.kubernetes ?? {});
  if (kube.length > 0) {
    cfg.kubernetes = kube.map(([name, b]) => {
      const k: JsonObject = { name, apiVersion: b.apiVersion, kind: b.kind };
      if (b.nameSelector) k.nameSelector = { matchNames: [...b.nameSelector.matchNames] };
      if (b.namespace) k.namespace = JSON.parse(JSON.stringify(b.namespace)) as JsonObject;
      if (b.labelSelector) k.labelSelector = JSON.parse(JSON.stringify(b.labelSelector)) as JsonObject;
      if (b.fieldSelector) k.fieldSelector = JSON.parse(JSON.stringify(b.fieldSelector)) as JsonObject;
      // module-sdk: executeHookOnEvent is a boolean; only `false` changes anything (no events).
      if (b.executeHookOnEvent === false) k.executeHookOnEvent = false;
      if (b.executeHookOnSynchronization === false) k.executeHookOnSynchronization = false;
      if (b.waitForSynchronization === false) k.waitForSynchronization = false;
      k.keepFullObjectsInMemory = false;
      k.jqFilter = b.jqFilter;
      if (b.allowFailure) k.allowFailure = true;
      return k;
    });
  }
  for (const key of ['onStartup', 'beforeHelm', 'afterHelm', 'afterDeleteHelm'] as const) {
    const order = hook[key];
    if (order !== undefined) cfg[key] = order;
  }
  return cfg;
}
