import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectStore, type KubeObject, type ResourceType, type WatchEvent } from './store.ts';
import { StatusError } from './errors.ts';
import { parseLabelSelector, parseFieldSelector } from './selectors.ts';

const services: ResourceType = {
  group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, statusSubresource: true,
  strategicListRules: { 'spec.ports': 'port', 'status.conditions': 'type' },
};
const namespaces: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, statusSubresource: true, keepStatusOnCreate: true };
const classes: ResourceType = { group: 'network.deckhouse.io', version: 'v1alpha1', resource: 'metalloadbalancerclasses', kind: 'MetalLoadBalancerClass', namespaced: false, statusSubresource: true };

function newStore(historyLimit = 1000): ObjectStore {
  let t = Date.parse('2026-01-02T03:04:05.678Z');
  const s = new ObjectStore({ now: () => new Date((t += 1000)), historyLimit, requireNamespaces: true });
  for (const r of [services, namespaces, classes]) s.register(r);
  s.create(namespaces, { metadata: { name: 'default' } });
  return s;
}

function svc(name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return { metadata: { name, namespace: 'default', labels: { app: name } }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] }, ...extra };
}

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  assert.fail('expected a StatusError');
}

test('create assigns uid, timestamps, generation and a growing resourceVersion', () => {
  const s = newStore();
  const a = s.create(services, svc('a', { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } }));
  const b = s.create(services, svc('b'));
  assert.equal(a.apiVersion, 'v1');
  assert.equal(a.kind, 'Service');
  assert.equal(a.metadata.creationTimestamp, '2026-01-02T03:04:07Z');
  assert.equal(a.metadata.generation, 1);
  assert.ok(a.metadata.uid);
  assert.equal(a.status, undefined, 'status given to create is dropped for a status subresource');
  assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
  assert.equal(statusOf(() => s.create(services, svc('a'))).reason, 'AlreadyExists');
  assert.equal(statusOf(() => s.get(services, 'default', 'zzz')).code, 404);
});

test('a namespaced object needs its namespace to exist', () => {
  const s = newStore();
  const e = statusOf(() => s.create(services, { metadata: { name: 'x', namespace: 'nope' } }));
  assert.equal(e.code, 404);
  assert.match(e.message, /namespaces "nope" not found/);
});

test('an update with a stale resourceVersion is a 409 Conflict; without one it is unconditional', () => {
  const s = newStore();
  const v1 = s.create(services, svc('a'));
  const v2 = s.update(services, { ...v1, spec: { type: 'LoadBalancer', ports: [{ port: 81 }] } });
  assert.equal(v2.metadata.generation, 2);
  const e = statusOf(() => s.update(services, { ...v1, spec: { ports: [{ port: 82 }] } }));
  assert.equal(e.code, 409);
  assert.equal(e.reason, 'Conflict');
  const v3 = s.update(services, { ...v1, metadata: { ...v1.metadata, resourceVersion: '' }, spec: { ports: [{ port: 83 }] } });
  assert.deepEqual((v3.spec as { ports: unknown }).ports, [{ port: 83 }]);
});

test('a write that changes nothing keeps the resourceVersion and sends no event', () => {
  const s = newStore();
  const v1 = s.create(services, svc('a'));
  const events: WatchEvent[] = [];
  s.watch(services, { resourceVersion: v1.metadata.resourceVersion }, (e) => events.push(e));
  const same = s.update(services, v1);
  assert.equal(same.metadata.resourceVersion, v1.metadata.resourceVersion);
  assert.equal(events.length, 0);
});

test('status and main resource writes each keep the other part', () => {
  const s = newStore();
  const v1 = s.create(services, svc('a'));
  const st = s.update(services, { ...v1, spec: { ports: [{ port: 9 }] }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } } }, 'status');
  assert.deepEqual(st.spec, v1.spec, 'status write ignores spec');
  assert.equal(st.metadata.generation, 1);
  const main = s.update(services, { ...st, status: {} });
  assert.deepEqual(main.status, { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } }, 'main write ignores status');
});

test('delete with finalizers sets deletionTimestamp; removing the last finalizer deletes', () => {
  const s = newStore();
  s.create(services, svc('a', { metadata: { name: 'a', namespace: 'default', finalizers: ['example.com/x'] } }));
  const r = s.delete(services, 'default', 'a');
  assert.equal(r.deleted, false);
  assert.equal(r.object.metadata.deletionTimestamp, '2026-01-02T03:04:08Z');
  const cur = s.get(services, 'default', 'a');
  const e = statusOf(() => s.update(services, { ...cur, metadata: { ...cur.metadata, finalizers: ['example.com/x', 'example.com/y'] } }));
  assert.equal(e.code, 422);
  assert.match(e.message, /no new finalizers/);
  const events: WatchEvent[] = [];
  s.watch(services, { resourceVersion: cur.metadata.resourceVersion }, (ev) => events.push(ev));
  s.patch(services, 'default', 'a', 'json', [{ op: 'remove', path: '/metadata/finalizers/0' }]);
  assert.equal(statusOf(() => s.get(services, 'default', 'a')).code, 404);
  assert.deepEqual(events.map((ev) => ev.type), ['DELETED']);
});

test('deleting a namespace deletes what is in it', () => {
  const s = newStore();
  s.create(namespaces, { metadata: { name: 'ns1' } });
  s.create(services, { metadata: { name: 'a', namespace: 'ns1' } });
  s.delete(namespaces, undefined, 'ns1');
  assert.equal(s.list(services, { namespace: 'ns1' }).items.length, 0);
  assert.equal(statusOf(() => s.get(namespaces, undefined, 'ns1')).code, 404);
});

test('list and watch honour label and field selectors; leaving the selection is a DELETED', () => {
  const s = newStore();
  s.create(services, svc('a'));
  s.create(services, svc('b'));
  const sel = { labelSelector: parseLabelSelector('app in (a,c)'), fieldSelector: parseFieldSelector('metadata.namespace=default') };
  assert.deepEqual(s.list(services, sel).items.map((o) => o.metadata.name), ['a']);
  const events: WatchEvent[] = [];
  s.watch(services, sel, (e) => events.push(e));
  s.patch(services, 'default', 'a', 'merge', { metadata: { labels: { app: 'x' } } });
  s.patch(services, 'default', 'b', 'merge', { metadata: { labels: { app: 'c' } } });
  assert.deepEqual(events.map((e) => `${e.type} ${(e.object as KubeObject).metadata.name}`), ['ADDED a', 'DELETED a', 'ADDED b']);
});

test('a watch replays from its resourceVersion, and one older than the history gets 410 Expired', () => {
  const s = newStore(3);
  const a = s.create(services, svc('a'));
  const replay: WatchEvent[] = [];
  s.watch(services, { resourceVersion: a.metadata.resourceVersion }, () => undefined).stop();
  for (let i = 0; i < 5; i++) s.patch(services, 'default', 'a', 'merge', { metadata: { annotations: { n: String(i) } } });
  const rv = Number(s.resourceVersion());
  s.watch(services, { resourceVersion: String(rv - 2) }, (e) => replay.push(e));
  assert.deepEqual(replay.map((e) => e.type), ['MODIFIED', 'MODIFIED']);
  const old: WatchEvent[] = [];
  s.watch(services, { resourceVersion: a.metadata.resourceVersion }, (e) => old.push(e));
  assert.equal(old.length, 1);
  assert.equal(old[0]!.type, 'ERROR');
  assert.equal((old[0]!.object as StatusError).code, 410);
});

test('strategic merge patch merges lists by key; CRDs refuse it with 415', () => {
  const s = newStore();
  s.create(services, svc('a'));
  const p = s.patch(services, 'default', 'a', 'strategic', { spec: { ports: [{ port: 443 }, { port: 80, name: 'http' }] } });
  assert.deepEqual((p.spec as { ports: unknown }).ports, [{ port: 80, name: 'http' }, { port: 443 }]);
  s.create(classes, { metadata: { name: 'c' }, spec: {} });
  assert.equal(statusOf(() => s.patch(classes, undefined, 'c', 'strategic', { spec: { x: 1 } })).code, 415);
});

test('a patch carrying a stale resourceVersion is a 409 Conflict', () => {
  const s = newStore();
  const v1 = s.create(services, svc('a'));
  s.patch(services, 'default', 'a', 'merge', { metadata: { labels: { x: 'y' } } });
  const e = statusOf(() => s.patch(services, 'default', 'a', 'merge', { metadata: { resourceVersion: v1.metadata.resourceVersion, labels: { x: 'z' } } }));
  assert.equal(e.code, 409);
});
