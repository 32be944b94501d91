// Migration from settings version 1 (equivalents of migration_auto_generating_l2_mlbc_test.go and
// migration_adopt_old_fashioned_l2_lbs_test.go): the generated class, and no Service changes address.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { legacySettingsOf, migratedClass } from '../../lib/l2/index.ts';
import { Cluster, cls, node, svc } from './helpers.ts';
import type { JsonValue } from '../../lib/json.ts';

const v1 = (settings: { [key: string]: JsonValue }, version?: number): JsonValue => ({ apiVersion: 'deckhouse.io/v1alpha1', kind: 'ModuleConfig', metadata: { name: 'metallb' }, spec: { ...(version ? { version } : {}), enabled: true, settings } });

describe('migration: class from settings version 1', () => {
  it('two layer2 pools become l2-default with both ranges and the speaker node selector', () => {
    const s = legacySettingsOf(v1({
      speaker: { nodeSelector: { 'node-role.deckhouse.io/metallb': '' } },
      addressPools: [
        { name: 'frontend-pool', protocol: 'layer2', addresses: ['192.168.0.100-192.168.0.110'] },
        { name: 'backend-pool', protocol: 'layer2', addresses: ['192.168.1.0/28'] },
      ],
    }, 1));
    assert.ok(s);
    assert.deepEqual(migratedClass(s), {
      apiVersion: 'network.deckhouse.io/v1alpha1',
      kind: 'MetalLoadBalancerClass',
      metadata: { name: 'l2-default', labels: { 'auto-generated-by': 'd8-migration-hook' } },
      spec: { isDefault: true, type: 'L2', addressPool: ['192.168.0.100-192.168.0.110', '192.168.1.0/28'], nodeSelector: { 'node-role.deckhouse.io/metallb': '' } },
    });
  });

  it('a bgp pool suppresses l2-default (as today)', () => {
    const s = legacySettingsOf(v1({ addressPools: [{ name: 'l2', protocol: 'layer2', addresses: ['192.0.2.0/28'] }, { name: 'b', protocol: 'bgp', addresses: ['198.51.100.0/24'] }] }));
    assert.equal(s && migratedClass(s), undefined);
  });

  it('version 2 and later, or no ModuleConfig: nothing to migrate', () => {
    assert.equal(legacySettingsOf(v1({ addressPools: [{ name: 'l2', protocol: 'layer2', addresses: ['192.0.2.0/28'] }] }, 2)), undefined);
    assert.equal(legacySettingsOf(undefined), undefined);
  });
});

describe('migration: Services keep their addresses', () => {
  it('MetalLB-assigned IPs (with or without a layer2 pool annotation) are kept by l2-default', () => {
    const s = legacySettingsOf(v1({ speaker: { nodeSelector: { lb: '' } }, addressPools: [{ name: 'frontend-pool', protocol: 'layer2', addresses: ['192.0.2.100-192.0.2.110'] }] }));
    const generated = s && migratedClass(s);
    assert.ok(generated);
    const c = new Cluster({
      classes: [cls(generated.metadata.name, { isDefault: true, addressPool: generated.spec.addressPool, nodeSelector: generated.spec.nodeSelector })],
      nodes: [node('n1', { lb: '' }), node('n2', { lb: '' })],
      services: [
        svc('plain', { ingress: ['192.0.2.107'] }),
        svc('annotated', { ingress: ['192.0.2.103'], annotations: { 'metallb.universe.tf/address-pool': 'frontend-pool' } }),
        svc('bgp', { ingress: ['198.51.100.7'], annotations: { 'metallb.universe.tf/address-pool': 'bgp-pool' } }),
      ],
    });
    const p = c.run({ settings: { loadBalancerClass: '', bgpPools: ['bgp-pool'] } });
    assert.deepEqual(c.get('plain').ingress, ['192.0.2.107']);
    assert.deepEqual(c.get('annotated').ingress, ['192.0.2.103']);
    assert.equal(c.condition('annotated', 'network.deckhouse.io/load-balancer-class'), 'l2-default');
    assert.deepEqual(c.get('bgp').ingress, ['198.51.100.7'], 'a BGP Service is left to the BGP pools');
    assert.equal(c.condition('bgp', 'network.deckhouse.io/load-balancer-class'), undefined);
    assert.deepEqual(p.deprecatedAnnotations, [{ namespace: 'default', name: 'annotated', annotation: 'metallb.universe.tf/address-pool' }]);
    assert.deepEqual(p.events.filter((e) => e.reason !== 'IPsShareNodes'), [], 'no IPAllocated/IPReleased: nothing moved');
  });
});
