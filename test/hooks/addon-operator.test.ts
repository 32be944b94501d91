// The addon-operator imitation's own strictness (test/support/addon-operator/): what it refuses
// is what addon-operator refuses (or, for status writes, what would silently do nothing), so hook
// tests that pass through it mean something.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyJqFilter } from '../support/addon-operator/jq.ts';
import { parseHookConfig } from '../support/addon-operator/hook-config.ts';
import {
  applyKubeOperations, applyMetrics, applyValuesOps, compactValuesOps, OutputError, parseKubeOperations, parseMetrics, parseValuesPatch,
  type MetricSeries,
} from '../support/addon-operator/operations.ts';
import { clusterFromYaml, threeWay } from '../support/addon-operator/index.ts';

describe('addon-operator imitation: jq', () => {
  it('gives null for no output, the value for one, an array for several (gojq, as shell-operator)', () => {
    assert.deepEqual(applyJqFilter('.a[]?', [{ a: [] }, { a: [1] }, { a: [1, 2] }]), [null, 1, [1, 2]]);
  });
  it('keeps definitions working inside the filter', () => {
    assert.deepEqual(applyJqFilter('def twice: . * 2; .n | twice', [{ n: 2 }]), [4]);
  });
});

describe('addon-operator imitation: hook config', () => {
  const base = { configVersion: 'v1', metadata: { name: 'h', path: 'hooks/h' } };
  it('applies the batch defaults: keepFullObjectsInMemory false, events on', () => {
    const [h] = parseHookConfig(JSON.stringify({ version: 'v1', hooks: [{ ...base, kubernetes: [{ name: 'n', kind: 'Node', jqFilter: '.' }] }] }));
    assert.deepEqual([h!.kubernetes[0]!.keepFullObjectsInMemory, h!.kubernetes[0]!.executeHookOnEvent, h!.kubernetes[0]!.apiVersion], [false, true, 'v1']);
  });
  for (const [name, binding] of [
    ['executeHookOnEvent as a list (shell-hook style)', { name: 'n', kind: 'Node', executeHookOnEvent: ['Added'] }],
    ['an unknown key', { name: 'n', kind: 'Node', jqfilter: '.' }],
    ['an empty labelSelector', { name: 'n', kind: 'Node', labelSelector: {} }],
    ['a bad field selector operator', { name: 'n', kind: 'Node', fieldSelector: { matchExpressions: [{ field: 'metadata.name', operator: '~', value: 'x' }] } }],
  ] as const) {
    it(`rejects ${name}`, () => {
      assert.throws(() => parseHookConfig(JSON.stringify({ version: 'v1', hooks: [{ ...base, kubernetes: [binding] }] })), /hook config is invalid/);
    });
  }
  it('rejects a negative order number', () => {
    assert.throws(() => parseHookConfig(JSON.stringify([{ ...base, beforeHelm: -1 }])), /unsigned integer/);
  });
});

describe('addon-operator imitation: values patches', () => {
  it('accepts only add and remove under /metallb/', () => {
    assert.throws(() => parseValuesPatch('{"op":"replace","path":"/metallb/internal/x","value":1}', 'metallb'), /only add and remove/);
    assert.throws(() => parseValuesPatch('{"op":"add","path":"/global/x","value":1}', 'metallb'), /outside \/metallb\//);
    assert.deepEqual(parseValuesPatch('[{"op":"add","path":"/metallb/a","value":1}]\n{"op":"remove","path":"/metallb/b"}', 'metallb').length, 2);
  });
  it('applies strictly: add needs its parent, remove needs its target', () => {
    assert.throws(() => applyValuesOps({ metallb: {} }, [{ op: 'add', path: '/metallb/internal/x', value: 1 }], true), /parent does not exist/);
    assert.throws(() => applyValuesOps({ metallb: {} }, [{ op: 'remove', path: '/metallb/x' }], true), OutputError);
    assert.deepEqual(applyValuesOps({ metallb: { internal: {} } }, [{ op: 'add', path: '/metallb/internal/x', value: 1 }], true), { metallb: { internal: { x: 1 } } });
  });
  it('compacts stored patches: last op per path, an op on a path drops the ops below it', () => {
    const stored = compactValuesOps([{ op: 'add', path: '/metallb/internal/a/b', value: 1 }], [{ op: 'add', path: '/metallb/internal/a', value: {} }]);
    assert.deepEqual(stored, [{ op: 'add', path: '/metallb/internal/a', value: {} }]);
  });
});

describe('addon-operator imitation: kubernetes operations', () => {
  const fixture = `
apiVersion: v1
kind: Namespace
metadata: {name: d8-metallb}
---
apiVersion: network.deckhouse.io/v1alpha1
kind: MetalLoadBalancerClass
metadata: {name: c}
spec: {addressPool: [192.0.2.0/28]}
`;
  it('rejects unknown keys, unknown operations and a top-level array', () => {
    assert.throws(() => parseKubeOperations('{"operation":"MergePatch","kind":"Secret","name":"a","mergePatch":{},"foo":1}'), /unknown key "foo"/);
    assert.throws(() => parseKubeOperations('{"operation":"Patch","kind":"Secret","name":"a"}'), /unknown operation/);
    assert.throws(() => parseKubeOperations('[{"operation":"Delete","kind":"Secret","name":"a"}]'), OutputError);
  });
  it('accepts YAML documents too', () => {
    assert.equal(parseKubeOperations('operation: Delete\nkind: Secret\nname: a\n---\noperation: Delete\nkind: Secret\nname: b\n').length, 2);
  });
  it('writes status only with subresource: status', () => {
    const store = clusterFromYaml(fixture);
    const withoutSub = parseKubeOperations('{"operation":"MergePatch","apiVersion":"network.deckhouse.io/v1alpha1","kind":"MetalLoadBalancerClass","name":"c","mergePatch":{"status":{"nodes":1}}}');
    assert.match(applyKubeOperations(store, withoutSub)[0] ?? '', /only with subresource: status/);
    const withSub = parseKubeOperations('{"operation":"MergePatch","apiVersion":"network.deckhouse.io/v1alpha1","kind":"MetalLoadBalancerClass","name":"c","subresource":"status","mergePatch":{"status":{"nodes":1}}}');
    assert.deepEqual(applyKubeOperations(store, withSub), []);
    assert.deepEqual(store.get(store.resolve('MetalLoadBalancerClass')!, undefined, 'c').status, { nodes: 1 });
  });
  it('CreateOrUpdate replaces, CreateIfNotExists keeps, Delete ignores NotFound, errors are collected', () => {
    const store = clusterFromYaml(fixture);
    const cm = (data: Record<string, string>) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'd8-metallb' }, data });
    const ops = parseKubeOperations([
      `{"operation":"CreateOrUpdate","object":${cm({ a: '1', b: '2' })}}`,
      `{"operation":"CreateOrUpdate","object":${cm({ a: '3' })}}`,
      `{"operation":"CreateIfNotExists","object":${cm({ c: '4' })}}`,
      `{"operation":"Create","object":${cm({ d: '5' })}}`,
      '{"operation":"Delete","kind":"ConfigMap","namespace":"d8-metallb","name":"absent"}',
      '{"operation":"MergePatch","kind":"ConfigMap","namespace":"d8-metallb","name":"absent","mergePatch":{},"ignoreMissingObject":true}',
    ].join('\n'));
    const errors = applyKubeOperations(store, ops);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /operation 3 Create ConfigMap d8-metallb\/x: AlreadyExists/);
    assert.deepEqual(store.get(store.resolve('ConfigMap')!, 'd8-metallb', 'x').data, { a: '3' });
  });
});

describe('addon-operator imitation: metrics and helm', () => {
  it('groups ungrouped series under the hook name and replaces a group as a whole', () => {
    const series = new Map<string, MetricSeries[]>();
    applyMetrics(series, parseMetrics('{"name":"m","action":"set","value":1,"labels":{"a":"1"}}\n{"name":"m","action":"set","value":2,"labels":{"a":"2"}}', 'hook-a'));
    applyMetrics(series, parseMetrics('{"name":"m","action":"set","value":3,"labels":{"a":"1"}}', 'hook-a'));
    assert.deepEqual([...series.values()].flat(), [{ group: 'hook-a', name: 'm', labels: { a: '1' }, value: 3 }]);
    assert.throws(() => parseMetrics('{"name":"h","action":"observe","value":1}', 'hook-a'), /observe/);
  });
  it('three-way merge keeps fields only the live object has and drops what the chart dropped', () => {
    const old = { metadata: { name: 's' }, data: { a: '1', b: '2' } };
    const next = { metadata: { name: 's' }, data: { a: '9' } };
    const live = { metadata: { name: 's', annotations: { user: 'x' }, resourceVersion: '5' }, data: { a: '1', b: '2' } };
    assert.deepEqual(threeWay(old, next, live), { data: { a: '9', b: null } });
  });
});

describe('addon-operator imitation: operator pod', () => {
  it('keeps its state directory across runs and wipes it on restart; the hooks run there', async () => {
    const { writeFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { AddonOperator, ensureHooksExecutable } = await import('../support/addon-operator/index.ts');
    const op = await AddonOperator.start({ store: clusterFromYaml(), executable: ensureHooksExecutable() });
    try {
      writeFileSync(join(op.stateDir, 'marker'), 'x');
      await op.settle();
      assert.deepEqual(readdirSync(op.stateDir).includes('marker'), true);
      const runs = op.runs.length;
      await op.restart();
      assert.equal(readdirSync(op.stateDir).includes('marker'), false);
      assert.ok(op.runs.length > runs, 'the module started again');
      // Every run got the Group/lifecycle contexts addon-operator renders for batch hooks.
      for (const r of op.runs) {
        for (const c of r.contexts) {
          if (c.type !== undefined) assert.deepEqual(Object.keys(c), ['binding', 'groupName', 'snapshots', 'type']);
          else assert.ok(['onStartup', 'beforeHelm', 'afterHelm'].includes(String(c.binding)));
        }
      }
    } finally {
      op.dispose();
    }
  });
});
