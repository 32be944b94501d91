// The imitated cluster: lab/kube-api's ObjectStore with the built-in kinds and the module's CRDs
// (crds/*.yaml through lab/kube-api/crd.ts), filled from YAML fixtures.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { crdResourceType, type CrdSpec } from '../../../lab/kube-api/crd.ts';
import { moduleConfigCrd } from '../../../lab/kube-api/builtin-crds.ts';
import { builtinTypes } from '../../../lab/kube-api/resources.ts';
import { ObjectStore, type KubeObject, type ResourceType } from '../../../lab/kube-api/store.ts';
import { repoRoot } from '../tools.ts';

/** The module's CRDs as store types. */
export function moduleCrdTypes(moduleDir = repoRoot): ResourceType[] {
  const dir = join(moduleDir, 'crds');
  return readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.startsWith('doc-')).sort().flatMap((f) => {
    const docs = yaml.loadAll(readFileSync(join(dir, f), 'utf8')) as { kind?: string; metadata: { name: string }; spec: CrdSpec }[];
    return docs.filter((d) => d?.kind === 'CustomResourceDefinition').map((d) => crdResourceType(d));
  });
}

/** Parses a multi-document YAML fixture into objects. */
export function objectsFromYaml(text: string): KubeObject[] {
  return (yaml.loadAll(text) as unknown[]).filter((d): d is KubeObject => d !== null && typeof d === 'object');
}

/** Resolves an object's type by apiVersion and kind. */
export function typeOf(store: ObjectStore, o: KubeObject): ResourceType {
  const apiVersion = o.apiVersion ?? 'v1';
  const t = store.resolve(o.kind ?? '', apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
  if (!t) throw new Error(`${apiVersion} ${o.kind}: not served by the imitated cluster`);
  return t;
}

/**
 * Deckhouse's ModuleConfig (hooks bind it to read settings before conversion). Its schema lists
 * `metadata: {type: object}`, which lab/kube-api/crd.ts prune() would empty in place (names lost),
 * so the copy registered here leaves metadata to ObjectMeta validation as apiextensions does.
 */
function moduleConfigType(): ResourceType {
  const crd = structuredClone(moduleConfigCrd) as unknown as { metadata: { name?: string }; spec: CrdSpec & { versions: { schema?: { openAPIV3Schema?: { properties?: Record<string, unknown> } } }[] } };
  for (const v of crd.spec.versions) delete v.schema?.openAPIV3Schema?.properties?.metadata;
  return crdResourceType(crd);
}

/** A store with the built-in kinds, Deckhouse's ModuleConfig and the module's CRDs, holding the fixture's objects. */
export function clusterFromYaml(text = '', opts: { now?: () => Date } = {}): ObjectStore {
  const store = new ObjectStore(opts.now ? { now: opts.now } : {});
  for (const t of [...builtinTypes(), moduleConfigType(), ...moduleCrdTypes()]) store.register(t);
  for (const o of objectsFromYaml(text)) store.create(typeOf(store, o), o);
  return store;
}
