import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelValueErrors, qualifiedNameErrors, validateConditions, validateEvent, validateObjectMeta, validateService } from './validation.ts';
import type { KubeObject } from './store.ts';

const fields = (cs: { field: string }[]): string[] => cs.map((c) => c.field);

test('names, label keys and values follow apimachinery rules', () => {
  const rows: [string, boolean][] = [['network.deckhouse.io/load-balancer-class', true], ['a', true], ['A_b.c', true], ['-a', false], ['a/b/c', false], ['Example.com/x', false], [`x/${'a'.repeat(64)}`, false]];
  for (const [key, ok] of rows) assert.equal(qualifiedNameErrors(key).length === 0, ok, key);
  for (const [v, ok] of [['', true], ['192.0.2.1', true], ['has space', false], ['a'.repeat(64), false], ['x-', false]] as const) assert.equal(labelValueErrors(v).length === 0, ok, v);
  const o: KubeObject = { metadata: { name: 'Web', namespace: 'default', labels: { ok: 'v', 'bad key!': 'v' }, finalizers: ['network.deckhouse.io/in-use', 'bad finalizer'] } };
  assert.deepEqual(fields(validateObjectMeta(o, 'dns1035', true)), ['metadata.name', 'metadata.labels', 'metadata.finalizers[1]']);
});

test('metav1.Condition: type, status, reason pattern, lastTransitionTime, duplicates', () => {
  const good = { type: 'network.deckhouse.io/load-balancer-class', status: 'True', reason: 'LoadBalancerClassBound', message: 'ingress', lastTransitionTime: '2026-01-01T00:00:00Z' };
  assert.deepEqual(validateConditions([good], 'status.conditions'), []);
  const bad = validateConditions([
    { ...good, reason: 'Pool exhausted' },
    { ...good, type: 'AllPublicIPsAssigned', status: 'Maybe', lastTransitionTime: undefined },
    { ...good, type: 'AllPublicIPsAssigned', reason: '' },
  ], 'status.conditions');
  assert.deepEqual(fields(bad), ['status.conditions[0].reason', 'status.conditions[1].status', 'status.conditions[1].lastTransitionTime', 'status.conditions[2].type', 'status.conditions[2].reason']);
});

test('Service ingress entries must be canonical IPs and only on LoadBalancer Services', () => {
  const svc = (type: string, ingress: object[]): KubeObject => ({ metadata: { name: 's' }, spec: { type, ports: [{ port: 80 }] }, status: { loadBalancer: { ingress } } });
  assert.deepEqual(validateService(svc('LoadBalancer', [{ ip: '192.0.2.1' }, { ip: '2001:db8::1', ipMode: 'VIP' }])), []);
  assert.deepEqual(fields(validateService(svc('LoadBalancer', [{ ip: '192.0.2.01' }, { ip: '192.0.2.256' }, { hostname: '192.0.2.1' }, { ipMode: 'Proxy' }]))),
    ['status.loadBalancer.ingress[0].ip', 'status.loadBalancer.ingress[1].ip', 'status.loadBalancer.ingress[2].hostname', 'status.loadBalancer.ingress[3].ipMode']);
  assert.deepEqual(fields(validateService(svc('ClusterIP', [{ ip: '192.0.2.1' }]))), ['status.loadBalancer.ingress']);
});

test('Events: namespace agreement, and new-style events need their reporting fields', () => {
  const ev = (o: Partial<KubeObject>): KubeObject => ({ metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Service', name: 's', namespace: 'default' }, ...o });
  assert.deepEqual(validateEvent(ev({ reason: 'IPAllocated' }), false), []);
  assert.deepEqual(fields(validateEvent(ev({ involvedObject: { kind: 'Service', name: 's', namespace: 'other' } }), false)), ['involvedObject.namespace']);
  assert.deepEqual(fields(validateEvent(ev({ eventTime: '2026-01-01T00:00:00.000000Z', reason: 'X' }), false)), ['reportingComponent', 'reportingInstance', 'action']);
  assert.deepEqual(fields(validateEvent(ev({ eventTime: '2026-01-01T00:00:00.000000Z', reason: 'X', action: 'A', reportingComponent: 'metallb', reportingInstance: 'n1', type: 'Info', count: 2 }), true)), ['type', 'deprecatedCount']);
});

test('fields of the wrong JSON type are refused with a cause, not a crash', () => {
  const meta = (m: Record<string, unknown>): KubeObject => ({ metadata: m } as KubeObject);
  assert.deepEqual(fields(validateObjectMeta(meta({ name: 5 }), 'subdomain', true)), ['metadata.name']);
  assert.deepEqual(fields(validateObjectMeta(meta({ name: 'a', finalizers: 'x' }), 'subdomain', true)), ['metadata.finalizers']);
  assert.deepEqual(fields(validateObjectMeta(meta({ name: 'a', finalizers: ['ok.io/f', 1] }), 'subdomain', true)), ['metadata.finalizers[1]']);
  assert.deepEqual(fields(validateService({ metadata: { name: 's' }, spec: 'x' } as unknown as KubeObject)), ['spec']);
});
