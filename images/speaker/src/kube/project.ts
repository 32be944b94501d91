// From Kubernetes objects to the speaker's desired state (DESIGN §2.2). Pure: the adapter hands
// in the informers' caches, already projected to the few fields used, and this builds the value.
import { matchesSelector } from '../../../../lib/kube/labels.ts';
import { tryParseIP, formatIP } from '../../../../lib/net/index.ts';
import type { DesiredState } from '../state.ts';

/** Label that takes a node out of every class (DESIGN §4). */
export const EXCLUDE_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';
/** Sticky class binding written by the hooks (DESIGN §3); its message is the class name. */
export const CLASS_CONDITION = 'network.deckhouse.io/load-balancer-class';
export const SHARED_IP_ANNOTATION = 'network.deckhouse.io/load-balancer-shared-ip-key';

/** The fields of a Node the speaker uses. */
export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  /** InternalIP addresses, in the Node's order. */
  internalIPs: string[];
  networkUnavailable: boolean;
}

/** The fields of a MetalLoadBalancerClass the speaker uses. */
export interface ClassInfo {
  name: string;
  type: string;
  nodeSelector: Record<string, string>;
  interfaces: string[];
}

/** The fields of a Service the speaker uses. */
export interface ServiceInfo {
  namespace: string;
  name: string;
  boundClass?: string;
  ingressIPs: string[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  sharingKey?: string;
}

/** The fields of an EndpointSlice the speaker uses. */
export interface SliceInfo {
  namespace: string;
  service: string;
  /** Nodes of endpoints that are ready (a missing `ready` counts as ready). */
  readyNodes: string[];
}

/** The shared part of the speaker ConfigMap (config.yaml), already parsed. */
export interface SharedConfig {
  membership: { port: number; intervalMs: number; multiplier: number };
  defaultInterfaces: string[];
}

/** Everything the projection needs. */
export interface KubeView {
  node: string;
  keys: Buffer[];
  shared: SharedConfig;
  nodes: NodeInfo[];
  classes: ClassInfo[];
  services: ServiceInfo[];
  slices: SliceInfo[];
}

/** A node's membership address: its first IPv4 InternalIP, else its first IPv6 one. */
export function nodeAddress(n: NodeInfo): string | undefined {
  const ips = n.internalIPs.map((s) => tryParseIP(s)).filter((a) => a !== undefined);
  const a = ips.find((x) => x.family === 4) ?? ips[0];
  return a ? formatIP(a) : undefined;
}

/** Builds the desired state; undefined while this node's own Node object is not known yet. */
export function projectDesired(v: KubeView): DesiredState | undefined {
  const self = v.nodes.find((n) => n.name === v.node);
  const selfAddr = self && nodeAddress(self);
  if (!self || !selfAddr) return undefined;
  const classes = v.classes.filter((c) => c.type === 'L2').map((c) => ({
    name: c.name,
    eligible: v.nodes.filter((n) => matchesSelector(n.labels, c.nodeSelector) && n.labels[EXCLUDE_LABEL] === undefined).map((n) => n.name).sort(),
    interfaces: c.interfaces.length > 0 ? c.interfaces : v.shared.defaultInterfaces,
  })).filter((c) => c.eligible.includes(v.node)).sort((a, b) => a.name.localeCompare(b.name));
  const mine = new Set(classes.map((c) => c.name));
  const peerNames = new Set(classes.flatMap((c) => c.eligible));
  peerNames.delete(v.node);
  const peers = v.nodes.filter((n) => peerNames.has(n.name)).flatMap((n) => {
    const address = nodeAddress(n);
    return address ? [{ node: n.name, address }] : [];
  });
  const services = v.services.flatMap((s) => {
    if (!s.boundClass || !mine.has(s.boundClass)) return [];
    const ips = s.ingressIPs.flatMap((ip) => { const a = tryParseIP(ip); return a ? [formatIP(a)] : []; });
    if (ips.length === 0) return [];
    const slices = v.slices.filter((x) => x.namespace === s.namespace && x.service === s.name);
    return [{
      namespace: s.namespace, name: s.name, class: s.boundClass,
      placementKey: s.sharingKey ?? `${s.namespace}/${s.name}`,
      ips, externalTrafficPolicy: s.externalTrafficPolicy,
      // No slice at all: treated as "every node has endpoints" (as the static file's absent list).
      ...(slices.length > 0 ? { endpointNodes: [...new Set(slices.flatMap((x) => x.readyNodes))].sort() } : {}),
    }];
  }).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return {
    node: v.node,
    membership: { address: selfAddr, ...v.shared.membership, keys: v.keys, peers },
    l2: { classes, services, networkUnavailable: v.nodes.filter((n) => n.networkUnavailable).map((n) => n.name) },
  };
}
