// Equivalents of today's module hook tests (reference deckhouse-metallb.md §13), adjusted where this
// module fixes a bug (each such row says so). Node names and classes are the ones of those tests.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { placeService } from '../../lib/placement/index.ts';
import { Cluster, cls, node, svc } from './helpers.ts';

const CLASS = 'network.deckhouse.io/load-balancer-class';
const ASSIGNED = 'AllPublicIPsAssigned';
const old = (type: string, message: string) => ({ type, status: 'True' as const, reason: 'x', message, lastTransitionTime: '2025-01-01T00:00:00Z' });

describe('discovery_l2_load_balancers_test.go', () => {
  it('an empty cluster runs and writes nothing', () => {
    const p = new Cluster({}).run();
    assert.deepEqual([p.serviceWrites, p.classWrites, p.events], [[], [], []]);
    assert.deepEqual(p.values, { classes: [], nodeSelectorTerms: [] });
  });

  it('3 Services, 2 classes, 3 nodes: explicit class with shared key, default class, dangling binding released', () => {
    const c = new Cluster({
      classes: [
        cls('default_mlbc', { isDefault: true, nodeSelector: { 'node-role.kubernetes.io/frontend': '' }, addressPool: ['10.0.0.0/29'] }),
        cls('config_mlbc', { nodeSelector: { 'node-role.kubernetes.io/edge': '' }, addressPool: ['10.0.1.0/29'] }),
      ],
      nodes: [
        node('frontend-1', { 'node-role.kubernetes.io/frontend': '' }),
        node('frontend-2', { 'node-role.kubernetes.io/frontend': '', 'node-role.kubernetes.io/edge': '' }),
        node('frontend-3', { 'node-role.kubernetes.io/edge': '' }),
      ],
      services: [
        // Bug fix: today this Service is skipped and keeps a stale status; here it is released.
        svc('serv_status_class', { ingress: ['10.0.9.9'], conditions: [old(CLASS, 'status_mlbc')].map((x) => ({ ...x, reason: 'LoadBalancerClassBound' })) }),
        svc('serv_config_class', { loadBalancerClass: 'config_mlbc', count: 2, annotations: { 'network.deckhouse.io/load-balancer-shared-ip-key': '6.6.6.6' }, conditions: [old(ASSIGNED, 'stale')] }),
        svc('serv_no_class', { count: 2, conditions: [old(ASSIGNED, 'stale')] }),
      ],
    });
    c.run();
    assert.deepEqual(c.get('serv_status_class').ingress, []);
    assert.deepEqual(c.get('serv_status_class').conditions, []);
    assert.deepEqual(c.get('serv_config_class').ingress, ['10.0.1.0', '10.0.1.1']);
    assert.equal(c.condition('serv_config_class', CLASS), 'config_mlbc');
    assert.deepEqual(c.get('serv_no_class').ingress, ['10.0.0.0', '10.0.0.1']);
    assert.equal(c.condition('serv_no_class', CLASS), 'default_mlbc');
    assert.equal(c.condition('serv_no_class', ASSIGNED), '2 of 2 public IPs were assigned', 'our condition replaces the stale one');
    const placed = placeService({ className: 'config_mlbc', eligible: ['frontend-2', 'frontend-3'], available: new Set(['frontend-2', 'frontend-3']), serviceKey: '6.6.6.6', ips: c.get('serv_config_class').ingress });
    assert.deepEqual(new Set(placed.map((x) => x.preferred)), new Set(['frontend-2', 'frontend-3']), 'two IPs on the two edge nodes');
  });

  it('a minimal Service (only ports) gets one IP from the default class', () => {
    const c = new Cluster({ classes: [cls('default', { isDefault: true })], nodes: [node('frontend-1')], services: [svc('minimal', { selector: {}, ports: [{ port: 7474, protocol: 'TCP' }], ipFamilies: [], ipFamilyPolicy: '' })] });
    c.run();
    assert.deepEqual(c.get('minimal').ingress, ['192.168.2.100']);
  });

  it('migration: pinned IPs fill their indexes, the rest is automatic; the class annotation binds a non-default class', () => {
    const c = new Cluster({
      classes: [cls('default', { isDefault: true, addressPool: ['3.3.3.0/24'] }), cls('migrate_mlbc', { addressPool: ['1.1.1.0/24', '2.2.2.0/24'] })],
      nodes: [node('frontend-1'), node('frontend-2')],
      services: [
        svc('one-pin', { count: 2, annotations: { 'network.deckhouse.io/load-balancer-ips': '3.3.3.3' } }),
        svc('two-pins', { count: 2, annotations: { 'network.deckhouse.io/load-balancer-ips': '1.1.1.1,2.2.2.2', 'network.deckhouse.io/metal-load-balancer-class': 'migrate_mlbc' } }),
      ],
    });
    c.run();
    assert.deepEqual(c.get('one-pin').ingress, ['3.3.3.3', '3.3.3.0']);
    assert.deepEqual(c.get('two-pins').ingress, ['1.1.1.1', '2.2.2.2']);
    assert.equal(c.condition('two-pins', CLASS), 'migrate_mlbc');
  });
});

describe('update_service_status_test.go', () => {
  it('2 IPs of 2: "2 of 2", AllIPsAssigned, True; the class condition first', () => {
    const c = new Cluster({ classes: [cls('a', { isDefault: true })], nodes: [node('n1'), node('n2')], services: [svc('s', { count: 2 })] });
    c.run();
    const conds = c.get('s').conditions;
    assert.deepEqual(conds.map((x) => [x.type, x.status, x.reason, x.message]), [
      [CLASS, 'True', 'LoadBalancerClassBound', 'a'],
      [ASSIGNED, 'True', 'AllIPsAssigned', '2 of 2 public IPs were assigned'],
    ]);
  });

  it('2 IPs of 3: "2 of 3", NotAllIPsAssigned, False', () => {
    const c = new Cluster({ classes: [cls('a', { isDefault: true, addressPool: ['10.0.0.1-10.0.0.2'] })], nodes: [node('n1'), node('n2'), node('n3')], services: [svc('s', { count: 3 })] });
    c.run();
    const a = c.get('s').conditions.find((x) => x.type === ASSIGNED);
    assert.deepEqual([a?.status, a?.reason, a?.message], ['False', 'NotAllIPsAssigned', '2 of 3 public IPs were assigned']);
  });
});

describe('node_membership_handler_test.go', () => {
  it('the speaker runs on the nodes of the class selector (affinity in values instead of a node label)', () => {
    const p = new Cluster({ classes: [cls('a', { nodeSelector: { 'node-role.kubernetes.io/frontend': '' } })], nodes: [node('frontend-3'), node('frontend-4', { 'node-role.kubernetes.io/frontend': '' })] }).run();
    assert.deepEqual(p.values.nodeSelectorTerms, [{ matchExpressions: [{ key: 'node-role.kubernetes.io/frontend', operator: 'In', values: [''] }] }]);
  });
});

describe('alert_for_annotations_and_mc_test.go', () => {
  it('a deprecated MetalLB annotation on an L2 Service is listed; on a BGP Service it is not', () => {
    const p = new Cluster({
      classes: [cls('a', { isDefault: true })],
      nodes: [node('n1')],
      services: [
        svc('nginx1', { namespace: 'nginx1-ns', annotations: { 'metallb.universe.tf/allow-shared-ip': 'k' } }),
        svc('bgp', { annotations: { 'metallb.universe.tf/address-pool': 'p' } }),
      ],
    }).run();
    assert.deepEqual(p.deprecatedAnnotations, [{ namespace: 'nginx1-ns', name: 'nginx1', annotation: 'metallb.universe.tf/allow-shared-ip' }]);
  });
});
