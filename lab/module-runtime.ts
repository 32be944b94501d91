// The module as Deckhouse runs it, for the lab: the addon-operator imitation
// (test/support/addon-operator/) running the real hooks executable over the object store that the
// embedded API serves, with the real helm rendering templates/ after every values change. The lab
// keeps the last rendered manifest, because the embedded API does not serve every rendered kind
// (DaemonSet, RBAC, ...) and the lab's kubelet needs the DaemonSet.
import { AddonOperator, ensureHooksExecutable } from '../test/support/addon-operator/index.ts';
import type { JsonObject } from '../hooks/lib/types.ts';
import type { KubeObject as StoreObject, ObjectStore } from './kube-api/store.ts';
import type { KubeObject } from './scenario.ts';
import { renderModuleSync } from './helm.ts';

/** The module's values (`metallb`: settings plus `internal`). */
export type ModuleValues = Record<string, unknown>;

/** The module's control plane as the operator loop drives it. */
export interface ModuleRuntime {
  /** What runs the hooks, for the demo's "what is real" list. */
  readonly description: string;
  /** Module start: hooks' startup and synchronization runs, first helm render. */
  start(): Promise<void>;
  /** Runs the hooks for the cluster changes seen since the last call, and helm when values changed. */
  settle(): Promise<void>;
  values(): ModuleValues;
  /** The objects of the last helm render, every kind included. */
  rendered(): readonly KubeObject[];
  stop(): void;
}

/** The addon-operator imitation over `store` with the module settings `settings`. */
export function addonOperatorRuntime(store: ObjectStore, settings: Record<string, unknown>): ModuleRuntime {
  let rendered: KubeObject[] = [];
  let op: AddonOperator | undefined;
  const executable = ensureHooksExecutable();
  return {
    description: `the real hooks executable ${executable} run by the addon-operator imitation (test/support/addon-operator)`,
    async start() {
      op = await AddonOperator.start({
        store,
        executable,
        configValues: settings as JsonObject,
        helm: (values) => {
          rendered = renderModuleSync(values as ModuleValues);
          return rendered as unknown as StoreObject[];
        },
      });
    },
    async settle() {
      await op?.settle();
    },
    values: () => (op?.values() ?? {}) as ModuleValues,
    rendered: () => rendered,
    stop() {
      op?.dispose();
    },
  };
}
