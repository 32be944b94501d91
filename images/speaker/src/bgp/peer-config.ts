// One BGP peer as the engine takes it: parsed values, defaults applied by `normalizePeer`.
import { formatIP, type IPAddress } from '../../../../lib/net/index.ts';

/** A peer as the adapters describe it (DESIGN §2.1 `bgp.peers[]`, already parsed). */
export interface PeerSpec {
  address: IPAddress;
  /** The peer's AS. */
  asn: number;
  /** Our AS on this session. */
  myAsn: number;
  port?: number;
  holdTimeSec?: number;
  /** TCP-MD5 key; needs a dialer that supports it. */
  password?: string;
  sourceAddress?: IPAddress;
  /** eBGP TTL: false = 1 (directly connected), true = 255, a number = that many hops. */
  ebgpMultihop?: boolean | number;
  /**
   * GTSM (RFC 5082): send with TTL 255 and accept only segments that crossed at most the hops
   * `ebgpMultihop` allows (one for a directly connected peer). The peer must enable it too.
   */
  gtsm?: boolean;
  gracefulRestart?: boolean;
  /** GR restart time announced to the peer (RFC 4724 §3); default 120 s like FRR. */
  restartTimeSec?: number;
  routerId?: IPAddress;
  /** Wait for the peer to connect instead of dialling. */
  passive?: boolean;
  /** First retry interval after a failure (doubles up to 60 s). */
  connectRetrySec?: number;
  /** BFD parameters: when set, BFD going down takes this session down (RFC 5882). */
  bfd?: { receiveIntervalMs: number; transmitIntervalMs: number; detectMultiplier: number };
}

/** A PeerSpec with every default filled in. */
export type Peer = Required<Omit<PeerSpec, 'password' | 'sourceAddress' | 'routerId' | 'bfd'>> & Pick<PeerSpec, 'password' | 'sourceAddress' | 'routerId' | 'bfd'>;

/** DESIGN §2.1 defaults: port 179, hold time 90 s, graceful restart off. */
export function normalizePeer(p: PeerSpec): Peer {
  return {
    address: p.address,
    asn: p.asn,
    myAsn: p.myAsn,
    port: p.port ?? 179,
    holdTimeSec: p.holdTimeSec ?? 90,
    ebgpMultihop: p.ebgpMultihop ?? false,
    gtsm: p.gtsm ?? false,
    gracefulRestart: p.gracefulRestart ?? false,
    restartTimeSec: p.restartTimeSec ?? 120,
    passive: p.passive ?? false,
    connectRetrySec: p.connectRetrySec ?? 2,
    ...(p.password !== undefined ? { password: p.password } : {}),
    ...(p.sourceAddress ? { sourceAddress: p.sourceAddress } : {}),
    ...(p.routerId ? { routerId: p.routerId } : {}),
    ...(p.bfd ? { bfd: p.bfd } : {}),
  };
}

/** The key of a peer in the engine: address and port (one session per peer). */
export function peerKey(p: Pick<PeerSpec, 'address' | 'port'>): string {
  const a = formatIP(p.address);
  return p.port && p.port !== 179 ? `${a}:${p.port}` : a;
}

/** Fields whose change needs a new session (timers, AS, password, addresses); the rest is UPDATEs. */
export function sessionIdentity(p: Peer): string {
  return JSON.stringify([
    formatIP(p.address), p.port, p.asn, p.myAsn, p.holdTimeSec, p.password ?? null, p.sourceAddress ? formatIP(p.sourceAddress) : null,
    p.ebgpMultihop, p.gtsm, p.gracefulRestart, p.restartTimeSec, p.routerId ? formatIP(p.routerId) : null, p.passive, p.bfd ?? null,
  ]);
}

/** TTL for our segments: 255 with GTSM, 1 for single-hop eBGP (RFC 4271 practice), N for multihop; kernel default on iBGP. */
export function ttlFor(p: Peer): number | undefined {
  if (p.gtsm) return 255;
  if (p.asn === p.myAsn) return undefined;
  if (p.ebgpMultihop === false) return 1;
  if (p.ebgpMultihop === true) return 255;
  return p.ebgpMultihop;
}

/** GTSM (RFC 5082 §3): the lowest TTL accepted from the peer, 256 minus the hops allowed; undefined without GTSM. */
export function minTtlFor(p: Peer): number | undefined {
  if (!p.gtsm) return undefined;
  const hops = p.ebgpMultihop === false ? 1 : p.ebgpMultihop === true ? 255 : p.ebgpMultihop;
  return 256 - hops;
}
