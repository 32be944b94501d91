// The l2-migration hook through the addon-operator imitation: a settings-version-1 ModuleConfig with
// `layer2` pools gets the class l2-default, and the Services MetalLB served keep their addresses.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../../hooks/lib/types.ts';
import { AddonOperator, clusterFromYaml, ensureHooksExecutable } from '../support/addon-operator/index.ts';
import type { KubeObject, ObjectStore } from '../../lab/kube-api/store.ts';

const V1 = `
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {node-role.deckhouse.io/metallb: ""}}
---
apiVersion: v1
kind: Node
metadata: {name: n2, labels: {node-role.deckhouse.io/metallb: ""}}
---
apiVersion: deckhouse.io/v1alpha1
kind: ModuleConfig
metadata: {name: metallb}
spec:
  version: 1
  enabled: true
  settings:
    speaker: {nodeSelector: {node-role.deckhouse.io/metallb: ""}}
    addressPools:
      - {name: frontend-pool, protocol: layer2, addresses: [192.0.2.100-192.0.2.110]}
      - {name: backend-pool, protocol: layer2, addresses: [192.0.2.200/29]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, annotations: {metallb.universe.tf/address-pool: backend-pool}}
spec: {type: LoadBalancer, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: default}
spec: {type: LoadBalancer, ports: [{port: 443}]}
`;

function ingress(store: ObjectStore, name: string): string[] {
  const s = store.get(store.resolve('Service', '')!, 'default', name);
  return ((s.status as { loadBalancer?: { ingress?: { ip: string }[] } } | undefined)?.loadBalancer?.ingress ?? []).map((i) => i.ip);
}

describe('l2-migration through addon-operator', () => {
  const operators: AddonOperator[] = [];
  afterEach(() => { for (const op of operators.splice(0)) op.dispose(); });

  it('settings v1 layer2 pools become l2-default and no Service changes its address', async () => {
    const store = clusterFromYaml(V1);
    const svc = store.resolve('Service', '')!;
    // The addresses MetalLB gave before the upgrade.
    store.patch(svc, 'default', 'web', 'merge', { status: { loadBalancer: { ingress: [{ ip: '192.0.2.203' }] } } }, 'status');
    store.patch(svc, 'default', 'api', 'merge', { status: { loadBalancer: { ingress: [{ ip: '192.0.2.105' }] } } }, 'status');
    // What the hooks see after the 1 -> 2 conversion: no layer2 pools.
    const op = await AddonOperator.start({ store, executable: ensureHooksExecutable(), configValues: { addressPools: [] } as JsonObject });
    operators.push(op);
    const cls = store.get(store.resolve('MetalLoadBalancerClass', 'network.deckhouse.io')!, undefined, 'l2-default') as KubeObject & { spec: JsonObject };
    assert.deepEqual(cls.spec.addressPool, ['192.0.2.100-192.0.2.110', '192.0.2.200/29']);
    assert.deepEqual(cls.spec.nodeSelector, { 'node-role.deckhouse.io/metallb': '' });
    assert.equal(cls.spec.isDefault, true);
    assert.deepEqual(ingress(store, 'web'), ['192.0.2.203']);
    assert.deepEqual(ingress(store, 'api'), ['192.0.2.105']);
    const m = op.metrics().map((s) => `${s.name}${JSON.stringify(s.labels ?? {})}`);
    assert.ok(m.includes('d8_metallb_update_mc_version_required{}'), m.join('\n'));
    assert.ok(m.some((x) => x.startsWith('d8_metallb_not_supported_service_annotations_detected') && x.includes('"annotation":"metallb.universe.tf/address-pool"') && x.includes('"name":"web"')), m.join('\n'));
    const l2Runs = op.runs.filter((r) => r.hook === 'l2-migration' && r.kubeOperations.length > 0);
    assert.equal(l2Runs.length, 1, 'the class is written once');
  });
});
