// What one speaker announces over BGP in Kubernetes mode (DESIGN §2.2, docs/BGP.md): from the
// ConfigMap's `bgp` section, this node, the BGP Services (condition reason BGPPoolBound, message =
// pool) and their ready endpoints, the `bgp` part of the desired state (lib/config BgpConfig, the
// static file's shape, so the engine cannot tell the two modes apart). Pure; the adapter reads files
// (passwords) and watches, and hands the results in.
//
// Rules:
// - this node takes part only when it is a BGP speaker: matches the BGP speaker selector (when the
//   ConfigMap carries one) and is not labelled node.kubernetes.io/exclude-from-external-load-balancers;
// - peers: those whose nodeSelector matches this node (absent: every speaker); source address = the
//   peer's `sourceAddress` (valid only for one node, checked by the hooks), else this node's first
//   InternalIP of the peer's family; so the next hop the router sees is this node;
// - router ID: a peer's `routerID`, else this node's first IPv4 InternalIP (else the engine derives one
//   from the node name);
// - a Service is announced with externalTrafficPolicy Cluster when it has a ready endpoint on any
//   node, with Local only when this node has one; without any EndpointSlice every node counts as
//   having endpoints (as the static file's absent endpointNodes);
// - each advertisement of the Service's pool announces prefixOf(ip, aggregationLength[V6]) with its
//   communities and local preference; IPv4 prefixes go to IPv4 peers, IPv6 to IPv6 (the engine).
import { matchesSelector, type LabelSelector } from '../kube/labels.ts';
import { parseDuration } from '../duration.ts';
import type { BgpAdvertisementConfig, BgpConfig, BgpPeerConfig } from '../config/types.ts';
import { formatPrefix, prefixOf, tryParseIP, formatIP, type IPAddress } from '../net/index.ts';
import { EXCLUDE_LABEL } from './settings.ts';

/** A peer as the ConfigMap carries it (templates/speaker/configmap.yaml). */
export interface SharedBgpPeer {
  index: number;
  address: string;
  asn: number;
  myASN: number;
  port?: number;
  holdTime?: string;
  nodeSelector?: LabelSelector;
  ebgpMultihop?: boolean;
  gracefulRestart?: boolean;
  hasPassword?: boolean;
  bfd?: { receiveInterval?: string; transmitInterval?: string; detectMultiplier?: number } | null;
  /** Only for a peer of one node (hooks check); "" or absent = this node's own address. */
  sourceAddress?: string;
  routerID?: string;
}

/** A pool as the ConfigMap carries it. */
export interface SharedBgpPool {
  name: string;
  addresses?: string[];
  advertisements?: { aggregationLength?: number; aggregationLengthV6?: number; localPref?: number | null; communities?: string[]; largeCommunities?: string[] }[];
}

/** The ConfigMap's `bgp` section. */
export interface SharedBgp {
  peers: SharedBgpPeer[];
  pools: SharedBgpPool[];
  /** settings.speaker.nodeSelector; absent: every node running a speaker is a BGP speaker. */
  speakerNodeSelector?: Record<string, string>;
}

/** A BGP Service as the speaker sees it. */
export interface BgpServiceInfo {
  namespace: string;
  name: string;
  pool: string;
  ingressIPs: string[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  /** Nodes with a ready endpoint; undefined when the Service has no EndpointSlice at all. */
  endpointNodes?: string[];
}

/** This node. */
export interface BgpSelf {
  name: string;
  labels: Record<string, string>;
  internalIPs: string[];
}

/** The `bgp` desired state of this node, or undefined when it is no BGP speaker or has no peer. */
export function projectBgp(self: BgpSelf, shared: SharedBgp, services: readonly BgpServiceInfo[], passwords: ReadonlyMap<number, string>): BgpConfig | undefined {
  if (Object.hasOwn(self.labels, EXCLUDE_LABEL)) return undefined;
  if (shared.speakerNodeSelector && !matchesSelector(self.labels, shared.speakerNodeSelector)) return undefined;
  const own = self.internalIPs.map((s) => tryParseIP(s.trim())).filter((a): a is IPAddress => a !== undefined);
  const mine = shared.peers.filter((p) => !p.nodeSelector || matchesSelector(self.labels, p.nodeSelector));
  const peers: BgpPeerConfig[] = [];
  for (const p of mine) {
    const addr = tryParseIP(p.address);
    if (!addr) continue;
    const src = (p.sourceAddress ? tryParseIP(p.sourceAddress) : undefined) ?? own.find((a) => a.family === addr.family);
    const password = p.hasPassword ? passwords.get(p.index) : undefined;
    peers.push({
      address: formatIP(addr),
      asn: p.asn,
      myASN: p.myASN,
      port: p.port ?? 179,
      holdTimeMs: p.holdTime !== undefined ? parseDuration(p.holdTime) : 90_000,
      ...(password ? { password } : {}),
      ...(src ? { sourceAddress: formatIP(src) } : {}),
      ebgpMultihop: p.ebgpMultihop ?? false,
      gtsm: false, // GTSM is a static-config option; the ModuleConfig has no setting for it yet
      gracefulRestart: p.gracefulRestart ?? false,
      ...(p.bfd ? {
        bfd: {
          receiveIntervalMs: parseDuration(p.bfd.receiveInterval ?? '300ms'),
          transmitIntervalMs: parseDuration(p.bfd.transmitInterval ?? '300ms'),
          detectMultiplier: p.bfd.detectMultiplier ?? 3,
        },
      } : {}),
    });
  }
  if (peers.length === 0) return undefined;
  const routerID = mine.map((p) => p.routerID ?? '').find((r) => r !== '' && tryParseIP(r)?.family === 4)
    ?? (own.find((a) => a.family === 4) ? formatIP(own.find((a) => a.family === 4) as IPAddress) : undefined);

  // One advertisement per (pool, advertisement index), holding the prefixes of all its Services.
  const byKey = new Map<string, BgpAdvertisementConfig & { set: Set<string> }>();
  const pools = new Map(shared.pools.map((p) => [p.name, p]));
  const sorted = [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const s of sorted) {
    const pool = pools.get(s.pool);
    if (!pool || !announces(s, self.name)) continue;
    const ips = s.ingressIPs.map((t) => tryParseIP(t)).filter((a): a is IPAddress => a !== undefined);
    (pool.advertisements ?? []).forEach((ad, i) => {
      const key = `${pool.name}#${i}`;
      let entry = byKey.get(key);
      if (!entry) {
        entry = {
          prefixes: [],
          communities: [...(ad.communities ?? [])],
          largeCommunities: [...(ad.largeCommunities ?? [])],
          ...(ad.localPref !== undefined && ad.localPref !== null ? { localPref: ad.localPref } : {}),
          set: new Set(),
        };
        byKey.set(key, entry);
      }
      for (const a of ips) {
        const text = formatPrefix(prefixOf(a, a.family === 4 ? ad.aggregationLength ?? 32 : ad.aggregationLengthV6 ?? 128));
        if (!entry.set.has(text)) { entry.set.add(text); entry.prefixes.push(text); }
      }
    });
  }
  const advertisements = [...byKey.keys()].sort().flatMap((k) => {
    const { set: _set, ...ad } = byKey.get(k) as BgpAdvertisementConfig & { set: Set<string> };
    return ad.prefixes.length > 0 ? [ad] : [];
  });
  return { ...(routerID ? { routerID } : {}), peers, advertisements };
}

/** Whether this node announces the Service (ready endpoints; ETP Local: here). */
export function announces(s: BgpServiceInfo, node: string): boolean {
  if (s.ingressIPs.length === 0) return false;
  if (s.endpointNodes === undefined) return true;
  if (s.externalTrafficPolicy === 'Local') return s.endpointNodes.includes(node);
  return s.endpointNodes.length > 0;
}
