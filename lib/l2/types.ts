// Records the L2 control plane works on (projected from API objects at the hook's edge, with absent
// lists already turned into empty ones) and the names of the user-facing contract (DESIGN §3).

/** Annotation and condition names of the user contract. */
export const Annotations = {
  ipsCount: 'network.deckhouse.io/l2-load-balancer-external-ips-count',
  className: 'network.deckhouse.io/metal-load-balancer-class',
  pinnedIPs: 'network.deckhouse.io/load-balancer-ips',
  sharedIPKey: 'network.deckhouse.io/load-balancer-shared-ip-key',
} as const;

/** MetalLB annotations that choose a BGP pool (a Service carrying one is a BGP Service). */
export const BGP_POOL_ANNOTATIONS = ['metallb.universe.tf/address-pool', 'metallb.io/address-pool'] as const;

/** MetalLB annotations that L2 Services must not use (still valid on BGP Services). */
export const DEPRECATED_L2_ANNOTATIONS = [
  'metallb.universe.tf/ip-allocated-from-pool',
  'metallb.universe.tf/address-pool',
  'metallb.universe.tf/loadBalancerIPs',
  'metallb.universe.tf/allow-shared-ip',
  'metallb.io/ip-allocated-from-pool',
  'metallb.io/address-pool',
  'metallb.io/loadBalancerIPs',
  'metallb.io/allow-shared-ip',
] as const;

/** Service condition types. */
export const ServiceConditions = {
  class: 'network.deckhouse.io/load-balancer-class',
  assigned: 'AllPublicIPsAssigned',
} as const;

/** Class condition types. */
export const ClassConditions = {
  poolOverlap: 'PoolOverlap',
  defaultConflict: 'DefaultConflict',
  noMatchingNodes: 'NoMatchingNodes',
  inUse: 'InUse',
  invalidAddressPool: 'InvalidAddressPool',
} as const;

/** Finalizer held on a class while Services are bound to it. */
export const CLASS_FINALIZER = 'network.deckhouse.io/metal-load-balancer-class-in-use';

/** Nodes with this label never announce (Kubernetes well-known label). */
export const EXCLUDE_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/** Highest valid value of the IP count annotation. */
export const MAX_IPS_PER_FAMILY = 256;

/** metav1.Condition as written to status. */
export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

/** A Service as the L2 control plane sees it. */
export interface ServiceRecord {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly creationTimestamp: string;
  readonly type: string;
  /** spec.loadBalancerClass; "" when absent. */
  readonly loadBalancerClass: string;
  /** Only the annotations the module reads (network.deckhouse.io/*, metallb.*). */
  readonly annotations: Readonly<Record<string, string>>;
  /** spec.ipFamilies as the API spells them (IPv4, IPv6). */
  readonly ipFamilies: readonly string[];
  /** spec.ipFamilyPolicy; "" when absent. */
  readonly ipFamilyPolicy: string;
  /** spec.loadBalancerIP; "" when absent. */
  readonly loadBalancerIP: string;
  readonly externalTrafficPolicy: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly { readonly port: number; readonly protocol: string }[];
  /** status.loadBalancer.ingress[].ip in order (hostnames dropped). */
  readonly ingress: readonly string[];
  readonly conditions: readonly Condition[];
}

/** A MetalLoadBalancerClass as the L2 control plane sees it. */
export interface ClassRecord {
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly generation: number;
  readonly creationTimestamp: string;
  /** "" unless the class is being deleted. */
  readonly deletionTimestamp: string;
  readonly finalizers: readonly string[];
  readonly isDefault: boolean;
  readonly interfaces: readonly string[];
  readonly addressPool: readonly string[];
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** The class status as stored (compared before writing). */
  readonly status: ClassStatus | null;
}

/** The status the hooks write on a class (CRD schema: crds/metalloadbalancerclasses.yaml). */
export interface ClassStatus {
  readonly observedGeneration?: number;
  /** Counts as decimal strings: an IPv6 pool exceeds 2^53. */
  readonly totalAddresses: string;
  readonly usedAddresses: string;
  /** Eligible nodes (matching the selector, not excluded). */
  readonly nodes: number;
  readonly conditions: readonly Condition[];
}

/** A Node: name and labels. */
export interface NodeRecord {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Module settings the L2 control plane reads. */
export interface L2Settings {
  /** settings.loadBalancerClass: the class name of BGP Services; "" when unset. */
  readonly loadBalancerClass: string;
  /**
   * Names of the BGP pools (settings.addressPools with protocol bgp). A MetalLB pool annotation makes
   * a Service a BGP Service only when it names one of these; one naming a former `layer2` pool (settings
   * version 1) leaves the Service to the L2 classes, so it keeps its address. Undefined: any name counts.
   */
  readonly bgpPools?: readonly string[];
}
