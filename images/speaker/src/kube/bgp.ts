// BGP in Kubernetes mode (DESIGN §2.2): the adapter's informer caches and the mounted Secret turned
// into the `bgp` part of the desired state through lib/bgp/routes.ts (the rules live there). Files
// and API objects are read here; everything else is pure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { projectBgp, type BgpServiceInfo, type SharedBgp } from '../../../../lib/bgp/routes.ts';
import { BGP_REASON, CLASS_CONDITION } from '../../../../lib/bgp/choice.ts';
import type { BgpConfig } from '../../../../lib/config/index.ts';

/** The `bgp` section of the ConfigMap's config.yaml; undefined when absent or unreadable. */
export function sharedBgpOf(configYaml: string | undefined): SharedBgp | undefined {
  if (configYaml === undefined) return undefined;
  const doc = yaml.load(configYaml) as { bgp?: Partial<SharedBgp> } | null;
  const b = doc?.bgp;
  if (!b) return undefined;
  return {
    peers: Array.isArray(b.peers) ? b.peers : [],
    pools: Array.isArray(b.pools) ? b.pools : [],
    ...(b.speakerNodeSelector ? { speakerNodeSelector: b.speakerNodeSelector } : {}),
  };
}

/** `bgp-password-<i>` files of the peers that have one; a missing file leaves the peer without (logged by the caller). */
export function readBgpPasswords(dir: string, shared: SharedBgp): { passwords: Map<number, string>; missing: number[] } {
  const passwords = new Map<number, string>();
  const missing: number[] = [];
  for (const p of shared.peers) {
    if (!p.hasPassword) continue;
    try {
      passwords.set(p.index, readFileSync(join(dir, `bgp-password-${p.index}`), 'utf8'));
    } catch {
      missing.push(p.index);
    }
  }
  return { passwords, missing };
}

/** BGP Services (bound by the hooks: reason BGPPoolBound, message = pool) with their ready endpoint nodes. */
export function bgpServicesOf(services: readonly V1Service[], slices: readonly V1EndpointSlice[]): BgpServiceInfo[] {
  const ready = new Map<string, Set<string>>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const key = `${s.metadata?.namespace ?? 'default'}/${svc}`;
    const set = ready.get(key) ?? new Set<string>();
    for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false && e.nodeName) set.add(e.nodeName);
    ready.set(key, set);
  }
  return services.flatMap((s) => {
    if (s.spec?.type !== 'LoadBalancer') return [];
    const conds = (s.status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined)?.conditions ?? [];
    const c = conds.find((x) => x.type === CLASS_CONDITION && x.status === 'True' && x.reason === BGP_REASON);
    if (!c?.message) return [];
    const namespace = s.metadata?.namespace ?? 'default';
    const name = s.metadata?.name ?? '';
    const nodes = ready.get(`${namespace}/${name}`);
    return [{
      namespace, name, pool: c.message,
      ingressIPs: (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
      externalTrafficPolicy: s.spec.externalTrafficPolicy === 'Local' ? 'Local' as const : 'Cluster' as const,
      ...(nodes ? { endpointNodes: [...nodes].sort() } : {}),
    }];
  });
}

/** This node's `bgp` desired state, or undefined (no bgp section, not a BGP speaker, no peer). */
export function kubeBgp(args: { node: string; nodes: readonly V1Node[]; configYaml: string | undefined; services: readonly V1Service[]; slices: readonly V1EndpointSlice[]; passwords: (shared: SharedBgp) => Map<number, string> }): BgpConfig | undefined {
  const shared = sharedBgpOf(args.configYaml);
  if (!shared || shared.peers.length === 0) return undefined;
  const self = args.nodes.find((n) => n.metadata?.name === args.node);
  if (!self) return undefined;
  return projectBgp({
    name: args.node,
    labels: self.metadata?.labels ?? {},
    internalIPs: (self.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address),
  }, shared, bgpServicesOf(args.services, args.slices), args.passwords(shared));
}
