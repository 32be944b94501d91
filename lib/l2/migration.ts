// Migration from settings version 1 (reference deckhouse-metallb.md §7.1, §7.2): the `layer2` pools
// of the ModuleConfig become one default MetalLoadBalancerClass `l2-default`, with the speaker's
// node selector, so that the Services MetalLB served keep their addresses: the IPAM keeps every IP a
// Service already shows in status while it lies in its class pool, so no annotation needs writing.
//
// The 1 -> 2 conversion drops `layer2` pools before hooks see config values, so the settings come
// from the ModuleConfig object itself (legacySettingsOf). Like today's module, no class is generated
// when BGP pools exist (class-less Services then belong to the BGP pools).
import type { JsonValue } from '../json.ts';

/** Label key of generated classes (today's module uses the same). */
export const MIGRATION_LABEL_KEY = 'auto-generated-by';
/** Label value of generated classes. */
export const MIGRATION_LABEL_VALUE = 'd8-migration-hook';
/** Name of the class generated from `layer2` pools. */
export const MIGRATED_CLASS_NAME = 'l2-default';

/** What the migration reads from a settings-version-1 ModuleConfig. */
export interface LegacySettings {
  readonly layer2Pools: readonly { readonly name: string; readonly addresses: readonly string[] }[];
  readonly hasBgpPools: boolean;
  readonly speakerNodeSelector: Readonly<Record<string, string>>;
}

/** The generated class as an API object (created, or replaced while settings are version 1). */
export interface MigratedClassObject {
  apiVersion: 'network.deckhouse.io/v1alpha1';
  kind: 'MetalLoadBalancerClass';
  metadata: { name: string; labels: Record<string, string> };
  spec: { isDefault: true; type: 'L2'; addressPool: string[]; nodeSelector: Record<string, string> };
}

type Obj = { [k: string]: JsonValue };
const isObj = (v: JsonValue | undefined): v is Obj => v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);

/**
 * Reads `spec.version` and `spec.settings` of ModuleConfig `metallb`. Undefined when there is nothing
 * to migrate: no ModuleConfig, or version 2 and later (a version-2 config keeps `layer2` pools only
 * by mistake; they are reported as obsolete, not migrated).
 */
export function legacySettingsOf(moduleConfig: JsonValue | undefined): LegacySettings | undefined {
  if (!isObj(moduleConfig)) return undefined;
  const spec = isObj(moduleConfig.spec) ? moduleConfig.spec : {};
  const version = typeof spec.version === 'number' ? spec.version : 1;
  if (version >= 2) return undefined;
  const settings = isObj(spec.settings) ? spec.settings : {};
  const pools = Array.isArray(settings.addressPools) ? settings.addressPools.filter(isObj) : [];
  const speaker = isObj(settings.speaker) ? settings.speaker : {};
  const sel = isObj(speaker.nodeSelector) ? speaker.nodeSelector : {};
  return {
    layer2Pools: pools
      .filter((p) => p.protocol === 'layer2')
      .map((p) => ({
        name: typeof p.name === 'string' ? p.name : '',
        addresses: Array.isArray(p.addresses) ? p.addresses.filter((a): a is string => typeof a === 'string') : [],
      })),
    hasBgpPools: pools.some((p) => p.protocol === 'bgp'),
    speakerNodeSelector: Object.fromEntries(Object.entries(sel).filter((e): e is [string, string] => typeof e[1] === 'string')),
  };
}

/** The class replacing the `layer2` pools, or undefined when none is due (no layer2 pool, or BGP pools exist). */
export function migratedClass(settings: LegacySettings): MigratedClassObject | undefined {
  if (settings.hasBgpPools) return undefined;
  const addressPool = settings.layer2Pools.flatMap((p) => p.addresses);
  if (addressPool.length === 0) return undefined;
  const nodeSelector: Record<string, string> = {};
  for (const k of Object.keys(settings.speakerNodeSelector).sort()) nodeSelector[k] = settings.speakerNodeSelector[k] as string;
  return {
    apiVersion: 'network.deckhouse.io/v1alpha1',
    kind: 'MetalLoadBalancerClass',
    metadata: { name: MIGRATED_CLASS_NAME, labels: { [MIGRATION_LABEL_KEY]: MIGRATION_LABEL_VALUE } },
    spec: { isDefault: true, type: 'L2', addressPool, nodeSelector },
  };
}
