// CustomResourceDefinitions served by the embedded API as apiextensions-apiserver serves them:
// structural-schema defaulting, pruning of unknown fields, OpenAPI v3 validation (ajv), the status
// subresource and additionalPrinterColumns. Not supported (documented in README.md): CEL rules
// (x-kubernetes-validations), conversion webhooks, several served versions with different schemas
// (every served version reads and writes the same stored object).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { StatusCause } from './errors.ts';
import type { KubeObject, ResourceType } from './store.ts';
import { validateObjectMeta } from './validation.ts';

const addFormats = addFormatsModule.default;

/** The JSONSchemaProps subset the server interprets. */
export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: boolean | Schema;
  default?: unknown;
  required?: string[];
  enum?: unknown[];
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [key: string]: unknown;
}

/** One additionalPrinterColumns entry. */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** What the server keeps of a CRD version. */
export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: object };
  additionalPrinterColumns?: PrinterColumn[];
}

/** The apiextensions.k8s.io/v1 CustomResourceDefinition fields the server reads. */
export interface CrdSpec {
  group: string;
  names: { kind: string; plural: string; singular?: string; shortNames?: string[]; listKind?: string; categories?: string[] };
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
}

/** A resource type built from a CRD, with the CRD's printer columns and schema kept for tables and OpenAPI. */
export interface CrdResourceType extends ResourceType {
  printerColumns: PrinterColumn[];
  schema: Schema | undefined;
  crdName: string;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fills `default`s of absent properties, recursively into present objects and array items. */
export function applyDefaults(value: unknown, schema: Schema | undefined): unknown {
  if (!schema) return value;
  if (isObj(value)) {
    for (const [k, s] of Object.entries(schema.properties ?? {})) {
      if (value[k] === undefined && s.default !== undefined) value[k] = structuredClone(s.default);
      if (value[k] !== undefined) value[k] = applyDefaults(value[k], s);
    }
    if (isObj(schema.additionalProperties)) {
      for (const k of Object.keys(value)) {
        if (!(k in (schema.properties ?? {}))) value[k] = applyDefaults(value[k], schema.additionalProperties);
      }
    }
  } else if (Array.isArray(value) && schema.items) {
    return value.map((v) => applyDefaults(v, schema.items));
  }
  return value;
}

/** Drops fields the schema does not declare, unless x-kubernetes-preserve-unknown-fields says keep. */
export function prune(value: unknown, schema: Schema | undefined): unknown {
  if (!schema) return value;
  if (isObj(value)) {
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    const props = schema.properties ?? {};
    for (const k of Object.keys(value)) {
      const s = props[k] ?? (isObj(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (s) value[k] = prune(value[k], s);
      else if (!preserve && schema.additionalProperties !== true) delete value[k];
    }
  } else if (Array.isArray(value) && schema.items) {
    return value.map((v) => prune(v, schema.items));
  }
  return value;
}

/** Turns Kubernetes extensions into plain JSON Schema for ajv. */
function toJsonSchema(s: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'default' || k === 'description' || k === 'example' || k === 'externalDocs') continue;
    if (k === 'properties' && isObj(v)) out.properties = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, toJsonSchema(pv as Schema)]));
    else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && isObj(v)) out[k] = toJsonSchema(v as Schema);
    else if ((k === 'allOf' || k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) out[k] = v.map((x) => toJsonSchema(x as Schema));
    else out[k] = v;
  }
  if (s['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }, ...((out.anyOf as unknown[]) ?? [])];
  }
  // metadata is validated as ObjectMeta, not by the CRD schema (apiextensions ignores it).
  if (isObj(out.properties)) delete (out.properties as Record<string, unknown>).metadata;
  return out;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  // Kubernetes formats ajv-formats lacks; the API server accepts any string for unknown formats.
  for (const f of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password', 'cidr', 'mac', 'bsonobjectid', 'hostname', 'isbn', 'creditcard', 'ssn', 'hexcolor', 'rgbcolor']) {
    ajv.addFormat(f, true);
  }
  return ajv;
}

function fieldOf(e: ErrorObject): string {
  return e.instancePath.slice(1).split('/').map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '').replace(/\.\[/g, '[');
}

/** ajv errors worded as apiextensions-apiserver does. */
function causesOf(errors: ErrorObject[], value: unknown): StatusCause[] {
  const valueAt = (path: string): unknown => path.split('/').slice(1).reduce<unknown>((v, k) => (isObj(v) || Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined), value);
  return errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if').map((e): StatusCause => {
    const f = fieldOf(e);
    const v = valueAt(e.instancePath);
    switch (e.keyword) {
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        return { reason: 'FieldValueRequired', field: f ? `${f}.${missing}` : missing, message: 'Required value' };
      }
      case 'enum':
        return { reason: 'FieldValueNotSupported', field: f, message: `Unsupported value: ${JSON.stringify(v)}: supported values: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((x) => JSON.stringify(x)).join(', ')}` };
      case 'type':
        return { reason: 'FieldValueInvalid', field: f, message: `Invalid value: "${typeof v === 'object' ? (Array.isArray(v) ? 'array' : 'object') : typeof v}": ${f} in body must be of type ${(e.params as { type: string }).type}: ${JSON.stringify(v)}` };
      default:
        return { reason: 'FieldValueInvalid', field: f, message: `Invalid value: ${JSON.stringify(v)}: ${f} in body ${e.message ?? 'is invalid'}` };
    }
  });
}

/** Builds the store type of a CRD's storage version (the version the server serves). */
export function crdResourceType(crd: { metadata: { name?: string }; spec: CrdSpec }): CrdResourceType {
  const spec = crd.spec;
  const version = spec.versions.find((v) => v.storage) ?? spec.versions.find((v) => v.served);
  if (!version) throw new Error(`CRD ${crd.metadata.name ?? spec.names.plural}: no served version`);
  const schema = version.schema?.openAPIV3Schema;
  let validator: ValidateFunction | undefined;
  if (schema) {
    try {
      validator = newAjv().compile(toJsonSchema(schema));
    } catch (e) {
      throw new Error(`CRD ${crd.metadata.name ?? spec.names.plural}: schema does not compile`, { cause: e });
    }
  }
  const namespaced = spec.scope === 'Namespaced';
  return {
    group: spec.group,
    version: version.name,
    resource: spec.names.plural,
    kind: spec.names.kind,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    shortNames: spec.names.shortNames ?? [],
    namespaced,
    statusSubresource: version.subresources?.status !== undefined,
    printerColumns: version.additionalPrinterColumns ?? [],
    schema,
    crdName: crd.metadata.name ?? `${spec.names.plural}.${spec.group}`,
    prepare: (o: KubeObject): KubeObject => {
      if (!schema) return o;
      // apiVersion, kind and metadata are never pruned at the root (prune works in place, so
      // metadata must not even be handed to it: a schema declaring `metadata: {type: object}`
      // would otherwise empty it).
      const { apiVersion, kind, metadata, ...rest } = o;
      const out = prune(applyDefaults(rest, schema), schema) as Record<string, unknown>;
      return { apiVersion, kind, metadata, ...out } as KubeObject;
    },
    validate: (o: KubeObject): StatusCause[] => {
      const causes = validateObjectMeta(o, 'subdomain', namespaced);
      if (validator && !validator(o)) causes.push(...causesOf(validator.errors ?? [], o));
      return causes;
    },
  };
}
