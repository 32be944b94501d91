// Property tests of the whole L2 run over random sequences of Service, class, pool and node changes,
// with runs that see the informer cache one run behind the hooks' own writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseIP } from '../../lib/net/index.ts';
import { resolvePools, poolContains, sharingConflict } from '../../lib/ipam/index.ts';
import { Cluster, cls, node, svc } from './helpers.ts';
import type { ServiceRecord } from '../../lib/l2/index.ts';

type Op =
  | { t: 'add'; name: string; count: number; klass: '' | 'a' | 'b'; key: '' | 'k'; port: number; pin: string }
  | { t: 'remove'; name: string }
  | { t: 'count'; name: string; count: number }
  | { t: 'pool'; klass: 'a' | 'b'; last: number }
  | { t: 'nodes'; eligible: number }
  | { t: 'run'; lag: boolean; again: boolean };

const names = ['s1', 's2', 's3', 's4', 's5'];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('add' as const), name: fc.constantFrom(...names), count: fc.integer({ min: 1, max: 3 }), klass: fc.constantFrom('' as const, 'a' as const, 'b' as const), key: fc.constantFrom('' as const, 'k' as const), port: fc.constantFrom(80, 443), pin: fc.constantFrom('', '', '192.0.2.3', '192.0.2.9') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('remove' as const), name: fc.constantFrom(...names) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('count' as const), name: fc.constantFrom(...names), count: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pool' as const), klass: fc.constantFrom('a' as const, 'b' as const), last: fc.integer({ min: 2, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('nodes' as const), eligible: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('run' as const), lag: fc.boolean(), again: fc.boolean() }) },
);

function boundClass(s: ServiceRecord): string | undefined {
  return s.conditions.find((c) => c.type === 'network.deckhouse.io/load-balancer-class')?.message;
}

function checkNoDuplicates(c: Cluster): void {
  const holders = new Map<string, ServiceRecord[]>();
  for (const s of c.services) for (const ip of s.ingress) holders.set(ip, [...(holders.get(ip) ?? []), s]);
  for (const [ip, hs] of holders) {
    for (let i = 0; i < hs.length; i++) {
      for (let j = i + 1; j < hs.length; j++) {
        const x = hs[i] as ServiceRecord;
        const y = hs[j] as ServiceRecord;
        const share = (s: ServiceRecord) => ({ key: s.annotations['network.deckhouse.io/load-balancer-shared-ip-key'] ?? '', ports: s.ports.map((p) => `${p.protocol}/${p.port}`), backendKey: '' });
        assert.equal(sharingConflict(share(x), share(y)), undefined, `${ip} held by ${x.name} and ${y.name}`);
        assert.equal(boundClass(x), boundClass(y), `${ip} shared within one class`);
      }
    }
  }
}

function checkInsidePools(c: Cluster): void {
  const pools = new Map(resolvePools([...c.classes].sort((x, y) => (x.creationTimestamp < y.creationTimestamp ? -1 : 1)).map((k) => ({ name: k.name, addresses: k.addressPool }))).map((p) => [p.spec.name, p.spec]));
  for (const s of c.services) {
    const k = boundClass(s);
    for (const ip of s.ingress) {
      const p = k ? pools.get(k) : undefined;
      assert.ok(p && poolContains(p, parseIP(ip)), `${s.name}: ${ip} inside pool of class ${k}`);
    }
  }
}

test('random changes with a lagging informer: no duplicate, inside pools, no flips, idempotent', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 20 }), (ops) => {
      const lb = { lb: '' };
      const c = new Cluster({
        classes: [
          cls('a', { isDefault: true, addressPool: ['192.0.2.0-192.0.2.8'], nodeSelector: lb }),
          cls('b', { creationTimestamp: '2025-02-01T00:00:00Z', addressPool: ['192.0.2.6-192.0.2.12'] }),
        ],
        nodes: [node('n1', lb), node('n2', lb), node('n3', lb)],
      });
      let t = 0;
      // Services (or "class:<name>") changed since the last run: their IPs may move in the next run.
      const dirty = new Map<string, number>();
      const touch = (k: string) => dirty.set(k, 1);
      for (const op of ops) {
        if (op.t === 'add') {
          const annotations: Record<string, string> = {};
          if (op.key) annotations['network.deckhouse.io/load-balancer-shared-ip-key'] = op.key;
          if (op.pin) annotations['network.deckhouse.io/load-balancer-ips'] = op.pin;
          const old = c.services.find((s) => s.name === op.name);
          c.put(svc(op.name, { ...(old ? { uid: old.uid, ingress: old.ingress, conditions: old.conditions, creationTimestamp: old.creationTimestamp } : { creationTimestamp: `2026-01-01T00:00:${String(t++).padStart(2, '0')}Z` }), loadBalancerClass: op.klass, count: op.count, annotations, ports: [{ port: op.port, protocol: 'TCP' }] }));
          touch(op.name);
          // An edited older sharer may win a shared IP its partners held.
          if (old && (op.key || old.annotations['network.deckhouse.io/load-balancer-shared-ip-key'])) touch('sharers');
        } else if (op.t === 'remove') {
          c.services = c.services.filter((s) => s.name !== op.name);
        } else if (op.t === 'count') {
          if (c.services.some((s) => s.name === op.name)) {
            c.edit(op.name, (s) => ({ ...s, annotations: { ...s.annotations, 'network.deckhouse.io/l2-load-balancer-external-ips-count': String(op.count) } }));
            touch(op.name);
          }
        } else if (op.t === 'pool') {
          const base = op.klass === 'a' ? 0 : 6;
          c.editClass(op.klass, (k) => ({ ...k, addressPool: [`192.0.2.${base}-192.0.2.${base + op.last}`] }));
          touch(`class:a`);
          touch(`class:b`);
        } else if (op.t === 'nodes') {
          c.nodes = ['n1', 'n2', 'n3'].map((n, i) => node(n, i < op.eligible ? lb : {}));
        } else {
          const before = new Map(c.services.map((s) => [s.name, [...s.ingress]]));
          c.run({ lag: op.lag });
          checkNoDuplicates(c);
          for (const s of c.services) {
            const was = before.get(s.name) ?? [];
            const k = boundClass(s);
            if (dirty.has(s.name) || dirty.has('sharers') || (k && dirty.has(`class:${k}`))) continue;
            for (const ip of was) assert.ok(s.ingress.includes(ip), `${s.name} keeps ${ip} (had ${was.join(',')}, has ${s.ingress.join(',')})`);
          }
          for (const [k, n] of [...dirty]) {
            if (n <= 1) dirty.delete(k);
            else dirty.set(k, n - 1);
          }
          if (!op.lag) checkInsidePools(c);
          // A second run right away would also clear the lag of the next run: only some runs check it.
          if (!op.lag && op.again) {
            const again = c.run();
            assert.deepEqual(again.serviceWrites, [], 'a second run writes no Service');
            assert.deepEqual(again.classWrites, [], 'a second run writes no class');
            assert.deepEqual(again.events, [], 'a second run emits no Event');
          }
        }
      }
    }),
    { numRuns: 400 },
  );
});
