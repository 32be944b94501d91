// The module's OpenAPI schemas built the way addon-operator builds them
// (addon-operator:pkg/values/validation): the config schema from openapi/config-values.yaml, the
// values schema from openapi/values.yaml with `x-extend` merged in, `additionalProperties: false`
// injected into every object schema that does not set it, and the helm schema with
// `x-required-for-helm` merged into `required`. Validation reports every problem with its field.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import yaml from 'js-yaml';

const addFormats = addFormatsModule.default;

/** A JSON schema object as read from YAML. */
export type SchemaNode = { [key: string]: unknown };

/** Thrown with every schema problem of one document, each naming its field. */
export class SchemaValidationError extends Error {
  readonly code = 'SCHEMA_VALIDATION';
  constructor(readonly what: string, readonly problems: string[]) {
    super(`${what} are invalid:\n  ${problems.join('\n  ')}`);
  }
}

function isNode(v: unknown): v is SchemaNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads one YAML file as a schema node. */
export function readYamlFile(path: string): SchemaNode {
  const doc = yaml.load(readFileSync(path, 'utf8'));
  if (!isNode(doc)) throw new Error(`${path}: YAML object expected`);
  return doc;
}

/**
 * addon-operator's AdditionalPropertiesTransformer: every schema with `properties` (or `type:
 * object`) that does not set `additionalProperties` gets `false`; recursion goes through
 * `properties` and `items` (not into schemas that set additionalProperties, nor into oneOf/anyOf).
 */
export function injectAdditionalPropertiesFalse(schema: SchemaNode): SchemaNode {
  const out: SchemaNode = { ...schema };
  const isObjectSchema = out.type === 'object' || isNode(out.properties);
  if (isObjectSchema && out.additionalProperties === undefined) {
    out.additionalProperties = false;
    if (isNode(out.properties)) {
      out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, isNode(v) ? injectAdditionalPropertiesFalse(v) : v]));
    }
  }
  if (isNode(out.items)) out.items = injectAdditionalPropertiesFalse(out.items);
  return out;
}

/** Merges `x-extend: {schema: file}` as addon-operator does (properties, required, definitions, patternProperties, x-*). */
function extend(values: SchemaNode, dir: string): SchemaNode {
  const ext = values['x-extend'];
  if (!isNode(ext) || typeof ext.schema !== 'string') return values;
  const parent = readYamlFile(join(dir, ext.schema));
  const out: SchemaNode = { ...values };
  delete out['x-extend'];
  out.properties = { ...(isNode(parent.properties) ? parent.properties : {}), ...(isNode(values.properties) ? values.properties : {}) };
  const required = [...(Array.isArray(parent.required) ? parent.required : []), ...(Array.isArray(values.required) ? values.required : [])];
  if (required.length > 0) out.required = [...new Set(required)];
  for (const key of ['definitions', 'patternProperties'] as const) {
    if (isNode(parent[key]) || isNode(values[key])) out[key] = { ...(parent[key] as SchemaNode | undefined), ...(values[key] as SchemaNode | undefined) };
  }
  for (const [k, v] of Object.entries(parent)) if (k.startsWith('x-') && !(k in out)) out[k] = v;
  return out;
}

/** `x-required-for-helm` (string or list, any object level) merged into `required`. */
function helmSchema(schema: SchemaNode): SchemaNode {
  const out: SchemaNode = { ...schema };
  const extra = out['x-required-for-helm'];
  if (extra !== undefined) {
    const list = Array.isArray(extra) ? extra : [extra];
    out.required = [...new Set([...(Array.isArray(out.required) ? out.required : []), ...list])];
  }
  if (isNode(out.properties)) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, isNode(v) ? helmSchema(v) : v]));
  if (isNode(out.items)) out.items = helmSchema(out.items);
  return out;
}

function newAjv(useDefaults: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults, discriminator: false });
  addFormats(ajv);
  for (const f of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password']) ajv.addFormat(f, true);
  return ajv;
}

/** `bgpPeers[0].peer-asn` from ajv's `/bgpPeers/0/peer-asn`. */
export function fieldPath(e: ErrorObject): string {
  let path = e.instancePath.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  if (e.keyword === 'required') path = `${path ? `${path}.` : ''}${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === 'additionalProperties') path = `${path ? `${path}.` : ''}${(e.params as { additionalProperty: string }).additionalProperty}`;
  return path || '(root)';
}

function describe(errors: readonly ErrorObject[]): string[] {
  const problems = errors
    // anyOf/oneOf summaries repeat what the branches said.
    .filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' || errors.length === 1)
    .map((e) => {
      const field = fieldPath(e);
      if (e.keyword === 'additionalProperties') return `${field}: unknown field`;
      if (e.keyword === 'required') return `${field}: required`;
      return `${field}: ${e.message ?? 'is invalid'}`;
    });
  return [...new Set(problems)];
}

/** A compiled schema: `validate` throws SchemaValidationError; `withDefaults` returns a defaulted copy. */
export interface CompiledSchema {
  schema: SchemaNode;
  validate(value: unknown, what: string): void;
  problems(value: unknown): string[];
  withDefaults<T>(value: T): T;
}

function compile(schema: SchemaNode): CompiledSchema {
  const check: ValidateFunction = newAjv(false).compile(schema);
  const defaults: ValidateFunction = newAjv(true).compile(schema);
  const problems = (value: unknown): string[] => (check(value) ? [] : describe(check.errors ?? []));
  return {
    schema,
    problems,
    validate(value, what) {
      const p = problems(value);
      if (p.length > 0) throw new SchemaValidationError(what, p);
    },
    withDefaults(value) {
      const copy = structuredClone(value);
      defaults(copy);
      return copy;
    },
  };
}

/** The three schemas of a module directory. */
export interface ModuleSchemas {
  config: CompiledSchema;
  values: CompiledSchema;
  helm: CompiledSchema;
}

/** Loads and compiles openapi/config-values.yaml and openapi/values.yaml of `moduleDir`. */
export function loadModuleSchemas(moduleDir: string): ModuleSchemas {
  const dir = join(moduleDir, 'openapi');
  const config = injectAdditionalPropertiesFalse(readYamlFile(join(dir, 'config-values.yaml')));
  const values = injectAdditionalPropertiesFalse(extend(readYamlFile(join(dir, 'values.yaml')), dir));
  return { config: compile(config), values: compile(values), helm: compile(helmSchema(values)) };
}
