// The parsed static configuration (DESIGN §2.1): durations in milliseconds, addresses and
// prefixes in canonical text (lib/net), defaults filled in. parse.ts guarantees every invariant
// stated here; consumers do not re-check.

/** Membership: heartbeats between speakers. */
export interface MembershipConfig {
  /** HMAC key, UTF-8 bytes of the configured string. */
  key: Buffer;
  /** Also accepted during a deliberate key change. */
  previousKey?: Buffer;
  address: string;
  port: number;
  intervalMs: number;
  multiplier: number;
  /** Other speakers (never this node), unique names. */
  peers: { node: string; address: string }[];
}

/** An L2 class: candidate nodes (already selected) and the interfaces to answer on. */
export interface L2ClassConfig {
  name: string;
  /** Absent: every interface except the built-in exclusions. */
  interfaces?: string[];
  nodes: string[];
}

/** An L2 Service: IPs in index order (canonical text), each known class. */
export interface L2ServiceConfig {
  namespace: string;
  name: string;
  class: string;
  /** Replaces `<namespace>/<name>` in placement for a shared IP. */
  sharingKey?: string;
  ips: string[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  /** Absent: every candidate has endpoints. Present and empty: no ready endpoint. */
  endpointNodes?: string[];
}

/** BFD timers of a peer. */
export interface BfdConfig {
  receiveIntervalMs: number;
  transmitIntervalMs: number;
  detectMultiplier: number;
}

/** A BGP peer; ASNs are 1..4294967295 and never 23456 (AS_TRANS). */
export interface BgpPeerConfig {
  address: string;
  asn: number;
  myASN: number;
  port: number;
  holdTimeMs: number;
  password?: string;
  sourceAddress?: string;
  ebgpMultihop: boolean;
  /** GTSM (RFC 5082): TTL 255 out, minimum TTL in. */
  gtsm: boolean;
  gracefulRestart: boolean;
  bfd?: BfdConfig;
}

/** Prefixes announced to some or all peers with their attributes. */
export interface BgpAdvertisementConfig {
  /** Canonical prefixes (`198.51.100.10/32`, `2001:db8:100::10/128`). */
  prefixes: string[];
  /** Peer addresses (canonical), each one of `peers`; absent = all peers. */
  peers?: string[];
  /** `"a:b"` with a, b in 0..65535, as written. */
  communities: string[];
  /** `"a:b:c"` with each part in 0..4294967295. */
  largeCommunities: string[];
  localPref?: number;
}

/** The `bgp` section, consumed by the BGP engine. */
export interface BgpConfig {
  routerID?: string;
  peers: BgpPeerConfig[];
  advertisements: BgpAdvertisementConfig[];
}

/** The whole static file. `membership` is present whenever `l2` is. */
export interface StaticConfig {
  node: string;
  membership?: MembershipConfig;
  l2?: { classes: L2ClassConfig[]; services: L2ServiceConfig[] };
  bgp?: BgpConfig;
  metrics: { address: string; port: number };
}

/** Defaults of DESIGN §2.1 in one place. */
export const DEFAULTS = {
  membershipPort: 4230,
  membershipIntervalMs: 50,
  membershipMultiplier: 6,
  bgpPort: 179,
  bgpHoldTimeMs: 90_000,
  metricsAddress: '127.0.0.1',
  metricsPort: 4231,
} as const;
