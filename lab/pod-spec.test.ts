import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { daemonSetNodes, expandVars, podLaunch, PodSpecError, schedulesOn, type SchedNode } from './pod-spec.ts';
import { renderModule } from './helm.ts';
import { loadScenario, type KubeObject } from './scenario.ts';
import { repoRoot } from '../test/support/tools.ts';

const scenario = loadScenario(join(repoRoot, 'lab/scenarios/l2-demo.yaml'));
const nodes: SchedNode[] = scenario.nodes.map((n) => ({ name: n.name, labels: n.labels, address: n.address }));
const key = Buffer.alloc(32, 9).toString('base64');
const lbTerm = { matchExpressions: [{ key: 'node-role.kubernetes.io/loadbalancer', operator: 'In', values: [''] }] };

function ds(spec: object): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'x', namespace: 'ns' }, spec: { template: { spec } } };
}

describe('lab pod spec: scheduling', () => {
  const n = (labels: Record<string, string>): SchedNode => ({ name: 'n1', labels, address: '192.0.2.11' });
  it('an affinity term without requirements matches no node, as in Kubernetes', () => {
    assert.equal(schedulesOn({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }, n({})), false);
  });
  it('terms are ORed and their expressions ANDed', () => {
    const spec = { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchExpressions: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'DoesNotExist' }] },
      { matchExpressions: [{ key: 'rank', operator: 'Gt', values: ['3'] }] },
    ] } } } };
    assert.equal(schedulesOn(spec, n({ a: '' })), true);
    assert.equal(schedulesOn(spec, n({ a: '', b: '' })), false);
    assert.equal(schedulesOn(spec, n({ rank: '4' })), true);
    assert.equal(schedulesOn(spec, n({ rank: '3' })), false);
  });
  it('nodeSelector labels must all match', () => {
    assert.equal(schedulesOn({ nodeSelector: { a: 'x' } }, n({ a: 'y' })), false);
  });
});

describe('lab pod spec: launch', () => {
  it('expands $(VAR) from earlier env and keeps $$ as $', () => {
    assert.equal(expandVars('--node=$(NODE) $$(NODE) $(UNSET)', { NODE: 'node1' }), '--node=node1 $(NODE) $(UNSET)');
  });
  it('refuses a pod whose Secret volume has no Secret, as the kubelet would not start it', () => {
    const d = ds({ containers: [{ name: 'c', command: ['x'], volumeMounts: [{ name: 's', mountPath: '/s' }] }], volumes: [{ name: 's', secret: { secretName: 'gone' } }] });
    assert.throws(() => podLaunch(d, nodes[0]!, { configMaps: [], secrets: [] }), PodSpecError);
  });
});

describe('lab pod spec: the chart rendered by real helm for the documentation example', async () => {
  const objects = await renderModule({ internal: {
    membership: { key },
    l2: { classes: [{ name: 'ingress', interfaces: [], nodeSelector: { 'node-role.kubernetes.io/loadbalancer': '' } }] },
    bgp: { peers: [], pools: [] },
    speaker: { nodeSelectorTerms: [lbTerm] },
  } });
  const daemonSet = objects.find((o) => o.kind === 'DaemonSet');
  const sources = { configMaps: objects.filter((o) => o.kind === 'ConfigMap'), secrets: objects.filter((o) => o.kind === 'Secret') };

  it('runs the speaker on the three load-balancer nodes only', () => {
    assert.ok(daemonSet, 'DaemonSet rendered');
    assert.deepEqual(daemonSetNodes(daemonSet, nodes), ['node1', 'node2', 'node3']);
  });
  it('gives node1 its name, the ConfigMap file and the membership key file', () => {
    const launch = podLaunch(daemonSet!, nodes[0]!, sources, 'speaker');
    assert.equal(launch.env.NODE_NAME, 'node1');
    assert.ok(launch.argv.length > 0);
    const files = Object.fromEntries(launch.mounts.flatMap((m) => m.files.map((f) => [`${m.mountPath}/${f.path}`, f])));
    assert.equal(files['/etc/metallb/secrets/membership-key']?.content.toString(), key);
    assert.match(files['/etc/metallb/config/config.yaml']?.content.toString() ?? '', /membership/);
  });
});
