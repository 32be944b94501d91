// Which Services are BGP Services, and from which pool (DESIGN §3, docs/BGP.md "Which Services").
// One rule, applied in the same hook run as the L2 class choice, before it:
//
//  1. Bound already (condition `network.deckhouse.io/load-balancer-class`, reason BGPPoolBound,
//     message = pool): stays a BGP Service while it is a LoadBalancer and BGP pools exist; a default
//     class created later moves nothing. Its pool is kept while it exists, else chosen again (2–5).
//  2. `spec.loadBalancerClass` equals `settings.loadBalancerClass` (and names no
//     MetalLoadBalancerClass): BGP.
//  3. Any other `spec.loadBalancerClass`, a class annotation, or an L2 binding: not BGP (the L2 rule).
//  4. A pool annotation (`metallb.universe.tf/address-pool`, `metallb.io/address-pool`) naming a BGP
//     pool: BGP, that pool. Naming something else: not BGP (a former layer2 pool: L2 migration).
//  5. `settings.loadBalancerClass` empty and no default MetalLoadBalancerClass: BGP, from the pool
//     holding the requested IP, else the pool already holding its IPs, else the first auto-assign
//     pool of the Service's family.
// Everything else is left to the L2 class choice, which never claims a Service this rule claimed.
import { poolContains, poolFamilies, type PoolSpec } from '../ipam/index.ts';
import type { IPAddress, IPFamily } from '../net/index.ts';

/** Reason of the class condition for BGP bindings; its message is the pool name. */
export const BGP_REASON = 'BGPPoolBound';
/** The class condition type (shared with L2). */
export const CLASS_CONDITION = 'network.deckhouse.io/load-balancer-class';
/** The class annotation of L2 (a Service carrying it is never BGP by rule 4/5). */
export const CLASS_ANNOTATION = 'network.deckhouse.io/metal-load-balancer-class';
/** MetalLB annotations that choose a pool. */
export const POOL_ANNOTATIONS = ['metallb.universe.tf/address-pool', 'metallb.io/address-pool'] as const;

/** The Service fields the choice reads. */
export interface BgpServiceView {
  readonly type: string;
  readonly loadBalancerClass: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** What the choice knows beyond the Service. */
export interface BgpChoiceContext {
  /** BGP pools after overlap resolution, in settings order. */
  readonly pools: readonly PoolSpec[];
  /** settings.loadBalancerClass ("" when unset). */
  readonly loadBalancerClass: string;
  /** Names of the MetalLoadBalancerClasses. */
  readonly classNames: ReadonlySet<string>;
  readonly hasDefaultClass: boolean;
  /** The pool our condition binds the Service to (reason BGPPoolBound), from our newest write. */
  readonly boundPool: string | undefined;
  /** Whether the condition binds the Service to an L2 class. */
  readonly boundL2: boolean;
  /** Addresses the Service holds now. */
  readonly held: readonly IPAddress[];
  /** Addresses the Service asks for. */
  readonly pins: readonly IPAddress[];
  /** The Service's first family (pool choice by family). */
  readonly family: IPFamily;
  /** Whether a pool has a free address of the family (estimate); absent: every pool has. */
  readonly hasRoom?: (pool: string, family: IPFamily) => boolean;
}

/** The decision; `undefined` from chooseBgp means "not BGP: ask the L2 rule". */
export type BgpChoice =
  | { readonly type: 'bound'; readonly pool: string; readonly sticky: boolean }
  | { readonly type: 'release'; readonly why: string }
  | { readonly type: 'pending'; readonly problem: string };

/** The pool named by a pool annotation, if any ("" when absent). */
export function annotatedPool(annotations: Readonly<Record<string, string>>): string {
  for (const k of POOL_ANNOTATIONS) {
    const v = annotations[k];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return '';
}

/** Applies the rule above to one Service. */
export function chooseBgp(svc: BgpServiceView, ctx: BgpChoiceContext): BgpChoice | undefined {
  const bound = ctx.boundPool;
  const byName = new Map(ctx.pools.map((p) => [p.name, p]));
  if (svc.type !== 'LoadBalancer') return bound !== undefined ? { type: 'release', why: `the Service is of type ${svc.type} now` } : undefined;
  if (bound !== undefined && ctx.pools.length === 0) return { type: 'release', why: 'no BGP pool is configured any more' };

  const lbc = svc.loadBalancerClass;
  const classMatches = lbc !== '' && lbc === ctx.loadBalancerClass && !ctx.classNames.has(lbc);
  if (lbc !== '' && !classMatches) return bound !== undefined ? { type: 'release', why: `spec.loadBalancerClass ${lbc} is not the BGP class` } : undefined;

  const annotated = annotatedPool(svc.annotations);
  const pick = (sticky: boolean): BgpChoice => {
    if (annotated !== '') {
      if (byName.has(annotated)) return { type: 'bound', pool: annotated, sticky: sticky && bound === annotated };
      return { type: 'pending', problem: `${POOL_ANNOTATIONS[0]}: BGP pool ${JSON.stringify(annotated)} does not exist` };
    }
    const pinned = ctx.pins.find((a) => a.family === ctx.family) ?? ctx.pins[0];
    if (pinned) {
      const p = ctx.pools.find((x) => poolContains(x, pinned));
      if (p) return { type: 'bound', pool: p.name, sticky: sticky && bound === p.name };
    }
    const auto = ctx.pools.filter((p) => p.autoAssign);
    const holding = ctx.held.length > 0 ? ctx.pools.find((p) => ctx.held.every((a) => poolContains(p, a))) : undefined;
    const fits = auto.filter((x) => poolFamilies(x).includes(ctx.family));
    // MetalLB walks the auto-assign pools in order: a full pool passes the Service to the next one.
    const room = ctx.hasRoom;
    const p = holding ?? (room ? fits.find((x) => room(x.name, ctx.family)) : undefined) ?? fits[0] ?? auto[0];
    if (p) return { type: 'bound', pool: p.name, sticky: sticky && bound === p.name };
    if (pinned) return { type: 'pending', problem: `requested IP is in no BGP pool` };
    return { type: 'pending', problem: 'no BGP pool has auto-assign: name one with the metallb.universe.tf/address-pool annotation' };
  };

  if (bound !== undefined) {
    // Sticky: the recorded pool while it exists and the Service holds an address (even if the
    // annotation changes later). Holding nothing (its pool was full), it may move to a pool with room.
    if (byName.has(bound) && ctx.held.length > 0) return { type: 'bound', pool: bound, sticky: true };
    return pick(true);
  }
  if (classMatches) return pick(false);
  if (ctx.boundL2) return undefined;
  const classAnnotation = svc.annotations[CLASS_ANNOTATION];
  if (classAnnotation !== undefined && classAnnotation.trim() !== '') return undefined;
  if (annotated !== '') return byName.has(annotated) ? pick(false) : undefined;
  if (ctx.pools.length > 0 && ctx.loadBalancerClass === '' && !ctx.hasDefaultClass) return pick(false);
  return undefined;
}
