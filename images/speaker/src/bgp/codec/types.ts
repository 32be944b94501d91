// The decoded form of every BGP message: plain data with a `type` field.
import type { IPAddress, Prefix } from '../../../../../lib/net/index.ts';
import type { OriginCode } from './constants.ts';

/** An address family as it appears on the wire (AFI/SAFI, RFC 4760). */
export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

/** One capability from an OPEN (RFC 5492); unknown ones are kept raw and otherwise ignored. */
export type Capability =
  | { type: 'multiprotocol'; afi: number; safi: number }
  | { type: 'routeRefresh' }
  | { type: 'enhancedRouteRefresh' }
  | { type: 'fourOctetAs'; asn: number }
  | { type: 'extendedMessage' }
  | {
      type: 'gracefulRestart';
      /** R bit: the sender has restarted (RFC 4724 §3). */
      restartState: boolean;
      /** N bit: graceful restart also after a NOTIFICATION (RFC 8538). */
      notification: boolean;
      restartTimeSec: number;
      families: { afi: number; safi: number; forwardingState: boolean }[];
    }
  | { type: 'unknown'; code: number; value: Buffer };

/** OPEN (RFC 4271 §4.2). `myAs` is the 2-octet field: AS_TRANS when the real AS is in capability 65. */
export interface OpenMessage {
  type: 'open';
  version: number;
  myAs: number;
  holdTimeSec: number;
  /** BGP Identifier as an unsigned 32-bit integer. */
  bgpId: number;
  capabilities: Capability[];
}

/** One AS_PATH segment; `asns` are full 4-octet values whatever the wire width. */
export interface AsPathSegment {
  segmentType: number;
  asns: number[];
}

/** A large community (RFC 8092): three 32-bit numbers. */
export interface LargeCommunity {
  globalAdmin: number;
  localData1: number;
  localData2: number;
}

/** MP_REACH_NLRI (RFC 4760 §3). */
export interface MpReach extends AfiSafi {
  /** One global next hop, optionally followed by a link-local one (RFC 2545). */
  nextHops: IPAddress[];
  nlri: Prefix[];
}

/** MP_UNREACH_NLRI (RFC 4760 §4); an empty list is End-of-RIB for the family (RFC 4724 §2). */
export interface MpUnreach extends AfiSafi {
  withdrawn: Prefix[];
}

/** An attribute kept as bytes (unknown optional transitive ones, AGGREGATOR and the like). */
export interface RawAttribute {
  flags: number;
  typeCode: number;
  value: Buffer;
}

/** Path attributes of an UPDATE; absent ones are undefined. */
export interface PathAttributes {
  origin?: OriginCode;
  /** The true path: on a 2-octet session AS_PATH and AS4_PATH are merged when decoding (RFC 6793 §4.2.3). */
  asPath?: AsPathSegment[];
  nextHop?: IPAddress;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  communities?: number[];
  /** 8-octet extended communities (RFC 4360) as unsigned 64-bit integers. */
  extendedCommunities?: bigint[];
  largeCommunities?: LargeCommunity[];
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
  other?: RawAttribute[];
}

/** UPDATE (RFC 4271 §4.3). `withdrawn` and `nlri` are the IPv4 fields; other families ride in MP attributes. */
export interface UpdateMessage {
  type: 'update';
  withdrawn: Prefix[];
  attributes: PathAttributes;
  nlri: Prefix[];
}

/** NOTIFICATION (RFC 4271 §4.5). */
export interface NotificationMessage {
  type: 'notification';
  code: number;
  subcode: number;
  data: Buffer;
}

export interface KeepaliveMessage {
  type: 'keepalive';
}

/** ROUTE-REFRESH (RFC 2918; `subtype` is RFC 7313's demarcation, 0 = normal request). */
export interface RouteRefreshMessage extends AfiSafi {
  type: 'routeRefresh';
  subtype: number;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

/** What a session has negotiated that changes the wire format. */
export interface CodecContext {
  /** Both sides sent capability 65: AS numbers in AS_PATH are 4 octets (RFC 6793). */
  fourOctetAs: boolean;
  /** Both sides sent capability 6: messages up to 65535 octets (RFC 8654). */
  extendedMessage: boolean;
}

/** Before OPENs are exchanged: 2-octet AS_PATH, 4096-octet messages. */
export const DEFAULT_CONTEXT: CodecContext = { fourOctetAs: false, extendedMessage: false };
