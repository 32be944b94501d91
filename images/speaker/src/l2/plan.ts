// From the desired state and the live set to "which IPs this node announces, on which
// interfaces" (DESIGN §4 placement + §5 minority rule). Pure: the controller calls it on every
// change of either input.
import { availableNodes, orderEligible, placeService } from '../../../../lib/placement/index.ts';
import type { DesiredL2 } from '../state.ts';
import { hasQuorum } from '../membership/view.ts';

/** One IP this node must answer for. */
export interface Announcement {
  ip: string;
  /** `<namespace>/<name>` of the first Service listing the IP. */
  service: string;
  class: string;
  /** Interfaces of the class; undefined = the default selection. */
  interfaces?: string[];
}

/** Where every IP went, as this node sees it (for metrics and AnnouncingNodeChanged Events). */
export interface PlacedIp {
  ip: string;
  service: string;
  node: string | undefined;
}

/** Result of `planL2`. */
export interface L2Plan {
  announce: Announcement[];
  placed: PlacedIp[];
  /** Per class: whether this node is in the majority (answers at all). */
  quorum: Map<string, boolean>;
}

/** Computes this node's announcements. `isLive` comes from membership (self is always live). */
export function planL2(self: string, l2: DesiredL2, isLive: (node: string) => boolean): L2Plan {
  const classes = new Map(l2.classes.map((c) => [c.name, c]));
  const ordered = new Map(l2.classes.map((c) => [c.name, orderEligible(c.name, c.eligible)]));
  const quorum = new Map(l2.classes.map((c) => [c.name, hasQuorum(self, c.eligible, (n) => n === self || isLive(n))]));
  const unavailable = new Set(l2.networkUnavailable);
  const facts = (n: string): { live: boolean; networkUnavailable: boolean } => ({ live: n === self || isLive(n), networkUnavailable: unavailable.has(n) });
  const announce: Announcement[] = [];
  const placed: PlacedIp[] = [];
  const seen = new Set<string>();
  for (const svc of l2.services) {
    const cls = classes.get(svc.class);
    if (!cls) continue;
    const key = `${svc.namespace}/${svc.name}`;
    const available = availableNodes(cls.eligible, facts, {
      externalTrafficPolicy: svc.externalTrafficPolicy,
      ...(svc.endpointNodes ? { endpointNodes: new Set(svc.endpointNodes) } : {}),
    });
    const result = placeService({ className: cls.name, eligible: cls.eligible, ordered: ordered.get(cls.name) ?? [], available, serviceKey: svc.placementKey, ips: svc.ips });
    for (const p of result) {
      placed.push({ ip: p.ip, service: key, node: p.node });
      // A shared IP appears in several Services with the same placement key; answer it once.
      if (p.node !== self || seen.has(p.ip) || !quorum.get(cls.name)) continue;
      seen.add(p.ip);
      announce.push({ ip: p.ip, service: key, class: cls.name, ...(cls.interfaces && cls.interfaces.length > 0 ? { interfaces: cls.interfaces } : {}) });
    }
  }
  return { announce, placed, quorum };
}
