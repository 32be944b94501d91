// crds/metalloadbalancerclasses.yaml served by the lab's API machinery (lab/kube-api/crd.ts:
// structural defaulting, pruning, OpenAPI validation as apiextensions-apiserver does; no CEL, which
// the CRD does not use): the documentation's class is accepted, bad addresses and types are refused
// naming the field, status is written only through the status subresource.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot } from '../support/tools.ts';
import { readYamlFile } from '../support/addon-operator/schemas.ts';
import { crdResourceType, type CrdSpec } from '../../lab/kube-api/crd.ts';
import { ObjectStore, type KubeObject } from '../../lab/kube-api/store.ts';
import { StatusError } from '../../lab/kube-api/errors.ts';

const crd = readYamlFile(join(repoRoot, 'crds/metalloadbalancerclasses.yaml')) as unknown as { metadata: { name: string }; spec: CrdSpec };
const type = crdResourceType(crd);

function mlbc(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', metadata: { name }, spec };
}

function rejection(spec: Record<string, unknown>): string[] {
  const store = new ObjectStore();
  store.register(type);
  try {
    store.create(type, mlbc('bad', spec));
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    return (err.details?.causes ?? []).map((c) => c.field);
  }
  assert.fail('expected the class to be rejected');
}

describe('MetalLoadBalancerClass CRD', () => {
  it('is cluster-scoped with a status subresource, v1alpha1', () => {
    assert.equal(type.namespaced, false);
    assert.equal(type.statusSubresource, true);
    assert.equal(type.version, 'v1alpha1');
    assert.equal(type.crdName, 'metalloadbalancerclasses.network.deckhouse.io');
  });

  it('has the printer columns Type, Default, Addresses, Used, Nodes, Age', () => {
    assert.deepEqual(type.printerColumns.map((c) => c.name), ['Type', 'Default', 'Addresses', 'Used', 'Nodes', 'Age']);
  });

  it('accepts the documentation example and defaults type and isDefault', () => {
    const store = new ObjectStore();
    store.register(type);
    const created = store.create(type, mlbc('ingress', {
      addressPool: ['192.168.2.100-192.168.2.150'], isDefault: false,
      nodeSelector: { 'node-role.kubernetes.io/loadbalancer': '' }, type: 'L2',
    }));
    assert.equal((created.spec as { type: string }).type, 'L2');
    const v6 = store.create(type, mlbc('v6', { addressPool: ['2001:db8::/64', '2001:db8:1::10-2001:db8:1::20', '192.0.2.0/28'], l2: { interfaces: ['eth0', 'bond*'] } }));
    assert.deepEqual(v6.spec, { addressPool: ['2001:db8::/64', '2001:db8:1::10-2001:db8:1::20', '192.0.2.0/28'], l2: { interfaces: ['eth0', 'bond*'] }, isDefault: false, type: 'L2' });
  });

  const negatives: [string, Record<string, unknown>, string][] = [
    ['type other than L2', { addressPool: ['192.0.2.0/28'], type: 'BGP' }, 'spec.type'],
    ['no addressPool', {}, 'spec.addressPool'],
    ['empty addressPool', { addressPool: [] }, 'spec.addressPool'],
    ['range of CIDRs', { addressPool: ['192.168.101.0/24-192.168.105.0/24'] }, 'spec.addressPool[0]'],
    ['truncated range', { addressPool: ['192.168.2.100-192.168.2'] }, 'spec.addressPool[0]'],
    ['IPv4 prefix 33', { addressPool: ['192.0.2.0/33'] }, 'spec.addressPool[0]'],
    ['IPv6 prefix 129', { addressPool: ['192.0.2.0/28', '2001:db8::/129'] }, 'spec.addressPool[1]'],
    ['range mixing families', { addressPool: ['192.0.2.1-2001:db8::1'] }, 'spec.addressPool[0]'],
    ['isDefault as text', { addressPool: ['192.0.2.0/28'], isDefault: 'yes' }, 'spec.isDefault'],
    ['nodeSelector value a number', { addressPool: ['192.0.2.0/28'], nodeSelector: { a: 1 } }, 'spec.nodeSelector.a'],
    ['interface name with a slash', { addressPool: ['192.0.2.0/28'], l2: { interfaces: ['eth0/1'] } }, 'spec.l2.interfaces[0]'],
  ];
  for (const [name, spec, field] of negatives) {
    it(`rejects ${name}, naming ${field}`, () => {
      assert.ok(rejection(spec).includes(field), `causes: ${rejection(spec).join(', ')}`);
    });
  }

  it('writes status only through the status subresource; counts are strings (IPv6 pools exceed 2^53)', () => {
    const store = new ObjectStore();
    store.register(type);
    store.create(type, mlbc('v6', { addressPool: ['2001:db8::/64'] }));
    const status = {
      totalAddresses: '18446744073709551616', usedAddresses: '3', nodes: 2,
      conditions: [{ type: 'InUse', status: 'True', reason: 'ServicesBound', message: '1 Service', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    };
    store.patch(type, undefined, 'v6', 'merge', { status });
    assert.equal(store.get(type, undefined, 'v6').status, undefined);
    store.patch(type, undefined, 'v6', 'merge', { status }, 'status');
    assert.deepEqual(store.get(type, undefined, 'v6').status, status);
    assert.throws(() => store.patch(type, undefined, 'v6', 'merge', { status: { totalAddresses: 18 } }, 'status'), StatusError);
  });

  it('documents every field', () => {
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, path: string): void => {
      if (typeof node.description !== 'string' || node.description.trim() === '') missing.push(path);
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(v, `${path}.${k}`);
      if (node.items && typeof node.items === 'object') walk(node.items as Record<string, unknown>, `${path}[]`);
    };
    walk(type.schema as Record<string, unknown>, '');
    assert.deepEqual(missing, []);
  });
});

describe('Russian documentation files', () => {
  // Deckhouse renders docs from doc-ru-*.yaml: every described field has its Russian description.
  const pairs: [string, string, (d: Record<string, unknown>) => unknown][] = [
    ['openapi/config-values.yaml', 'openapi/doc-ru-config-values.yaml', (d) => d],
    ['crds/metalloadbalancerclasses.yaml', 'crds/doc-ru-metalloadbalancerclasses.yaml', (d) => (d.spec as { versions: { schema: { openAPIV3Schema: unknown } }[] }).versions[0]!.schema.openAPIV3Schema],
  ];
  for (const [en, ru, root] of pairs) {
    it(`${ru} describes every field of ${en}`, () => {
      const missing: string[] = [];
      const walk = (a: Record<string, unknown>, b: Record<string, unknown> | undefined, path: string): void => {
        if (typeof a.description === 'string' && typeof b?.description !== 'string') missing.push(path || '(root)');
        for (const key of ['properties'] as const) {
          for (const [k, v] of Object.entries((a[key] ?? {}) as Record<string, Record<string, unknown>>)) {
            walk(v, ((b?.[key] ?? {}) as Record<string, Record<string, unknown>>)[k], `${path}.${k}`);
          }
        }
        for (const key of ['items', 'additionalProperties'] as const) {
          if (a[key] && typeof a[key] === 'object') walk(a[key] as Record<string, unknown>, b?.[key] as Record<string, unknown> | undefined, `${path}${key === 'items' ? '[]' : '{}'}`);
        }
      };
      walk(root(readYamlFile(join(repoRoot, en))) as Record<string, unknown>, root(readYamlFile(join(repoRoot, ru))) as Record<string, unknown>, '');
      assert.deepEqual(missing, []);
    });
  }
});
