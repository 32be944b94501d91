import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crdResourceType, type CrdSpec } from './crd.ts';
import { ObjectStore } from './store.ts';
import { StatusError } from './errors.ts';

const spec: CrdSpec = {
  group: 'example.com', scope: 'Namespaced',
  names: { kind: 'Widget', plural: 'widgets' },
  versions: [{
    name: 'v1', served: true, storage: true, subresources: { status: {} },
    schema: {
      openAPIV3Schema: {
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            required: ['size'],
            properties: {
              size: { type: 'integer', minimum: 1 },
              mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
              port: { 'x-kubernetes-int-or-string': true },
              items: { type: 'array', items: { type: 'object', properties: { n: { type: 'string', default: 'x' } } } },
              free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
          status: { type: 'object', properties: { ok: { type: 'boolean' } } },
        },
      },
    },
  }],
};

function causes(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
    throw e;
  }
  return [];
}

test('a CRD schema defaults, prunes and validates like apiextensions-apiserver', () => {
  const t = crdResourceType({ metadata: { name: 'widgets.example.com' }, spec });
  const s = new ObjectStore();
  s.register(t);
  const w = s.create(t, { metadata: { name: 'w', namespace: 'ns' }, spec: { size: 2, port: 'http', items: [{}], extra: 1, free: { any: { thing: 1 } } } });
  assert.deepEqual(w.spec, { size: 2, mode: 'a', port: 'http', items: [{ n: 'x' }], free: { any: { thing: 1 } } });
  assert.equal(w.apiVersion, 'example.com/v1');
  const got = causes(() => s.create(t, { metadata: { name: 'bad', namespace: 'ns' }, spec: { size: 0, mode: 'c', port: 1.5 } }));
  assert.ok(got.some((c) => c.startsWith('spec.size: Invalid value: 0')), got.join('\n'));
  assert.ok(got.some((c) => c.startsWith('spec.mode: Unsupported value: "c"')), got.join('\n'));
  assert.ok(got.some((c) => c.startsWith('spec.port')), got.join('\n'));
  assert.deepEqual(causes(() => s.create(t, { metadata: { name: 'r', namespace: 'ns' }, spec: {} })), ['spec.size: Required value']);
});

test('a CRD with a schema that does not compile is refused', () => {
  assert.throws(() => crdResourceType({ metadata: { name: 'x.example.com' }, spec: { ...spec, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { a: { type: 'string', pattern: '(' } } } } }] } }), /does not compile/);
});

test('a schema that declares metadata as a bare object keeps the object name and labels', () => {
  const withMeta: CrdSpec = structuredClone(spec);
  const root = withMeta.versions[0]?.schema?.openAPIV3Schema as { properties: Record<string, unknown> };
  root.properties.metadata = { type: 'object' };
  const rt = crdResourceType({ metadata: { name: 'widgets.example.com' }, spec: withMeta });
  assert.ok(rt.prepare);
  const out = rt.prepare({
    apiVersion: 'example.com/v1', kind: 'Widget',
    metadata: { name: 'w1', namespace: 'default', labels: { a: 'b' } },
    spec: { size: 1, junk: true },
  });
  assert.deepEqual(out.metadata, { name: 'w1', namespace: 'default', labels: { a: 'b' } });
  assert.deepEqual(out.spec, { size: 1, mode: 'a' }, 'unknown spec fields are still pruned');
});
