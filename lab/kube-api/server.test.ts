// The embedded API against the real client library the speaker uses (@kubernetes/client-node 1.4):
// informers over Services, EndpointSlices, Nodes and MetalLoadBalancerClasses, watches dropped and
// resumed, 410 Gone and relist, conflicts, finalizers, validation and fault injection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { KubeApiServer } from './server.ts';

let api: KubeApiServer;
let dir: string;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;
let discovery: k8s.DiscoveryV1Api;
let eventsApi: k8s.EventsV1Api;
const informers: k8s.Informer<k8s.KubernetesObject>[] = [];
let stopping = false;

const mlbc = { group: 'network.deckhouse.io', version: 'v1alpha1', plural: 'metalloadbalancerclasses' };
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlbk-api-'));
  api = await KubeApiServer.start({ dir, bookmarkIntervalMs: 200, historyLimit: 50 });
  kc = new k8s.KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  eventsApi = kc.makeApiClient(k8s.EventsV1Api);
});

after(async () => {
  stopping = true;
  for (const i of informers) await i.stop();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits for a condition re-checked every 20 ms (the informer callbacks have no promise to await). */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: { reason?: string; message?: string } }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof k8s.ApiException) {
      const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
      return { code: e.code, body };
    }
    throw e;
  }
  assert.fail('expected the API to refuse');
}

interface Tracked<T extends k8s.KubernetesObject> {
  informer: k8s.Informer<T> & k8s.ObjectCache<T>;
  log: string[];
  errors: unknown[];
  connects: number;
}

/** Starts an informer that logs `add|update|delete name` and restarts itself after an error, as the speaker does. */
async function track<T extends k8s.KubernetesObject>(path: string, list: () => Promise<k8s.KubernetesListObject<T>>): Promise<Tracked<T>> {
  const informer = k8s.makeInformer<T>(kc, path, list);
  const t: Tracked<T> = { informer, log: [], errors: [], connects: 0 };
  for (const ev of ['add', 'update', 'delete'] as const) {
    informer.on(ev, (o: T) => t.log.push(`${ev} ${o.metadata?.name}`));
  }
  informer.on('connect', () => t.connects++);
  informer.on('error', (err: unknown) => {
    t.errors.push(err);
    if (!stopping) setTimeout(() => void informer.start(), 50);
  });
  informers.push(informer as unknown as k8s.Informer<k8s.KubernetesObject>);
  await informer.start();
  return t;
}

function lbService(name: string): k8s.V1Service {
  return { metadata: { name, namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } };
}

test('informers over Services, EndpointSlices, Nodes and MetalLoadBalancerClasses see adds, updates and deletes', async () => {
  const svc = await track('/api/v1/services', () => core.listServiceForAllNamespaces());
  const eps = await track('/apis/discovery.k8s.io/v1/endpointslices', () => discovery.listEndpointSliceForAllNamespaces());
  const nodes = await track('/api/v1/nodes', () => core.listNode());
  const classes = await track(`/apis/${mlbc.group}/${mlbc.version}/${mlbc.plural}`,
    () => custom.listClusterCustomObject(mlbc) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>);

  await core.createNode({ body: { metadata: { name: 'node1', labels: { 'node-role.kubernetes.io/loadbalancer': '' } }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.11' }] } } });
  await core.createNamespacedService({ namespace: 'default', body: lbService('web') });
  await discovery.createNamespacedEndpointSlice({
    namespace: 'default',
    body: { metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', endpoints: [{ addresses: ['198.18.0.1'], nodeName: 'node1', conditions: { ready: true } }] },
  });
  await custom.createClusterCustomObject({ ...mlbc, body: { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', metadata: { name: 'ingress' }, spec: { addressPool: ['192.0.2.100-192.0.2.102'] } } });
  await until('four adds', () => svc.log.includes('add web') && eps.log.includes('add web-abc') && nodes.log.includes('add node1') && classes.log.includes('add ingress'));

  const cls = classes.informer.get('ingress') as unknown as { spec: { type: string; isDefault: boolean } };
  assert.deepEqual([cls.spec.type, cls.spec.isDefault], ['L2', false], 'CRD schema defaults are applied');

  await core.patchNamespacedServiceStatus({ name: 'web', namespace: 'default', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.100' }] } } } }, mergePatch);
  await until('status update', () => svc.informer.get('web', 'default')?.status?.loadBalancer?.ingress?.[0]?.ip === '192.0.2.100');
  await core.deleteNode({ name: 'node1' });
  await until('node delete', () => nodes.log.includes('delete node1'));
  assert.equal(svc.errors.length + eps.errors.length + nodes.errors.length + classes.errors.length, 0);
});

test('a watch the server ends is resumed from its resourceVersion without a relist', async () => {
  const cms = await track('/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'a' }, data: { k: '1' } } });
  await until('add a', () => cms.log.includes('add a'));
  const connects = cms.connects;
  // Drop while the server does not answer, so the change below happens between two watches.
  api.setFaults({ stopAnswering: true });
  assert.ok(api.dropWatches('end') > 0);
  api.store.update(api.store.type('', 'configmaps')!, { metadata: { name: 'a', namespace: 'default' }, data: { k: '2' } });
  api.setFaults({ stopAnswering: false });
  await until('update a after resume', () => cms.informer.get('a', 'default')?.data?.k === '2');
  assert.equal(cms.connects, connects + 1, 'one reconnect');
  assert.deepEqual(cms.log, ['add a', 'update a'], 'resumed, not relisted: no second add');
  assert.deepEqual(cms.errors, []);
});

test('a watch reset mid-stream surfaces as an informer error; restarting catches up', async () => {
  const leases = await track('/apis/coordination.k8s.io/v1/namespaces/default/leases', () =>
    kc.makeApiClient(k8s.CoordinationV1Api).listNamespacedLease({ namespace: 'default' }));
  const coord = kc.makeApiClient(k8s.CoordinationV1Api);
  await coord.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'l1' }, spec: { holderIdentity: 'node1' } } });
  await until('add l1', () => leases.log.includes('add l1'));
  api.dropWatches('reset');
  await coord.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'l2' }, spec: { holderIdentity: 'node2' } } });
  await until('add l2 after restart', () => leases.log.includes('add l2'));
  assert.ok(leases.errors.length >= 1, 'the reset was reported');
});

test('a resume from a version older than the history gets 410 Gone and the informer relists', async () => {
  const secrets = await track('/api/v1/namespaces/default/secrets', () => core.listNamespacedSecret({ namespace: 'default' }));
  await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 's' }, stringData: { a: 'b' } } });
  await until('add s', () => secrets.log.includes('add s'));
  api.setFaults({ stopAnswering: true });
  api.dropWatches('end');
  const cmType = api.store.type('', 'configmaps')!;
  // historyLimit is 50: push the informer's version out of the history.
  api.store.create(cmType, { metadata: { name: 'churn', namespace: 'default' } });
  for (let i = 0; i < 60; i++) api.store.patch(cmType, 'default', 'churn', 'merge', { data: { i: String(i) } });
  api.store.delete(api.store.type('', 'secrets')!, 'default', 's');
  api.store.create(api.store.type('', 'secrets')!, { metadata: { name: 't', namespace: 'default' } });
  api.setFaults({ stopAnswering: false });
  await until('relist shows t and drops s', () => secrets.log.includes('add t') && secrets.log.includes('delete s'));
  assert.equal(secrets.informer.get('s', 'default'), undefined);
});

test('delayed watch events arrive later and in order', async () => {
  const svc = await track('/api/v1/namespaces/default/services', () => core.listNamespacedService({ namespace: 'default' }));
  await until('initial list', () => svc.log.includes('add web'));
  api.setFaults({ watchDelayMs: 1000 });
  try {
    await core.patchNamespacedService({ name: 'web', namespace: 'default', body: { metadata: { labels: { step: '1' } } } }, mergePatch);
    await core.patchNamespacedService({ name: 'web', namespace: 'default', body: { metadata: { labels: { step: '2' } } } }, mergePatch);
    assert.equal(svc.informer.get('web', 'default')?.metadata?.labels?.step, undefined, 'the cache lags behind the writes');
    const seen: string[] = [];
    svc.informer.on('update', (o) => seen.push(o.metadata?.labels?.step ?? ''));
    await until('both updates', () => seen.length === 2);
    assert.deepEqual(seen, ['1', '2']);
  } finally {
    api.setFaults({ watchDelayMs: 0 });
  }
});

test('while the server stops answering, requests wait and complete after it resumes', async () => {
  api.setFaults({ stopAnswering: true });
  let done = false;
  const pending = core.readNamespace({ name: 'default' }).then((ns) => {
    done = true;
    return ns;
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(done, false);
  api.setFaults({ stopAnswering: false });
  assert.equal((await pending).metadata?.name, 'default');
});

test('an update from a stale resourceVersion is a 409 Conflict', async () => {
  const v1 = await core.createNamespacedService({ namespace: 'default', body: lbService('conflict') });
  await core.patchNamespacedService({ name: 'conflict', namespace: 'default', body: { metadata: { labels: { a: 'b' } } } }, mergePatch);
  const e = await apiError(core.replaceNamespacedService({ name: 'conflict', namespace: 'default', body: v1 }));
  assert.equal(e.code, 409);
  assert.equal(e.body.reason, 'Conflict');
  assert.match(e.body.message ?? '', /the object has been modified/);
});

test('a class with a finalizer is only marked on delete and goes when the finalizer is removed', async () => {
  const classes = await track(`/apis/${mlbc.group}/${mlbc.version}/${mlbc.plural}`,
    () => custom.listClusterCustomObject(mlbc) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>);
  await custom.createClusterCustomObject({ ...mlbc, body: { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', metadata: { name: 'held', finalizers: ['network.deckhouse.io/in-use'] }, spec: { addressPool: ['198.51.100.0/30'] } } });
  await custom.deleteClusterCustomObject({ ...mlbc, name: 'held' });
  await until('deletionTimestamp seen', () => Boolean(classes.informer.get('held')?.metadata?.deletionTimestamp));
  await custom.patchClusterCustomObject({ ...mlbc, name: 'held', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
  await until('delete seen', () => classes.log.includes('delete held'));
});

test('the API refuses what kube-apiserver refuses in fields the module writes', async () => {
  const bad = async (p: Promise<unknown>, field: RegExp): Promise<void> => {
    const e = await apiError(p);
    assert.equal(e.code, 422, JSON.stringify(e.body));
    assert.match(e.body.message ?? '', field);
  };
  await bad(core.createNamespacedService({ namespace: 'default', body: { ...lbService('Bad_Name') } }), /metadata.name/);
  await bad(core.createNamespacedService({ namespace: 'default', body: { ...lbService('x'), metadata: { name: 'x', labels: { a: 'not valid!' } } } }), /metadata.labels/);
  await bad(core.patchNamespacedServiceStatus({ name: 'web', namespace: 'default', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.300' }] } } } }, mergePatch), /status.loadBalancer.ingress\[0\].ip/);
  await bad(core.patchNamespacedServiceStatus({ name: 'web', namespace: 'default', body: { status: { conditions: [{ type: 'network.deckhouse.io/load-balancer-class', status: 'True', reason: 'bad reason', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] } } }, mergePatch), /status.conditions\[0\].reason/);
  await bad(custom.createClusterCustomObject({ ...mlbc, body: { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', metadata: { name: 'badpool' }, spec: { addressPool: ['192.0.2.1/33'] } } }), /spec.addressPool\[0\]/);
  await bad(core.createNamespacedEvent({ namespace: 'default', body: { metadata: { name: 'e1' }, involvedObject: { kind: 'Service', name: 'web', namespace: 'other' }, reason: 'X', message: 'm' } }), /involvedObject.namespace/);
  await bad(eventsApi.createNamespacedEvent({ namespace: 'default', body: { metadata: { name: 'e2' }, eventTime: new Date(), regarding: { kind: 'Service', name: 'web', namespace: 'default' }, reason: 'IPAllocated', action: 'Allocate', type: 'Normal', reportingInstance: 'x' } as k8s.EventsV1Event }), /reportingController/);
});

test('events.k8s.io/v1 Events are the core/v1 Events under other field names', async () => {
  await eventsApi.createNamespacedEvent({
    namespace: 'default',
    body: {
      metadata: { name: 'web.1' }, eventTime: new Date('2026-01-01T00:00:00Z') as unknown as k8s.V1MicroTime,
      regarding: { kind: 'Service', name: 'web', namespace: 'default' }, reason: 'IPAllocated', note: 'assigned 192.0.2.100',
      action: 'Allocate', type: 'Normal', reportingController: 'network.deckhouse.io/metallb', reportingInstance: 'hooks',
    },
  });
  const list = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=web,reason=IPAllocated' });
  assert.equal(list.items.length, 1);
  assert.equal(list.items[0]!.message, 'assigned 192.0.2.100');
  assert.equal(list.items[0]!.reportingComponent, 'network.deckhouse.io/metallb');
});

test('watches with allowWatchBookmarks get BOOKMARK events carrying the current version', async () => {
  const url = new URL('/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=' + api.store.resourceVersion(), api.url);
  const lines = await new Promise<string[]>((resolve, reject) => {
    const req = request(url, { ca: api.caCertPem, headers: { Authorization: 'Bearer x' } }, (res) => {
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        const got = buf.split('\n').filter((l) => l.includes('BOOKMARK'));
        if (got.length > 0) {
          req.destroy();
          resolve(got);
        }
      });
    });
    req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
    req.end();
  });
  const ev = JSON.parse(lines[0]!) as { type: string; object: { kind: string; metadata: { resourceVersion: string } } };
  assert.equal(ev.object.kind, 'ConfigMap');
  assert.equal(ev.object.metadata.resourceVersion, api.store.resourceVersion());
});

test('while connections are refused, informers report errors; after recovery a restart catches up', async () => {
  const nodes = await track('/api/v1/nodes', () => core.listNode());
  const errorsBefore = nodes.errors.length;
  api.setFaults({ refuseConnections: true });
  await until('the watch reset is reported', () => nodes.errors.length > errorsBefore);
  const e = await apiError(core.readNamespace({ name: 'default' })).catch((err: unknown) => err);
  assert.ok(e instanceof Error, 'a request fails at the connection, not with a Status');
  api.store.create(api.store.type('', 'nodes')!, { metadata: { name: 'node-late' } });
  api.setFaults({ refuseConnections: false });
  await until('add node-late', () => nodes.log.includes('add node-late'));
});

function rawGet(path: string): Promise<{ kind: string; items: { kind?: string; apiVersion?: string }[] }> {
  return new Promise((resolve, reject) => {
    request(new URL(path, api.url), { ca: api.caCertPem }, (res) => {
      let buf = '';
      res.on('data', (d: Buffer) => (buf += d.toString()));
      res.on('end', () => resolve(JSON.parse(buf)));
    }).on('error', reject).end();
  });
}

test('built-in list items carry no kind or apiVersion; custom resource items do', async () => {
  const svcs = await rawGet('/api/v1/services');
  assert.equal(svcs.kind, 'ServiceList');
  assert.ok(svcs.items.length > 0);
  assert.ok(svcs.items.every((i) => i.kind === undefined && i.apiVersion === undefined));
  const classes = await rawGet(`/apis/${mlbc.group}/${mlbc.version}/${mlbc.plural}`);
  assert.ok(classes.items.length > 0);
  assert.ok(classes.items.every((i) => i.kind === 'MetalLoadBalancerClass' && i.apiVersion === 'network.deckhouse.io/v1alpha1'));
});

function rawSend(method: string, path: string, contentType: string, body: string): Promise<{ status: number; body: { reason?: string; message?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, api.url), { method, ca: api.caCertPem, headers: { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let buf = '';
      res.on('data', (d: Buffer) => (buf += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: buf ? JSON.parse(buf) : { message: `empty body, status ${res.statusCode}` } }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a PATCH or DELETE body that is not JSON, or a patch that leaves no object, is a 400 BadRequest, not a 500', async () => {
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'garbled' }, data: { k: 'v' } } });
  const cm = '/api/v1/namespaces/default/configmaps/garbled';
  for (const [method, type, body] of [
    ['PATCH', 'application/merge-patch+json', '{"data":'],
    ['PATCH', 'application/json-patch+json', 'not json'],
    ['DELETE', 'application/json', '{preconditions'],
  ] as const) {
    const r = await rawSend(method, cm, type, body);
    assert.equal(r.status, 400, `${method} ${body}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.reason, 'BadRequest', `${method} ${body}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.message ?? '', /could not be decoded/);
  }
  // Both the plain path and the converted one (events.k8s.io/v1 is a view of core/v1 Events).
  for (const path of [cm, '/apis/events.k8s.io/v1/namespaces/default/events/web.1']) {
    const r = await rawSend('PATCH', path, 'application/merge-patch+json', 'null');
    assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.message ?? '', /did not produce an object/);
  }
  assert.equal((await core.readNamespacedConfigMap({ name: 'garbled', namespace: 'default' })).data?.k, 'v', 'the object is untouched');
});

test('bodies with fields of the wrong type are refused (400/422) and leave the store as it was', async () => {
  const cms = '/api/v1/namespaces/default/configmaps';
  assert.equal((await rawSend('POST', cms, 'application/json', '{"metadata":"x"}')).status, 400);
  assert.equal((await rawSend('POST', '/api/v1/namespaces/default/services', 'application/json', '{"metadata":{"name":"typed"},"spec":"x"}')).status, 422);
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'typed' } } });
  const r = await rawSend('PATCH', `${cms}/typed`, 'application/merge-patch+json', '{"metadata":{"finalizers":"x"}}');
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.match(r.body.message ?? '', /metadata\.finalizers/);
  assert.equal((await core.readNamespacedConfigMap({ name: 'typed', namespace: 'default' })).metadata?.finalizers, undefined);
});
