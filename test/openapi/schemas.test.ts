// openapi/config-values.yaml and openapi/values.yaml, built as addon-operator builds them
// (x-extend, additionalProperties: false injected): positive and negative cases from YAML data,
// every negative failing with a message that names its field; every x-examples entry valid.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { repoRoot } from '../support/tools.ts';
import { injectAdditionalPropertiesFalse, loadModuleSchemas, readYamlFile, type SchemaNode } from '../support/addon-operator/schemas.ts';

interface Case { name: string; why?: string; field?: string; settings?: unknown; values?: unknown }
interface Cases { positive: Case[]; negative: Case[] }

const schemas = loadModuleSchemas(repoRoot);
const configCases = readYamlFile(join(repoRoot, 'test/openapi/config-values.cases.yaml')) as unknown as Cases;
const valuesCases = readYamlFile(join(repoRoot, 'test/openapi/values.cases.yaml')) as unknown as Cases;

function checkCases(kind: 'config' | 'values', cases: Cases, pick: (c: Case) => unknown): void {
  const schema = schemas[kind];
  for (const c of cases.positive) {
    it(`accepts: ${c.name}`, () => {
      assert.deepEqual(schema.problems(schema.withDefaults(pick(c))), []);
    });
  }
  for (const c of cases.negative) {
    it(`rejects: ${c.name} (${c.why ?? ''})`, () => {
      const problems = schema.problems(schema.withDefaults(pick(c)));
      assert.ok(problems.length > 0, 'expected a validation error');
      assert.ok(problems.some((p) => p.startsWith(`${c.field}:`)), `no message names ${c.field}: ${problems.join('; ')}`);
    });
  }
}

describe('config-values.yaml (ModuleConfig settings v2)', () => {
  checkCases('config', configCases, (c) => c.settings);

  it('has a negative and a positive case for every field of the schema', () => {
    const paths: string[] = [];
    const walk = (node: SchemaNode, path: string): void => {
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, SchemaNode>)) {
        const p = path ? `${path}.${k}` : k;
        paths.push(p);
        walk(v, p);
        if (v.items && typeof v.items === 'object') walk(v.items as SchemaNode, `${p}[0]`);
      }
    };
    walk(readYamlFile(join(repoRoot, 'openapi/config-values.yaml')), '');
    const covered = configCases.negative.map((c) => c.field ?? '');
    const uncovered = paths.filter((p) => !covered.some((f) => f === p || f.startsWith(`${p}.`) || f.startsWith(`${p}[`)));
    assert.deepEqual(uncovered, []);
    // And a positive case sets every field.
    const present = new Set<string>();
    const collect = (v: unknown, path: string): void => {
      if (Array.isArray(v)) v.forEach((x) => collect(x, `${path}[0]`));
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          const p = path ? `${path}.${k}` : k;
          present.add(p);
          collect(x, p);
        }
      }
    };
    for (const c of configCases.positive) collect(c.settings, '');
    assert.deepEqual(paths.filter((p) => !present.has(p)), []);
  });

  it('declares settings version 2', () => {
    assert.equal(readYamlFile(join(repoRoot, 'openapi/config-values.yaml'))['x-config-version'], 2);
  });

  it('fills the defaults of peers, pools and advertisements', () => {
    const settings = schemas.config.withDefaults({
      bgpPeers: [{ 'peer-address': '192.0.2.1', 'peer-asn': 64512, 'my-asn': 64513, bfd: {} }],
      addressPools: [{ name: 'a', protocol: 'bgp', addresses: ['192.0.2.0/28'], 'bgp-advertisements': [{}] }],
    });
    assert.deepEqual(settings, {
      bgpPeers: [{
        'peer-address': '192.0.2.1', 'peer-asn': 64512, 'my-asn': 64513, 'peer-port': 179, 'ebgp-multihop': false,
        'graceful-restart': false, bfd: { 'receive-interval': '300ms', 'transmit-interval': '300ms', 'detect-multiplier': 3 },
      }],
      addressPools: [{
        name: 'a', protocol: 'bgp', addresses: ['192.0.2.0/28'], 'auto-assign': true, 'avoid-buggy-ips': false,
        'bgp-advertisements': [{ 'aggregation-length': 32, 'aggregation-length-v6': 128 }],
      }],
    });
  });

  it('reports every problem at once', () => {
    const problems = schemas.config.problems({ bgpPeers: [{ 'peer-address': 'x', 'peer-asn': 0, 'my-asn': 'y' }], addressPools: [] });
    for (const f of ['bgpPeers[0].peer-address', 'bgpPeers[0].peer-asn', 'bgpPeers[0].my-asn']) {
      assert.ok(problems.some((p) => p.startsWith(`${f}:`)), `${f} missing in ${problems.join('; ')}`);
    }
  });
});

describe('values.yaml (settings + internal)', () => {
  checkCases('values', valuesCases, (c) => c.values);

  it('defaults internal to the empty contract', () => {
    assert.deepEqual(schemas.values.withDefaults({}), {
      addressPools: [], bgpPeers: [],
      internal: { l2: { classes: [] }, bgp: { peers: [], pools: [] }, speaker: { nodeSelectorTerms: [] } },
    });
  });

  it('requires the membership key only at helm time', () => {
    const v = schemas.values.withDefaults({});
    assert.deepEqual(schemas.values.problems(v), []);
    assert.ok(schemas.helm.problems(v).some((p) => p.startsWith('internal.membership:')));
  });
});

describe('x-examples', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const file of ['config-values.yaml']) {
    const root = readYamlFile(join(repoRoot, 'openapi', file));
    const found: { path: string; schema: SchemaNode; example: unknown }[] = [];
    const walk = (node: SchemaNode, path: string): void => {
      const examples = node['x-examples'];
      if (Array.isArray(examples)) for (const example of examples) found.push({ path, schema: node, example });
      for (const key of ['properties', 'patternProperties'] as const) {
        const props = node[key];
        if (props && typeof props === 'object') for (const [k, v] of Object.entries(props)) walk(v as SchemaNode, `${path}.${k}`);
      }
      if (node.items && typeof node.items === 'object') walk(node.items as SchemaNode, `${path}[]`);
      if (node.additionalProperties && typeof node.additionalProperties === 'object') walk(node.additionalProperties as SchemaNode, `${path}{}`);
    };
    walk(root, file);
    it(`${file}: has examples, the documentation's BGP example first`, () => {
      const top = root['x-examples'] as { bgpPeers?: { 'peer-address': string }[] }[];
      assert.equal(top[0]?.bgpPeers?.[0]?.['peer-address'], '172.18.18.10');
      assert.ok(found.length >= 6);
    });
    for (const [i, { path, schema, example }] of found.entries()) {
      it(`${path} example ${i} validates`, () => {
        const validate = ajv.compile(injectAdditionalPropertiesFalse({ ...schema, 'x-examples': undefined }));
        assert.ok(validate(structuredClone(example)), JSON.stringify(validate.errors));
      });
    }
  }
});
