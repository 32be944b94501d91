// What the embedded API serves: one Endpoint per (group, version, resource), built from the store's
// types plus views over them (events.k8s.io/v1 Events over core/v1 storage), and the discovery and
// OpenAPI documents clients read before talking to them.
import type { StatusCause } from './errors.ts';
import { eventFromCore, eventToCore } from './events.ts';
import type { CrdResourceType, Schema } from './crd.ts';
import type { KubeObject, ObjectStore, ResourceType } from './store.ts';
import { crdPrinter, defaultPrinter, eventPrinter, namespacePrinter, nodePrinter, servicePrinter, type Printer } from './table.ts';
import { validateEvent } from './validation.ts';

/** One served resource at one group/version. */
export interface Endpoint {
  group: string;
  version: string;
  resource: string;
  kind: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  statusSubresource: boolean;
  /** The store type holding the objects. */
  storage: ResourceType;
  /** Conversion into and out of the stored form (views only). */
  toStorage?: (o: KubeObject) => KubeObject;
  fromStorage?: (o: KubeObject) => KubeObject;
  /** Extra create rules of this version (events.k8s.io/v1 is stricter than core/v1). */
  validateCreate?: (o: KubeObject) => StatusCause[];
  printer: Printer;
  schema?: Schema;
  /** Served from a CRD (list items keep apiVersion and kind, as for custom resources). */
  custom: boolean;
}

function isCrdType(t: ResourceType): t is CrdResourceType {
  return 'printerColumns' in t;
}

function printerFor(t: ResourceType): Printer {
  if (isCrdType(t)) return crdPrinter(t.printerColumns);
  if (t.group === '' && t.resource === 'services') return servicePrinter;
  if (t.group === '' && t.resource === 'namespaces') return namespacePrinter;
  if (t.group === '' && t.resource === 'nodes') return nodePrinter;
  if (t.group === '' && t.resource === 'events') return eventPrinter;
  return defaultPrinter;
}

/** Every endpoint the server currently serves (CRDs registered at run time included). */
export function endpointsOf(store: ObjectStore): Endpoint[] {
  const out: Endpoint[] = [];
  for (const t of store.types()) {
    out.push({
      group: t.group, version: t.version, resource: t.resource, kind: t.kind,
      singular: t.singular ?? t.kind.toLowerCase(), shortNames: t.shortNames ?? [],
      namespaced: t.namespaced, statusSubresource: t.statusSubresource, storage: t,
      printer: printerFor(t), schema: isCrdType(t) ? t.schema : undefined, custom: isCrdType(t),
    });
    if (t.group === '' && t.resource === 'events') {
      out.push({
        group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', shortNames: ['ev'],
        namespaced: true, statusSubresource: false, storage: t,
        toStorage: eventToCore, fromStorage: eventFromCore,
        // Validated in core form; field names in messages follow kube-apiserver's strict path.
        validateCreate: (o) => validateEvent(eventToCore(o), true),
        printer: defaultPrinter, custom: false,
      });
    }
  }
  return out;
}

/** The apiVersion string of an endpoint. */
export function apiVersionOf(e: { group: string; version: string }): string {
  return e.group ? `${e.group}/${e.version}` : e.version;
}

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** metav1.APIResourceList of one group/version. */
export function resourceList(eps: Endpoint[], group: string, version: string): object {
  const resources: object[] = [];
  for (const e of eps.filter((x) => x.group === group && x.version === version)) {
    resources.push({ name: e.resource, singularName: e.singular, namespaced: e.namespaced, kind: e.kind, verbs, shortNames: e.shortNames.length ? e.shortNames : undefined });
    if (e.statusSubresource) resources.push({ name: `${e.resource}/status`, singularName: '', namespaced: e.namespaced, kind: e.kind, verbs: ['get', 'patch', 'update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

/** metav1.APIGroupList for /apis (one version per group). */
export function groupList(eps: Endpoint[]): object {
  const groups = new Map<string, string>();
  for (const e of eps) if (e.group) groups.set(e.group, e.version);
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, version]) => groupDoc(name, version)),
  };
}

/** metav1.APIGroup. */
export function groupDoc(name: string, version: string): object {
  const gv = { groupVersion: `${name}/${version}`, version };
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: [gv], preferredVersion: gv };
}

function collectionPath(e: Endpoint): string {
  const base = e.group ? `/apis/${e.group}/${e.version}` : `/api/${e.version}`;
  return e.namespaced ? `${base}/namespaces/{namespace}/${e.resource}` : `${base}/${e.resource}`;
}

/** The /openapi/v3 root: one document per group/version. */
export function openApiRoot(eps: Endpoint[]): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const e of eps) {
    const key = e.group ? `apis/${e.group}/${e.version}` : `api/${e.version}`;
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}` };
  }
  return { paths };
}

/**
 * The OpenAPI v3 document of one group/version. It carries what kubectl reads: a PATCH operation
 * per kind (x-kubernetes-group-version-kind) accepting `fieldValidation`, so kubectl leaves
 * validation to the server instead of downloading OpenAPI v2, and the CRD schemas.
 */
export function openApiGroupVersion(eps: Endpoint[], group: string, version: string): object {
  const paths: Record<string, object> = {};
  const schemas: Record<string, object> = {};
  const params = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string' } }));
  for (const e of eps.filter((x) => x.group === group && x.version === version)) {
    const gvk = { group, version, kind: e.kind };
    // kubectl looks for `fieldValidation` among the PATCH operation's own parameters.
    const op = (id: string): object => ({ operationId: `${id}${e.kind}`, 'x-kubernetes-group-version-kind': gvk, parameters: params, responses: { 200: { description: 'OK' } } });
    paths[`${collectionPath(e)}/{name}`] = {
      get: op('read'), put: op('replace'), patch: op('patch'), delete: op('delete'),
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
    };
    paths[collectionPath(e)] = { get: op('list'), post: op('create') };
    if (e.schema) schemas[`${group}.${version}.${e.kind}`] = { ...e.schema, 'x-kubernetes-group-version-kind': [gvk] };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes (metallb lab)', version: 'v1.32.0' }, paths, components: { schemas } };
}
