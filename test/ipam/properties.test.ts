// Property tests of the allocator over random sequences of Service and pool changes. Each step feeds
// the previous step's addresses back as the Services' current addresses (as status would).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allocate, poolContains, resolvePools, sharingConflict, type AllocationRequest, type PoolSpec, type SharingInfo } from '../../lib/ipam/index.ts';
import { formatIP, parseIP, type IPAddress } from '../../lib/net/index.ts';

interface Spec {
  pool: string;
  count: number;
  dual: boolean;
  pins: string[];
  key: string;
  ports: string[];
}

type Op =
  | { t: 'upsert'; id: string; spec: Spec }
  | { t: 'remove'; id: string }
  | { t: 'pool'; name: string; last: number };

const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
const pools = ['p1', 'p2'];

const specArb: fc.Arbitrary<Spec> = fc.record({
  pool: fc.constantFrom(...pools),
  count: fc.integer({ min: 0, max: 4 }),
  dual: fc.boolean(),
  pins: fc.array(fc.constantFrom('192.0.2.1', '192.0.2.2', '192.0.2.17', '2001:db8::3', '10.0.0.1'), { maxLength: 2 }),
  key: fc.constantFrom('', '', 'k1', 'k2'),
  ports: fc.subarray(['TCP/80', 'TCP/443', 'UDP/53']),
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('upsert' as const), id: fc.constantFrom(...ids), spec: specArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('remove' as const), id: fc.constantFrom(...ids) }) },
  // p1 is 192.0.2.0-192.0.2.<last>, p2 is 192.0.2.16-192.0.2.<16+last>: they overlap, and shrink/grow.
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pool' as const), name: fc.constantFrom(...pools), last: fc.integer({ min: 1, max: 24 }) }) },
);

function poolSpecs(lasts: Record<string, number>): PoolSpec[] {
  return resolvePools([
    { name: 'p1', addresses: [`192.0.2.0-192.0.2.${lasts.p1}`, `2001:db8::-2001:db8::${lasts.p1}`] },
    { name: 'p2', addresses: [`192.0.2.16-192.0.2.${16 + (lasts.p2 ?? 0)}`] },
  ]).map((r) => r.spec);
}

function request(id: string, s: Spec, current: IPAddress[]): AllocationRequest {
  const sharing: SharingInfo = { key: s.key, ports: s.ports, backendKey: '' };
  return { id, pool: s.pool, families: s.dual ? [4, 6] : [4], count: s.count, current, pins: s.pins.map(parseIP), sharing };
}

function check(specs: PoolSpec[], reqs: AllocationRequest[]) {
  const result = allocate(specs, reqs);
  const holders = new Map<string, AllocationRequest[]>();
  for (const r of reqs) {
    const res = result.results.get(r.id);
    assert.ok(res, `result for ${r.id}`);
    const p = specs.find((x) => x.name === r.pool) as PoolSpec;
    const mine = new Set<string>();
    for (const s of res.slots) {
      if (!s.ip) continue;
      const text = formatIP(s.ip);
      assert.ok(poolContains(p, s.ip), `${text} of ${r.id} is inside pool ${r.pool}`);
      assert.ok(!mine.has(text), `${r.id} holds ${text} once`);
      mine.add(text);
      holders.set(text, [...(holders.get(text) ?? []), r]);
    }
  }
  for (const [text, hs] of holders) {
    for (let i = 0; i < hs.length; i++) {
      for (let j = i + 1; j < hs.length; j++) {
        const x = hs[i] as AllocationRequest;
        const y = hs[j] as AllocationRequest;
        assert.equal(sharingConflict(x.sharing, y.sharing), undefined, `${text} shared by ${x.id} and ${y.id} legitimately`);
        assert.equal(x.pool, y.pool);
      }
    }
  }
  return result;
}

test('random change sequences: no duplicates, inside pools, stable, idempotent', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => {
      const lasts: Record<string, number> = { p1: 20, p2: 8 };
      const specs = new Map<string, Spec>();
      let current = new Map<string, IPAddress[]>();
      for (const op of ops) {
        const changed = new Set<string>();
        let poolChanged = '';
        if (op.t === 'upsert') {
          specs.set(op.id, op.spec);
          changed.add(op.id);
        } else if (op.t === 'remove') {
          specs.delete(op.id);
          current.delete(op.id);
        } else {
          lasts[op.name] = op.last;
          poolChanged = op.name;
        }
        const pspecs = poolSpecs(lasts);
        const reqs = [...specs].map(([id, s]) => request(id, s, current.get(id) ?? []));
        const result = check(pspecs, reqs);
        // An address moves only when its Service, its pool or a Service sharing it changed.
        const coHolders = new Map<string, string[]>();
        for (const [id, list] of current) for (const a of list) coHolders.set(formatIP(a), [...(coHolders.get(formatIP(a)) ?? []), id]);
        for (const r of reqs) {
          if (changed.has(r.id) || r.pool === poolChanged || (poolChanged && r.pool === 'p2')) continue;
          const now = (result.results.get(r.id)?.slots ?? []).filter((s) => s.ip).map((s) => formatIP(s.ip as IPAddress));
          for (const before of r.current.map(formatIP)) {
            if ((coHolders.get(before) ?? []).some((id) => changed.has(id))) continue;
            assert.ok(now.includes(before), `${r.id} keeps ${before}`);
          }
        }
        const next = new Map<string, IPAddress[]>();
        for (const r of reqs) next.set(r.id, (result.results.get(r.id)?.slots ?? []).filter((s) => s.ip).map((s) => s.ip as IPAddress).sort((x, y) => x.family - y.family));
        // A second run on the same state changes nothing.
        const again = allocate(pspecs, [...specs].map(([id, s]) => request(id, s, next.get(id) ?? [])));
        for (const [id, res] of again.results) {
          assert.deepEqual(res.allocated, [], `${id}: nothing new on the second run`);
          assert.deepEqual(res.released, [], `${id}: nothing released on the second run`);
        }
        current = next;
      }
    }),
    { numRuns: 300 },
  );
});
