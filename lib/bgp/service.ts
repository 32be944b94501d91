// A BGP Service inside the shared allocation run (lib/l2/plan.ts): BGP pools resolved after the
// classes (an address a MetalLoadBalancerClass has is not handed out by an overlapping BGP pool:
// classes own contested addresses, like an older class over a newer one), and one Service's
// choice plus allocation request.
import { backendKey } from '../ipam/sharing.ts';
import { poolContains, poolFamilies, poolSize, resolvePools, type AllocationRequest, type PoolDefinition, type PoolSpec, type ResolvedPool } from '../ipam/index.ts';
import { tryParseIP, type IPAddress, type IPFamily } from '../net/index.ts';
import { readBgpWish } from './annotations.ts';
import { serviceFamilies } from '../l2/annotations.ts';
import type { ServiceRecord } from '../l2/types.ts';
import { BGP_REASON, CLASS_CONDITION, chooseBgp, type BgpChoice } from './choice.ts';

/** Allocator pool names of BGP pools: `bgp:<name>` (class names cannot hold a colon). */
export const bgpPoolId = (name: string): string => `bgp:${name}`;

/** A BGP pool after resolution, with its user-facing name. */
export interface ResolvedBgpPool {
  readonly name: string;
  /** The allocator's pool (name = bgpPoolId(name)). */
  readonly spec: PoolSpec;
  /** Class names or BGP pools (`bgp:<name>`) that own part of its addresses. */
  readonly overlapsWith: readonly string[];
  readonly invalidEntries: readonly string[];
}

/** Resolves BGP pools (settings order) after the class pools (given in class precedence order). */
export function resolveBgpPools(classPools: readonly PoolDefinition[], bgpPools: readonly PoolDefinition[]): ResolvedBgpPool[] {
  const all: ResolvedPool[] = resolvePools([...classPools, ...bgpPools.map((p) => ({ ...p, name: bgpPoolId(p.name) }))]);
  return all.slice(classPools.length).map((r, i) => ({
    name: (bgpPools[i] as PoolDefinition).name,
    spec: r.spec,
    overlapsWith: r.overlapsWith,
    invalidEntries: r.invalidEntries,
  }));
}

/** The Service fields this needs: a part of the L2 record (the same Service, one run). */
export type BgpServiceRecord = Pick<ServiceRecord,
  'namespace' | 'name' | 'type' | 'loadBalancerClass' | 'annotations' | 'ipFamilies' | 'ipFamilyPolicy' |
  'loadBalancerIP' | 'externalTrafficPolicy' | 'selector' | 'ports'>;

/** What the shared run knows about BGP. */
export interface BgpRunContext {
  readonly pools: readonly ResolvedBgpPool[];
  readonly loadBalancerClass: string;
  readonly classNames: ReadonlySet<string>;
  readonly hasDefaultClass: boolean;
  /** Addresses in use per `<pool>/<family>` (bgpPoolUsage), updated as Services are prepared in order. */
  readonly usage?: Map<string, bigint>;
}

/**
 * Distinct addresses the Services hold in each BGP pool, per family: the estimate behind passing a
 * new Service on from a full auto-assign pool to the next one.
 */
export function bgpPoolUsage(pools: readonly ResolvedBgpPool[], services: readonly { readonly ingress: readonly string[] }[]): Map<string, bigint> {
  const seen = new Set<string>();
  const usage = new Map<string, bigint>();
  if (pools.length === 0) return usage; // no BGP pool: no address to parse and count
  for (const s of services) {
    for (const t of s.ingress) {
      const a = tryParseIP(t);
      if (!a || seen.has(t)) continue;
      seen.add(t);
      const p = pools.find((x) => poolContains(x.spec, a));
      if (p) usage.set(`${p.name}/${a.family}`, (usage.get(`${p.name}/${a.family}`) ?? 0n) + 1n);
    }
  }
  return usage;
}

/** The outcome for one Service: undefined when it is not a BGP Service. */
export interface BgpPrepared {
  readonly choice: BgpChoice;
  readonly request: AllocationRequest | undefined;
  readonly warnings: readonly string[];
}

/**
 * Decides whether `svc` is a BGP Service and builds its request. `conditions` and `held` are the
 * effective status (the hook's newest write or the snapshot); `held` is its ingress parsed once by
 * the caller, which needs it for the L2 rule too.
 */
export function prepareBgp(
  svc: BgpServiceRecord,
  ctx: BgpRunContext,
  conditions: readonly { type: string; reason: string; message: string }[],
  held: readonly IPAddress[],
): BgpPrepared | undefined {
  const cond = conditions.find((c) => c.type === CLASS_CONDITION);
  const wish = readBgpWish(svc);
  const asked = svc.ipFamilies[0] === 'IPv6' ? 6 : 4;
  const choice = chooseBgp(svc, {
    pools: ctx.pools.map((p) => ({ ...p.spec, name: p.name })),
    loadBalancerClass: ctx.loadBalancerClass,
    classNames: ctx.classNames,
    hasDefaultClass: ctx.hasDefaultClass,
    boundPool: cond?.reason === BGP_REASON ? cond.message : undefined,
    boundL2: cond !== undefined && cond.reason !== BGP_REASON,
    held,
    pins: wish.pins,
    family: asked,
    ...(ctx.usage ? { hasRoom: (name: string, family: IPFamily) => {
      const p = ctx.pools.find((x) => x.name === name);
      return p !== undefined && (ctx.usage?.get(`${name}/${family}`) ?? 0n) < poolSize(p.spec, family);
    } } : {}),
  });
  if (!choice) return undefined;
  if (choice.type !== 'bound') return { choice, request: undefined, warnings: choice.type === 'pending' ? [choice.problem, ...wish.problems] : [] };
  const pool = ctx.pools.find((p) => p.name === choice.pool) as ResolvedBgpPool;
  const request: AllocationRequest = {
    id: `${svc.namespace}/${svc.name}`,
    pool: pool.spec.name,
    families: serviceFamilies(svc, poolFamilies(pool.spec)),
    count: 1,
    current: held,
    pins: wish.pins,
    sharing: { key: wish.sharingKey, ports: svc.ports.map((p) => `${p.protocol || 'TCP'}/${p.port}`), backendKey: backendKey(svc.externalTrafficPolicy, svc.selector) },
    blockNew: undefined,
  };
  if (ctx.usage) {
    // New addresses this Service will take count against the pool for the Services after it.
    for (const f of request.families) {
      if (held.some((a) => a.family === f && poolContains(pool.spec, a))) continue;
      const k = `${pool.name}/${f}`;
      ctx.usage.set(k, (ctx.usage.get(k) ?? 0n) + 1n);
    }
  }
  return { choice, request, warnings: wish.problems };
}
