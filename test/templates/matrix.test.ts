// The chart rendered by the real helm over a values matrix (nothing, L2 only, BGP only, both,
// many classes), checked as objects: what is rendered, shapes, affinity, labels, the speaker's
// ConfigMap and Secret against the contract of docs/DEVELOPMENT.md and DESIGN §2.2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { docL2Class, find, globalValues, lintChart, membershipKey, moduleValues, renderChart, type Fixture, type KubeObject } from './chart.ts';
import { nodeMatchesAffinity, podSpecOf, type NodeSelectorTerm } from './policy.ts';

const manyClasses = Array.from({ length: 24 }, (_, i) => ({
  name: `class-${String(i).padStart(2, '0')}`,
  interfaces: i % 2 ? ['eth0'] : [],
  nodeSelector: { 'example.com/lb-group': `g${i}` },
}));

const matrix: { name: string; fixture: Fixture; terms: number }[] = [
  { name: 'L2 only: the documentation example class', fixture: { classes: [docL2Class] }, terms: 1 },
  { name: 'BGP only: peers, a pool, settings.speaker.nodeSelector', fixture: { bgp: true }, terms: 1 },
  { name: 'L2 and BGP together', fixture: { classes: [docL2Class], bgp: true }, terms: 2 },
  { name: 'many classes', fixture: { classes: manyClasses }, terms: 24 },
];

const speakerKinds = ['DaemonSet', 'ConfigMap', 'Secret', 'ServiceAccount', 'PodDisruptionBudget', 'PodMonitor', 'SecurityPolicyException'];

function daemonSetTerms(objects: KubeObject[]): NodeSelectorTerm[] {
  const pod = podSpecOf(find(objects, 'DaemonSet', 'metallb-speaker')) as {
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: NodeSelectorTerm[] } } };
  };
  return pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
}

function speakerConfig(objects: KubeObject[]): Record<string, unknown> {
  const cm = find(objects, 'ConfigMap', 'speaker-config') as KubeObject & { data: Record<string, string> };
  return yaml.load(cm.data['config.yaml'] as string) as Record<string, unknown>;
}

function secretFiles(objects: KubeObject[]): Record<string, string> {
  const s = find(objects, 'Secret', 'speaker-secrets') as KubeObject & { data: Record<string, string> };
  return Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

test('nothing to announce renders no speaker at all, with or without internal values', () => {
  for (const values of [
    { global: globalValues(), metallb: {} },
    { global: globalValues() },
    moduleValues({}),
  ]) {
    const objects = renderChart(values);
    // Alert rules stay: without speaker pods their series are absent and nothing fires.
    const speakerObjects = objects.filter((o) => o.kind !== 'PrometheusRule' &&
      (speakerKinds.includes(o.kind) || o.metadata.name.includes('speaker')));
    assert.deepEqual(speakerObjects.map((o) => `${o.kind}/${o.metadata.name}`), []);
    // What stays: the namespace and the roles users get for the classes.
    find(objects, 'Namespace', 'd8-metallb');
    find(objects, 'ClusterRole', 'd8:user-authz:metallb:user');
    find(objects, 'ClusterRole', 'd8:manage:permission:module:metallb:view');
  }
});

for (const row of matrix) {
  test(`${row.name}: speaker objects, affinity and labels`, () => {
    const values = moduleValues(row.fixture);
    const objects = renderChart(values);
    for (const kind of speakerKinds) assert.ok(objects.some((o) => o.kind === kind), `${kind} rendered`);

    const terms = daemonSetTerms(objects);
    assert.equal(terms.length, row.terms);
    const internal = values.metallb.internal as { speaker: { nodeSelectorTerms: NodeSelectorTerm[] } };
    assert.deepEqual(terms, internal.speaker.nodeSelectorTerms, 'terms are rendered as the hooks computed them');

    assert.match(lintChart(values), /0 chart\(s\) failed/);

    for (const o of objects) {
      assert.equal(o.metadata.labels?.heritage, 'deckhouse', `${o.kind}/${o.metadata.name} heritage`);
      assert.equal(o.metadata.labels?.module, 'metallb', `${o.kind}/${o.metadata.name} module`);
      if (o.metadata.namespace !== undefined) {
        const expected = ['PodMonitor', 'PrometheusRule'].includes(o.kind) ? 'd8-monitoring' : 'd8-metallb';
        assert.equal(o.metadata.namespace, expected, `${o.kind}/${o.metadata.name} namespace`);
      }
    }
  });
}

test('the DaemonSet: hostNetwork, one node at a time, probes, downward API, mounts (DESIGN §2.2)', () => {
  const ds = find(renderChart(moduleValues({ classes: [docL2Class], bgp: true })), 'DaemonSet', 'metallb-speaker') as KubeObject & {
    spec: {
      selector: { matchLabels: Record<string, string> };
      updateStrategy: { type: string; rollingUpdate: { maxUnavailable: number } };
      template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
    };
  };
  const pod = ds.spec.template.spec as {
    hostNetwork: boolean; priorityClassName: string; terminationGracePeriodSeconds: number; serviceAccountName: string;
    tolerations: { operator: string }[];
    containers: {
      name: string; image: string;
      env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
      ports?: { containerPort: number; protocol: string }[];
      livenessProbe: { httpGet: { host?: string; port: number; path: string; scheme?: string } };
      readinessProbe: { httpGet: { host?: string; port: number; path: string; scheme?: string } };
      volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
    }[];
    volumes: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[];
  };
  for (const [k, v] of Object.entries(ds.spec.selector.matchLabels)) assert.equal(ds.spec.template.metadata.labels[k], v);
  assert.equal(pod.hostNetwork, true);
  assert.equal(pod.priorityClassName, 'system-node-critical');
  assert.equal(pod.serviceAccountName, 'metallb-speaker');
  assert.equal(ds.spec.updateStrategy.type, 'RollingUpdate');
  assert.equal(ds.spec.updateStrategy.rollingUpdate.maxUnavailable, 1);
  assert.ok(pod.terminationGracePeriodSeconds >= 10, 'room for the graceful handover');
  assert.ok(pod.tolerations.some((t) => t.operator === 'Exists'), 'taints never keep it off a selected node');

  const speaker = pod.containers.find((c) => c.name === 'speaker');
  assert.ok(speaker);
  assert.equal(speaker.image, `registry.example.com/deckhouse/modules@sha256:${'1'.repeat(64)}`);
  assert.deepEqual(speaker.env.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName');
  assert.deepEqual(speaker.livenessProbe.httpGet, { host: '127.0.0.1', port: 4231, path: '/healthz' });
  assert.deepEqual(speaker.readinessProbe.httpGet, { host: '127.0.0.1', port: 4231, path: '/readyz' });
  assert.deepEqual(speaker.ports, [{ name: 'membership', containerPort: 4230, protocol: 'UDP' }]);
  const secretMount = speaker.volumeMounts?.find((m) => m.mountPath === '/etc/metallb/secrets');
  assert.equal(secretMount?.readOnly, true);
  const secretVolume = pod.volumes.find((v) => v.name === secretMount?.name)?.secret as { secretName: string; defaultMode: number } | undefined;
  assert.equal(secretVolume?.secretName, 'speaker-secrets');
  assert.equal(secretVolume?.defaultMode, 0o400, 'secret files readable by their owner only');

  const proxy = pod.containers.find((c) => c.name === 'kube-rbac-proxy');
  assert.ok(proxy);
  assert.deepEqual(proxy.ports?.map((p) => p.containerPort), [4232]);
  const cfg = (proxy.env.find((e) => e.name === 'KUBE_RBAC_PROXY_CONFIG') as { value: string } | undefined)?.value ?? '';
  const upstreams = (yaml.load(cfg) as { upstreams: { upstream: string; authorization: { resourceAttributes: Record<string, string> } }[] }).upstreams;
  assert.equal(upstreams[0]?.upstream, 'http://127.0.0.1:4231/metrics');
  assert.equal(upstreams[0]?.authorization.resourceAttributes.name, 'metallb-speaker');
});

test('the documentation L2 example selects exactly the nodes labelled node-role.kubernetes.io/loadbalancer; its BGP example adds node-role.deckhouse.io/metallb', () => {
  const nodes: Record<string, Record<string, string>> = {
    lb1: { 'node-role.kubernetes.io/loadbalancer': '', 'kubernetes.io/hostname': 'lb1' },
    lb2: { 'node-role.kubernetes.io/loadbalancer': '', 'node-role.kubernetes.io/worker': '', 'kubernetes.io/hostname': 'lb2' },
    worker: { 'node-role.kubernetes.io/worker': '', 'kubernetes.io/hostname': 'worker' },
    bgp: { 'node-role.deckhouse.io/metallb': '', 'kubernetes.io/hostname': 'bgp' },
    master: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/hostname': 'master' },
  };
  const selected = (terms: NodeSelectorTerm[]): string[] =>
    Object.keys(nodes).filter((n) => nodeMatchesAffinity(nodes[n] as Record<string, string>, terms)).sort();

  assert.deepEqual(selected(daemonSetTerms(renderChart(moduleValues({ classes: [docL2Class] })))), ['lb1', 'lb2']);
  assert.deepEqual(selected(daemonSetTerms(renderChart(moduleValues({ classes: [docL2Class], bgp: true })))), ['bgp', 'lb1', 'lb2']);
  // A class with an empty nodeSelector means every node; Kubernetes reads an empty term as none.
  const all = selected(daemonSetTerms(renderChart(moduleValues({ classes: [{ name: 'all', nodeSelector: {} }] }))));
  assert.deepEqual(all, Object.keys(nodes).sort());
});

test('the speaker ConfigMap carries the shared config of the contract and never a password', () => {
  const objects = renderChart(moduleValues({ classes: [docL2Class], bgp: true }));
  assert.deepEqual(speakerConfig(objects), {
    version: 1,
    membership: { port: 4230, interval: '50ms', multiplier: 6 },
    l2: { interfaces: [] },
    bgp: {
      peers: [
        { index: 0, address: '172.18.18.10', asn: 64601, myASN: 4200000001, port: 179, holdTime: '3s', ebgpMultihop: false, gracefulRestart: false, hasPassword: true },
        {
          index: 1, address: '172.18.18.11', asn: 64601, myASN: 4200000001, port: 179, ebgpMultihop: true, gracefulRestart: true, hasPassword: false,
          nodeSelector: { matchLabels: { 'bgp-rack': 'a' }, matchExpressions: [] },
          bfd: { receiveInterval: '300ms', transmitInterval: '300ms', detectMultiplier: 3 },
        },
      ],
      pools: [{
        name: 'mypool',
        addresses: ['192.168.219.100-192.168.219.200'],
        advertisements: [{ aggregationLength: 32, aggregationLengthV6: 128, localPref: 100, communities: ['65535:65282'], largeCommunities: ['4200000001:1:2'] }],
      }],
      speakerNodeSelector: { 'node-role.deckhouse.io/metallb': '' },
    },
  });
  const text = JSON.stringify(objects.filter((o) => o.kind !== 'Secret'));
  assert.ok(!text.includes('md5-Secret!'), 'the BGP password appears in no object but the Secret');
  assert.ok(!text.includes(membershipKey), 'the membership key appears in no object but the Secret');
});

test('the speaker Secret: membership key, previous key during a change, bgp-password-<i> by settings index', () => {
  const values = moduleValues({ classes: [docL2Class], bgp: true });
  assert.deepEqual(secretFiles(renderChart(values)), { 'membership-key': membershipKey, 'bgp-password-0': 'md5-Secret!' });

  const internal = values.metallb.internal as { membership: Record<string, string> };
  internal.membership.previousKey = 'b2xkLWtleQ==';
  const peers = values.metallb.bgpPeers as Record<string, unknown>[];
  (peers[1] as Record<string, unknown>).password = 'second';
  assert.deepEqual(secretFiles(renderChart(values)), {
    'membership-key': membershipKey,
    'membership-key-previous': 'b2xkLWtleQ==',
    'bgp-password-0': 'md5-Secret!',
    'bgp-password-1': 'second',
  });
});

test('optional Deckhouse modules: no PodMonitor, rules, dashboards or exception without their CRDs', () => {
  const objects = renderChart(moduleValues({ classes: [docL2Class], enabledModules: [] }));
  const kinds = new Set(objects.map((o) => o.kind));
  for (const k of ['PodMonitor', 'PrometheusRule', 'GrafanaDashboardDefinition', 'SecurityPolicyException']) assert.ok(!kinds.has(k), k);
  assert.ok(!objects.some((o) => o.kind === 'RoleBinding' && o.metadata.name.startsWith('access-to-metallb')), 'no binding for an absent Prometheus');
  find(objects, 'DaemonSet', 'metallb-speaker');
});

test('selectors agree: PDB, PodMonitor and the security policy exception find the speaker pods', () => {
  const objects = renderChart(moduleValues({ classes: [docL2Class] }));
  const ds = find(objects, 'DaemonSet', 'metallb-speaker') as KubeObject & { spec: { template: { metadata: { labels: Record<string, string> } } } };
  const podLabels = ds.spec.template.metadata.labels;
  const pdb = find(objects, 'PodDisruptionBudget', 'metallb-speaker') as KubeObject & { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } };
  const pm = find(objects, 'PodMonitor', 'metallb-speaker') as KubeObject & { spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] } } };
  for (const sel of [pdb.spec.selector.matchLabels, pm.spec.selector.matchLabels]) {
    for (const [k, v] of Object.entries(sel)) assert.equal(podLabels[k], v);
  }
  assert.deepEqual(pm.spec.namespaceSelector.matchNames, ['d8-metallb']);
  assert.equal(pdb.spec.maxUnavailable, 1);
  const spe = find(objects, 'SecurityPolicyException', 'metallb-speaker');
  assert.equal(podLabels['security.deckhouse.io/security-policy-exception'], spe.metadata.name);
});

test('the fixtures are values the module schema accepts (openapi/config-values.yaml + values.yaml)', async () => {
  const { Ajv } = await import('ajv');
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { repoRoot } = await import('../support/tools.ts');
  type Schema = { properties: Record<string, unknown>; [k: string]: unknown };
  const load = (f: string): Schema => yaml.load(readFileSync(join(repoRoot, 'openapi', f), 'utf8')) as Schema;
  const config = load('config-values.yaml');
  const values = load('values.yaml');
  const schema = { ...config, properties: { ...config.properties, ...values.properties } };
  // Defaults filled in as addon-operator does before validating.
  const validate = new Ajv({ strict: false, allErrors: true, useDefaults: true, validateFormats: false }).compile(schema);
  for (const f of [{}, { classes: [docL2Class] }, { bgp: true }, { classes: [docL2Class, ...manyClasses], bgp: true }]) {
    const v = moduleValues(f).metallb;
    assert.ok(validate(v), JSON.stringify(validate.errors, null, 1));
  }
});
