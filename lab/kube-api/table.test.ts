import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crdPrinter, evalJsonPath, humanDuration, serviceExternalIP } from './table.ts';
import type { KubeObject } from './store.ts';

test('ages print as apimachinery HumanDuration', () => {
  const rows: [number, string][] = [[0, '0s'], [119, '119s'], [120, '2m'], [125, '2m5s'], [600, '10m'], [3 * 3600, '3h'], [3 * 3600 + 60 * 5, '3h5m'], [30 * 3600, '30h'], [50 * 3600, '2d2h'], [400 * 86400, '400d'], [3 * 365 * 86400 + 86400, '3y1d']];
  for (const [sec, want] of rows) assert.equal(humanDuration(sec * 1000), want, `${sec}s`);
});

function svc(spec: object, ingress?: object[]): KubeObject {
  return { metadata: { name: 's' }, spec, status: ingress ? { loadBalancer: { ingress } } : {} };
}

test('EXTERNAL-IP is the sorted set of ingress IPs or hostnames, then spec.externalIPs', () => {
  assert.equal(serviceExternalIP(svc({ type: 'LoadBalancer' })), '<pending>');
  assert.equal(serviceExternalIP(svc({ type: 'ClusterIP' })), '<none>');
  assert.equal(serviceExternalIP(svc({ type: 'LoadBalancer' }, [{ ip: '192.0.2.102' }, { ip: '192.0.2.100' }, { ip: '192.0.2.100' }, { hostname: 'lb.example.com' }])), '192.0.2.100,192.0.2.102,lb.example.com');
  assert.equal(serviceExternalIP(svc({ type: 'LoadBalancer', externalIPs: ['203.0.113.1'] }, [{ ip: '2001:db8::1' }])), '2001:db8::1,203.0.113.1');
});

test('printer column JSONPath and cells', () => {
  const o: KubeObject = { metadata: { name: 'c', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { type: 'L2', pool: ['a', 'b'] }, status: { conditions: [{ type: 'X' }] } };
  assert.deepEqual(evalJsonPath(o, '.spec.pool[*]'), ['a', 'b']);
  assert.deepEqual(evalJsonPath(o, '.status.conditions[0].type'), ['X']);
  assert.deepEqual(evalJsonPath(o, '.status.missing'), []);
  const p = crdPrinter([{ name: 'Type', type: 'string', jsonPath: '.spec.type' }, { name: 'Used', type: 'string', jsonPath: '.status.used' }, { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }]);
  assert.deepEqual(p.cells(o, new Date('2026-01-01T00:05:00Z')), ['c', 'L2', null, '5m']);
});
