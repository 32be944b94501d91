// Policy checks on the rendered chart: no privileged container, minimal capabilities, read-only
// root filesystems, least-privilege RBAC. Each check is also run on a broken copy, so a check that
// cannot fail fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { docL2Class, find, moduleValues, renderChart, type KubeObject } from './chart.ts';
import { parseApiRequest, podPolicyViolations, podSpecOf, rbacAllows, rbacViolations, speakerPermissions } from './policy.ts';

const speakerSA = { name: 'metallb-speaker', namespace: 'd8-metallb' };
const narrowed = { '/configmaps': ['speaker-config'] };
const rendered = renderChart(moduleValues({ classes: [docL2Class], bgp: true }));

function broken(mutate: (objects: KubeObject[]) => void): KubeObject[] {
  const copy = structuredClone(rendered);
  mutate(copy);
  return copy;
}

function speakerContainer(objects: KubeObject[]): Record<string, unknown> & { securityContext: Record<string, unknown> } {
  const pod = podSpecOf(find(objects, 'DaemonSet', 'metallb-speaker')) as unknown as { containers: { name: string; securityContext: Record<string, unknown> }[] };
  const c = pod.containers.find((x) => x.name === 'speaker');
  assert.ok(c);
  return c;
}

test('every workload passes the pod policy', () => {
  assert.deepEqual(rendered.flatMap(podPolicyViolations), []);
});

test('the speaker runs with exactly NET_RAW added, everything else dropped, not privileged', () => {
  const sc = speakerContainer(rendered).securityContext as { capabilities: { add: string[]; drop: string[] }; privileged: boolean };
  assert.deepEqual(sc.capabilities, { drop: ['ALL'], add: ['NET_RAW'] });
  assert.equal(sc.privileged, false);
});

const podBreaks: { name: string; mutate: (c: Record<string, unknown> & { securityContext: Record<string, unknown> }) => void; expect: RegExp }[] = [
  { name: 'privileged', mutate: (c) => { c.securityContext.privileged = true; }, expect: /privileged/ },
  { name: 'NET_ADMIN added', mutate: (c) => { c.securityContext.capabilities = { drop: ['ALL'], add: ['NET_RAW', 'NET_ADMIN'] }; }, expect: /adds capability NET_ADMIN/ },
  { name: 'capabilities not dropped', mutate: (c) => { c.securityContext.capabilities = { add: ['NET_RAW'] }; }, expect: /does not drop ALL/ },
  { name: 'writable root filesystem', mutate: (c) => { delete c.securityContext.readOnlyRootFilesystem; }, expect: /writable/ },
  { name: 'privilege escalation', mutate: (c) => { c.securityContext.allowPrivilegeEscalation = true; }, expect: /allowPrivilegeEscalation/ },
];

for (const b of podBreaks) {
  test(`the pod policy catches a speaker container: ${b.name}`, () => {
    const objects = broken((o) => b.mutate(speakerContainer(o)));
    const v = objects.flatMap(podPolicyViolations);
    assert.ok(v.some((x) => b.expect.test(x)), v.join('\n'));
  });
}

test('the pod policy catches a hostPath volume and a root sidecar', () => {
  const objects = broken((o) => {
    const pod = podSpecOf(find(o, 'DaemonSet', 'metallb-speaker')) as unknown as {
      volumes: Record<string, unknown>[]; containers: { name: string; securityContext: Record<string, unknown> }[];
    };
    pod.volumes.push({ name: 'host', hostPath: { path: '/' } });
    const proxy = pod.containers.find((c) => c.name === 'kube-rbac-proxy');
    if (proxy) delete proxy.securityContext.runAsNonRoot;
  });
  const v = objects.flatMap(podPolicyViolations);
  assert.ok(v.some((x) => /hostPath/.test(x)), v.join('\n'));
  assert.ok(v.some((x) => /kube-rbac-proxy: may run as root/.test(x)), v.join('\n'));
});

test('the speaker ServiceAccount holds only the permissions it needs', () => {
  assert.deepEqual(rbacViolations(rendered, speakerSA, speakerPermissions, narrowed), []);
  // and it does hold them: every allowed resource appears in some bound rule
  const roles = rendered.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
    .filter((o) => ['d8:metallb:speaker', 'speaker'].includes(o.metadata.name));
  const granted = new Set(roles.flatMap((r) => (r.rules as { apiGroups: string[]; resources: string[] }[])
    .flatMap((rule) => rule.apiGroups.flatMap((g) => rule.resources.map((res) => `${g}/${res}`)))));
  assert.deepEqual([...granted].sort(), Object.keys(speakerPermissions).sort());
});

const rbacBreaks: { name: string; mutate: (rules: Record<string, unknown>[]) => void; expect: RegExp }[] = [
  { name: 'update on Services', mutate: (r) => { r.push({ apiGroups: [''], resources: ['services/status'], verbs: ['update'] }); }, expect: /services\/status is not allowed/ },
  { name: 'reading Secrets', mutate: (r) => { r.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }); }, expect: /secrets is not allowed/ },
  { name: 'a wildcard verb', mutate: (r) => { (r[0] as { verbs: string[] }).verbs.push('*'); }, expect: /\* \/services/ },
  { name: 'a wildcard resource', mutate: (r) => { r.push({ apiGroups: ['*'], resources: ['*'], verbs: ['get'] }); }, expect: /\*\/\* is not allowed/ },
  { name: 'delete on nodes', mutate: (r) => { r.push({ apiGroups: [''], resources: ['nodes'], verbs: ['delete'] }); }, expect: /delete \/nodes/ },
];

for (const b of rbacBreaks) {
  test(`the RBAC check catches ${b.name}`, () => {
    const objects = broken((o) => b.mutate(find(o, 'ClusterRole', 'd8:metallb:speaker').rules as Record<string, unknown>[]));
    const v = rbacViolations(objects, speakerSA, speakerPermissions, narrowed);
    assert.ok(v.some((x) => b.expect.test(x)), v.join('\n'));
  });
}

test('the RBAC check catches a ConfigMap read not narrowed to its own ConfigMap', () => {
  const objects = broken((o) => {
    for (const r of find(o, 'Role', 'speaker').rules as Record<string, unknown>[]) delete r.resourceNames;
  });
  const v = rbacViolations(objects, speakerSA, speakerPermissions, narrowed);
  assert.ok(v.some((x) => /not narrowed/.test(x)), v.join('\n'));
});

test('the RBAC authorizer reads requests as kube-apiserver does', () => {
  assert.deepEqual(parseApiRequest('GET', '/api/v1/nodes?watch=true&resourceVersion=5'), { kind: 'resource', verb: 'watch', group: '', resource: 'nodes' });
  assert.deepEqual(parseApiRequest('GET', '/api/v1/namespaces/d8-metallb/configmaps?fieldSelector=metadata.name%3Dspeaker-config'),
    { kind: 'resource', verb: 'list', group: '', resource: 'configmaps', namespace: 'd8-metallb', name: 'speaker-config' });
  assert.deepEqual(parseApiRequest('PATCH', '/api/v1/namespaces/default/services/web/status'),
    { kind: 'resource', verb: 'patch', group: '', resource: 'services/status', namespace: 'default', name: 'web' });
  assert.deepEqual(parseApiRequest('GET', '/apis/network.deckhouse.io/v1alpha1/metalloadbalancerclasses'),
    { kind: 'resource', verb: 'list', group: 'network.deckhouse.io', resource: 'metalloadbalancerclasses' });
  assert.deepEqual(parseApiRequest('GET', '/apis/discovery.k8s.io/v1'), { kind: 'nonResource', verb: 'get', path: '/apis/discovery.k8s.io/v1' });
});

const allowed: [string, string, boolean][] = [
  ['GET', '/api/v1/nodes?watch=true', true],
  ['GET', '/api/v1/services', true],
  ['GET', '/apis/discovery.k8s.io/v1/endpointslices?watch=1', true],
  ['GET', '/apis/network.deckhouse.io/v1alpha1/metalloadbalancerclasses', true],
  ['GET', '/api/v1/namespaces/d8-metallb/configmaps?fieldSelector=metadata.name%3Dspeaker-config', true],
  ['GET', '/api/v1/namespaces/d8-metallb/configmaps/speaker-config', true],
  ['POST', '/api/v1/namespaces/default/events', true],
  ['GET', '/api/v1/namespaces/d8-metallb/configmaps', false],
  ['GET', '/api/v1/namespaces/kube-system/configmaps/speaker-config', false],
  ['GET', '/api/v1/namespaces/d8-metallb/secrets/speaker-secrets', false],
  ['PATCH', '/api/v1/namespaces/default/services/web/status', false],
  ['DELETE', '/api/v1/nodes/node1', false],
  ['GET', '/api/v1/pods', false],
];

for (const [method, url, ok] of allowed) {
  test(`the rendered RBAC ${ok ? 'allows' : 'denies'} ${method} ${url}`, () => {
    assert.equal(rbacAllows(rendered, speakerSA, parseApiRequest(method, url)), ok);
  });
}
