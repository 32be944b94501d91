// Which class serves a Service (DESIGN §3), sticky through the condition
// `network.deckhouse.io/load-balancer-class` (reason LoadBalancerClassBound, message = class).
//
// Differences from today's module (deckhouse-metallb.md §5.2), on purpose:
// - a Service whose spec.loadBalancerClass names neither one of our classes nor
//   settings.loadBalancerClass belongs to another controller and is left alone;
// - a Service that stops being ours (type changed, class of another controller, its class gone)
//   is released: status.loadBalancer cleared, our conditions removed, IPs freed;
// - an annotation naming a class that does not exist leaves the Service unbound (reported) instead of
//   binding it to the default class for good;
// - a MetalLB pool annotation makes a Service a BGP Service only when it names a BGP pool.
import type { ClassSet } from './classes.ts';
import { Annotations, BGP_POOL_ANNOTATIONS, ServiceConditions, type L2Settings, type ServiceRecord } from './types.ts';

/** Reason of the class condition for L2 bindings. */
export const BOUND_REASON = 'LoadBalancerClassBound';

/** The decision for one Service. */
export type ClassChoice =
  /** Served by `className`; `sticky` when the condition already named it. */
  | { readonly type: 'bound'; readonly className: string; readonly sticky: boolean }
  /** Was ours, is not any more: clear what we wrote. */
  | { readonly type: 'release'; readonly why: string }
  /** Not ours; nothing to do. */
  | { readonly type: 'ignore' }
  /** Would be ours but cannot be bound yet; `problem` is reported (InvalidAnnotation). */
  | { readonly type: 'pending'; readonly problem: string };

/** The class our condition binds the Service to, or undefined. */
export function boundClassOf(svc: ServiceRecord): string | undefined {
  const c = svc.conditions.find((x) => x.type === ServiceConditions.class);
  return c && c.reason === BOUND_REASON ? c.message : undefined;
}

/**
 * Decides the class of one Service. `bound` is the class our condition names (boundClassOf), given
 * by the caller when it knows a newer value than the snapshot's (its own recent write).
 */
export function chooseClass(svc: ServiceRecord, classes: ClassSet, settings: L2Settings, bound: string | undefined = boundClassOf(svc)): ClassChoice {
  const leave = (why: string): ClassChoice => (bound !== undefined ? { type: 'release', why } : { type: 'ignore' });
  if (svc.type !== 'LoadBalancer') return leave(`the Service is of type ${svc.type} now`);

  const usable = (name: string) => {
    const c = classes.byName.get(name);
    // A class being deleted keeps the Services bound to it, and takes no new ones.
    return c !== undefined && (!c.deleting || bound === name);
  };

  if (svc.loadBalancerClass !== '') {
    if (classes.byName.has(svc.loadBalancerClass)) {
      if (usable(svc.loadBalancerClass)) return { type: 'bound', className: svc.loadBalancerClass, sticky: bound === svc.loadBalancerClass };
      return { type: 'pending', problem: `spec.loadBalancerClass: class ${svc.loadBalancerClass} is being deleted` };
    }
    if (bound === svc.loadBalancerClass) return { type: 'release', why: `class ${bound} no longer exists` };
    const owner = svc.loadBalancerClass === settings.loadBalancerClass ? 'the BGP pools' : 'another controller';
    return leave(`spec.loadBalancerClass ${svc.loadBalancerClass} belongs to ${owner}`);
  }
  if (bound !== undefined) {
    if (classes.byName.has(bound)) return { type: 'bound', className: bound, sticky: true };
    return { type: 'release', why: `class ${bound} no longer exists` };
  }
  const annotated = svc.annotations[Annotations.className];
  if (annotated !== undefined && annotated.trim() !== '') {
    const name = annotated.trim();
    if (usable(name)) return { type: 'bound', className: name, sticky: false };
    return { type: 'pending', problem: `${Annotations.className}: class ${JSON.stringify(name)} ${classes.byName.has(name) ? 'is being deleted' : 'does not exist'}` };
  }
  const names = (k: string) => svc.annotations[k] !== undefined && (settings.bgpPools === undefined || settings.bgpPools.includes((svc.annotations[k] as string).trim()));
  if (BGP_POOL_ANNOTATIONS.some(names)) return { type: 'ignore' };
  if (classes.defaultClass !== undefined) return { type: 'bound', className: classes.defaultClass, sticky: false };
  return { type: 'ignore' };
}
