// The speaker's desired state: what the adapters (static file, Kubernetes) produce and the engines
// consume. One value describes everything; engines take it whole and work out the difference.
// Engines never talk to the Kubernetes API.
import type { BgpConfig } from '../../../lib/config/index.ts';

/** Membership settings and peers (DESIGN §5). */
export interface DesiredMembership {
  address: string;
  port: number;
  intervalMs: number;
  multiplier: number;
  /** Accepted HMAC keys; the first signs. */
  keys: Buffer[];
  /** Other speakers of this node's classes (never this node). */
  peers: { node: string; address: string }[];
}

/** An L2 class as the speaker needs it. */
export interface DesiredL2Class {
  name: string;
  /** Interfaces to answer on; undefined or empty = every interface but the built-in exclusions. */
  interfaces?: string[];
  /**
   * Eligible nodes (DESIGN §4): matching the class's nodeSelector and not labelled
   * node.kubernetes.io/exclude-from-external-load-balancers.
   */
  eligible: string[];
}

/** An L2 Service: its IPs in index order and what decides where they may go. */
export interface DesiredL2Service {
  namespace: string;
  name: string;
  class: string;
  /** `<namespace>/<name>`, or the sharing key of a shared IP (placement rotation). */
  placementKey: string;
  /** Canonical IP text, index order, families may mix. */
  ips: string[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  /** Nodes with a ready endpoint; undefined = every node counts as having one. */
  endpointNodes?: string[];
}

/** The L2 part of the desired state. */
export interface DesiredL2 {
  classes: DesiredL2Class[];
  services: DesiredL2Service[];
  /** Nodes with condition NetworkUnavailable=True (never hold IPs). */
  networkUnavailable: string[];
}

/** Everything the speaker should be doing, as built by an adapter. */
export interface DesiredState {
  /** This node's name. */
  node: string;
  /** Required when `l2` has classes. */
  membership?: DesiredMembership;
  l2: DesiredL2;
  /**
   * The BGP part, handed whole to the BGP engine (owned by the BGP engineers). Static mode passes
   * the parsed `bgp` section of the file as is; the Kubernetes adapter will build the same shape.
   */
  bgp?: BgpConfig;
}

/** An empty desired state for `node` (nothing to announce). */
export function emptyDesiredState(node: string): DesiredState {
  return { node, l2: { classes: [], services: [], networkUnavailable: [] } };
}
