// Migration from settings version 1 (lib/l2/migration.ts): while ModuleConfig `metallb` is at
// version 1, its `layer2` pools are served by the generated class `l2-default`, kept in line with the
// settings; Services keep their addresses because the IPAM keeps valid status IPs. The 1 -> 2
// conversion hides `layer2` pools from config values, so this hook reads the ModuleConfig object.
// From version 2 on, the generated class belongs to the user and is left alone.
import { defineHook } from './lib/index.ts';
import type { JsonObject, JsonValue } from './lib/index.ts';
import { legacySettingsOf, migratedClass, MIGRATED_CLASS_NAME, MIGRATION_LABEL_KEY, MIGRATION_LABEL_VALUE, type MigratedClassObject } from '../lib/l2/index.ts';

/** The generated class as it stands: its spec and labels (null when absent). */
interface GeneratedClass {
  name: string;
  spec: JsonValue;
  labels: JsonValue;
}

const CLASS_REF = { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', name: MIGRATED_CLASS_NAME } as const;

function sameSpec(current: GeneratedClass, desired: MigratedClassObject): boolean {
  const c = (current.spec ?? {}) as JsonObject;
  const d = desired.spec;
  return c.isDefault === d.isDefault && c.type === d.type &&
    JSON.stringify(c.addressPool ?? []) === JSON.stringify(d.addressPool) &&
    JSON.stringify(Object.entries((c.nodeSelector ?? {}) as JsonObject).sort()) === JSON.stringify(Object.entries(d.nodeSelector).sort()) &&
    ((current.labels ?? {}) as JsonObject)[MIGRATION_LABEL_KEY] === MIGRATION_LABEL_VALUE;
}

export default defineHook({
  name: 'l2-migration',
  // Before l2-services (20): the class exists when Services choose theirs.
  beforeHelm: 10,
  kubernetes: {
    moduleConfig: {
      apiVersion: 'deckhouse.io/v1alpha1',
      kind: 'ModuleConfig',
      nameSelector: { matchNames: ['metallb'] },
      jqFilter: '{spec: (.spec // {})}',
      project: (r): JsonValue => r,
    },
    generated: {
      apiVersion: CLASS_REF.apiVersion,
      kind: CLASS_REF.kind,
      nameSelector: { matchNames: [MIGRATED_CLASS_NAME] },
      jqFilter: '{name: .metadata.name, spec: (.spec // {}), labels: (.metadata.labels // {})}',
      project: (r): GeneratedClass => {
        const o = (r ?? {}) as JsonObject;
        if (typeof o.name !== 'string') throw new Error('name: string expected');
        return { name: o.name, spec: o.spec ?? null, labels: o.labels ?? null };
      },
    },
  },
  handler(input, out) {
    if (!input.hasSnapshots) return;
    const legacy = legacySettingsOf(input.snapshots.moduleConfig[0]);
    out.metrics.expire('l2_migration');
    if (!legacy) return;
    // Settings version 1: the user should move to version 2 (alert D8MetallbUpdateMCVersionRequired).
    out.metrics.set('d8_metallb_update_mc_version_required', 1, {}, 'l2_migration');
    const current = input.snapshots.generated[0];
    const desired = migratedClass(legacy);
    const ours = current !== undefined && ((current.labels ?? {}) as JsonObject)[MIGRATION_LABEL_KEY] === MIGRATION_LABEL_VALUE;
    if (!desired) {
      // BGP pools exist (as today): no generated class. A class in use waits on its finalizer.
      if (ours) out.kube.delete(CLASS_REF, 'Background');
      return;
    }
    if (current === undefined) {
      out.kube.createIfNotExists({ ...desired, spec: { ...desired.spec } });
      input.log.info('created the class of the settings-v1 layer2 pools', { class: MIGRATED_CLASS_NAME, pools: legacy.layer2Pools.map((p) => p.name) });
    } else if (!ours) {
      input.log.warn('a class named l2-default exists and was not generated: left alone', { class: MIGRATED_CLASS_NAME });
    } else if (!sameSpec(current, desired)) {
      out.kube.mergePatch(CLASS_REF, { metadata: { labels: desired.metadata.labels }, spec: desired.spec as unknown as JsonObject });
    }
  },
});
