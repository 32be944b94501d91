import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, metadataListRules, type Json } from './patch.ts';
import { StatusError } from './errors.ts';

test('merge patch (RFC 7386 appendix A examples)', () => {
  const rows: [Json, Json, Json][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  ];
  for (const [target, patch, want] of rows) assert.deepEqual(applyMergePatch(target, patch), want, JSON.stringify([target, patch]));
});

test('JSON patch operations (RFC 6902 §4) and an all-or-nothing failure', () => {
  const doc: Json = { a: { b: [1, 2] }, 'x/y': 1, 't~': 2 };
  assert.deepEqual(applyJsonPatch(doc, [
    { op: 'add', path: '/a/b/1', value: 9 },
    { op: 'add', path: '/a/b/-', value: 3 },
    { op: 'replace', path: '/x~1y', value: 5 },
    { op: 'remove', path: '/t~0' },
    { op: 'copy', from: '/a/b', path: '/c' },
    { op: 'move', from: '/c', path: '/d' },
    { op: 'test', path: '/d/0', value: 1 },
  ]), { a: { b: [1, 9, 2, 3] }, 'x/y': 5, d: [1, 9, 2, 3] });
  assert.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/nope' }]), StatusError);
  assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/x~1y', value: 2 }]), /test failed/);
  assert.throws(() => applyJsonPatch(doc, [{ op: 'add', path: '/a/b/01', value: 0 }]), /invalid array index/);
  assert.deepEqual(doc, { a: { b: [1, 2] }, 'x/y': 1, 't~': 2 }, 'the input is not modified');
});

const rules = { ...metadataListRules, 'spec.ports': 'port', 'status.conditions': 'type' };

test('strategic merge: lists merge by key, finalizers as a set, directives', () => {
  const svc: Json = {
    metadata: { finalizers: ['a'], labels: { x: '1' } },
    spec: { ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }], selector: { app: 'a' } },
    status: { conditions: [{ type: 'A', status: 'True' }], loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
  };
  const out = applyStrategicMergePatch(svc, {
    metadata: { finalizers: ['b', 'a'], labels: { x: null, y: '2' } },
    spec: { ports: [{ port: 443, name: 'tls' }, { port: 80, $patch: 'delete' }], selector: { $patch: 'replace', app: 'b' } },
    status: { conditions: [{ type: 'B', status: 'False' }], loadBalancer: { ingress: [{ ip: '192.0.2.2' }] } },
  }, rules);
  assert.deepEqual(out, {
    metadata: { finalizers: ['a', 'b'], labels: { y: '2' } },
    spec: { ports: [{ port: 443, name: 'tls' }], selector: { app: 'b' } },
    status: { conditions: [{ type: 'A', status: 'True' }, { type: 'B', status: 'False' }], loadBalancer: { ingress: [{ ip: '192.0.2.2' }] } },
  });
  assert.deepEqual(applyStrategicMergePatch(svc, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, rules), { ...(svc as object), metadata: { finalizers: [], labels: { x: '1' } } });
  const ordered = applyStrategicMergePatch(svc, { spec: { '$setElementOrder/ports': [{ port: 443 }, { port: 80 }] } }, rules) as { spec: { ports: { port: number }[] } };
  assert.deepEqual(ordered.spec.ports.map((p) => p.port), [443, 80]);
  assert.throws(() => applyStrategicMergePatch(svc, { spec: { ports: [{ name: 'x' }] } }, rules), /merge key: port/);
});
