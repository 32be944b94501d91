// NDP for IPv6 over Ethernet (RFC 4861): Neighbor Solicitation decoding and validation, the
// answer decision, Neighbor Advertisements, and solicited-node multicast (RFC 4291 §2.7.1).
//
// Frame layout (reference/l2.md A3): Ethernet 14 + IPv6 header 40 + ICMPv6 (type, code, checksum,
// 4 bytes reserved/flags, 16 bytes target) + options in 8-byte units.
import { formatIP, ipToBytes, parseIP } from '../../../../lib/net/index.ts';
import { ETHER_HEADER_LEN, ETHERTYPE_IPV6, formatMac, macToBytes, readIP, writeEthernet } from './ethernet.ts';

const IPV6_HEADER_LEN = 40;
const ICMP_OFF = ETHER_HEADER_LEN + IPV6_HEADER_LEN;
const NEXT_HEADER_ICMPV6 = 58;
export const ICMPV6_NS = 135;
export const ICMPV6_NA = 136;
const OPT_SLLA = 1;
const OPT_TLLA = 2;
const NA_FLAG_SOLICITED = 0x40;
const NA_FLAG_OVERRIDE = 0x20;
/** All-nodes multicast and its Ethernet mapping (RFC 2464 §7: 33:33 + low 32 bits). */
export const ALL_NODES = 'ff02::1';
const ALL_NODES_MAC = '33:33:00:00:00:01';
const UNSPECIFIED = '::';

/** A Neighbor Solicitation that passed RFC 4861 §7.1.1 validation. */
export interface NeighborSolicitation {
  ethDst: string;
  ethSrc: string;
  src: string;
  dst: string;
  target: string;
  /** Source link-layer address option, when present. */
  slla?: string;
}

/** Why a frame is not a valid NS (RFC 4861 §7.1.1 "silently discard"). */
export type NsDecodeError =
  | 'short' | 'not-ipv6' | 'not-icmpv6' | 'not-ns' | 'hop-limit' | 'bad-code' | 'bad-checksum'
  | 'multicast-target' | 'bad-option' | 'bad-dad';

/** Solicited-node multicast group of an IPv6 address: ff02::1:ff00:0/104 + its low 24 bits. */
export function solicitedNodeGroup(ip: string): string {
  const v = parseIP(ip).value;
  return formatIP({ family: 6, value: 0xff0200000000000000000001ff000000n | (v & 0xffffffn) });
}

/** Ethernet multicast address of an IPv6 multicast group: 33:33 + low 32 bits (RFC 2464 §7). */
export function multicastMac(group: string): string {
  const b = ipToBytes(parseIP(group));
  return formatMac(Buffer.from([0x33, 0x33, b[12] as number, b[13] as number, b[14] as number, b[15] as number]));
}

/** The ICMPv6 checksum (RFC 4443 §2.3) over the pseudo-header and `icmp`, as a 16-bit value. */
export function icmpv6Checksum(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array): number {
  let sum = 0;
  const add = (b: Uint8Array): void => {
    for (let i = 0; i + 1 < b.length; i += 2) sum += ((b[i] as number) << 8) | (b[i + 1] as number);
    if (b.length % 2) sum += (b[b.length - 1] as number) << 8;
  };
  add(src);
  add(dst);
  sum += (icmp.length >>> 16) + (icmp.length & 0xffff) + NEXT_HEADER_ICMPV6;
  add(icmp);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Decodes and validates a Neighbor Solicitation frame, or says why it is discarded. Never throws. */
export function decodeNs(frame: Uint8Array): NeighborSolicitation | { error: NsDecodeError } {
  if (frame.length < ICMP_OFF + 24) return { error: 'short' };
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (dv.getUint16(12) !== ETHERTYPE_IPV6 || (frame[14] as number) >> 4 !== 6) return { error: 'not-ipv6' };
  if (frame[20] !== NEXT_HEADER_ICMPV6) return { error: 'not-icmpv6' };
  const payloadLen = dv.getUint16(18);
  if (payloadLen < 24 || ICMP_OFF + payloadLen > frame.length) return { error: 'short' };
  if (frame[ICMP_OFF] !== ICMPV6_NS) return { error: 'not-ns' };
  // RFC 4861 §7.1.1: hop limit 255 proves the packet was not forwarded by a router.
  if (frame[21] !== 255) return { error: 'hop-limit' };
  if (frame[ICMP_OFF + 1] !== 0) return { error: 'bad-code' };
  const srcB = frame.subarray(22, 38);
  const dstB = frame.subarray(38, 54);
  const icmp = frame.subarray(ICMP_OFF, ICMP_OFF + payloadLen);
  if (icmpv6Checksum(srcB, dstB, icmp) !== 0) return { error: 'bad-checksum' };
  if (icmp[8] === 0xff) return { error: 'multicast-target' };
  let slla: string | undefined;
  for (let off = 24; off < icmp.length;) {
    if (off + 2 > icmp.length) return { error: 'bad-option' };
    const len8 = icmp[off + 1] as number;
    if (len8 === 0 || off + len8 * 8 > icmp.length) return { error: 'bad-option' };
    if (icmp[off] === OPT_SLLA && len8 === 1) slla = formatMac(icmp, off + 2);
    off += len8 * 8;
  }
  const src = readIP(frame, 22, 16);
  const dst = readIP(frame, 38, 16);
  const target = readIP(icmp, 8, 16);
  // §7.1.1: an NS from the unspecified address (DAD) goes to a solicited-node group, without SLLA.
  if (src === UNSPECIFIED && (slla !== undefined || dst !== solicitedNodeGroup(target))) return { error: 'bad-dad' };
  const ns: NeighborSolicitation = { ethDst: formatMac(frame, 0), ethSrc: formatMac(frame, 6), src, dst, target };
  if (slla !== undefined) ns.slla = slla;
  return ns;
}

/** Fields of a Neighbor Advertisement we send. */
export interface NeighborAdvertisement {
  ethDst: string;
  ethSrc: string;
  src: string;
  dst: string;
  target: string;
  solicited: boolean;
  override: boolean;
  /** Target link-layer address option. */
  tlla: string;
}

/** Builds an NA frame with a TLLA option and a valid checksum (86 bytes). */
export function encodeNa(na: NeighborAdvertisement): Buffer {
  const icmpLen = 32;
  const b = Buffer.alloc(ICMP_OFF + icmpLen);
  writeEthernet(b, na.ethDst, na.ethSrc, ETHERTYPE_IPV6);
  b.writeUInt32BE(0x60000000, 14);
  b.writeUInt16BE(icmpLen, 18);
  b[20] = NEXT_HEADER_ICMPV6;
  b[21] = 255;
  ipToBytes(parseIP(na.src)).copy(b, 22);
  ipToBytes(parseIP(na.dst)).copy(b, 38);
  b[ICMP_OFF] = ICMPV6_NA;
  b[ICMP_OFF + 4] = (na.solicited ? NA_FLAG_SOLICITED : 0) | (na.override ? NA_FLAG_OVERRIDE : 0);
  ipToBytes(parseIP(na.target)).copy(b, ICMP_OFF + 8);
  b[ICMP_OFF + 24] = OPT_TLLA;
  b[ICMP_OFF + 25] = 1;
  macToBytes(na.tlla).copy(b, ICMP_OFF + 26);
  b.writeUInt16BE(icmpv6Checksum(b.subarray(22, 38), b.subarray(38, 54), b.subarray(ICMP_OFF)), ICMP_OFF + 2);
  return b;
}

/** Reads the flags and TLLA of an NA frame (used by tests and the benchmark client). */
export function decodeNa(frame: Uint8Array): { target: string; solicited: boolean; override: boolean; tlla?: string; src: string; dst: string } | undefined {
  if (frame.length < ICMP_OFF + 24 || frame[ICMP_OFF] !== ICMPV6_NA) return undefined;
  const flags = frame[ICMP_OFF + 4] as number;
  const r = {
    target: readIP(frame, ICMP_OFF + 8, 16), solicited: (flags & NA_FLAG_SOLICITED) !== 0, override: (flags & NA_FLAG_OVERRIDE) !== 0,
    src: readIP(frame, 22, 16), dst: readIP(frame, 38, 16),
  };
  if (frame.length >= ICMP_OFF + 32 && frame[ICMP_OFF + 24] === OPT_TLLA) return { ...r, tlla: formatMac(frame, ICMP_OFF + 26) };
  return r;
}

/** Why a received frame gets no NA. */
export type NdpDropReason = 'malformed' | 'from-self' | 'not-for-us' | 'not-owned';

/** What to do with a received frame: send `reply`, or drop it for `reason`. */
export type NdpDecision = { type: 'reply'; frame: Buffer; ip: string } | { type: 'drop'; reason: NdpDropReason; detail?: NsDecodeError };

/**
 * Decides the answer to a frame received on an interface with MAC `ifaceMac` (RFC 4861 §7.2.3/4).
 * The handle is promiscuous, so unicast frames for other MACs are seen too and must be ignored.
 */
export function answerNs(frame: Uint8Array, ifaceMac: string, owns: (ip: string) => boolean): NdpDecision {
  const ns = decodeNs(frame);
  if ('error' in ns) return { type: 'drop', reason: 'malformed', detail: ns.error };
  if (ns.ethSrc === ifaceMac) return { type: 'drop', reason: 'from-self' };
  const multicast = ns.ethDst.startsWith('33:33:');
  if (!multicast && ns.ethDst !== ifaceMac) return { type: 'drop', reason: 'not-for-us' };
  if (!owns(ns.target)) return { type: 'drop', reason: 'not-owned' };
  const dad = ns.src === UNSPECIFIED;
  // §7.2.4: DAD → all-nodes with S=0; otherwise unicast to the solicitor with S=1, to its SLLA or,
  // when it sent none (NUD probes often do not), to the frame's source. O=1 as the kernel does for
  // its own addresses; source = the VIP (ndisc6 drops link-local-sourced NAs for global targets).
  const reply = encodeNa({
    ethDst: dad ? ALL_NODES_MAC : (ns.slla ?? ns.ethSrc),
    ethSrc: ifaceMac,
    src: ns.target,
    dst: dad ? ALL_NODES : ns.src,
    target: ns.target,
    solicited: !dad,
    override: true,
    tlla: ifaceMac,
  });
  return { type: 'reply', frame: reply, ip: ns.target };
}

/** Unsolicited NA announcing `ip` at `mac` (§7.2.6): to all-nodes, S=0, O=1 so caches switch. */
export function unsolicitedNa(ip: string, mac: string): Buffer {
  return encodeNa({ ethDst: ALL_NODES_MAC, ethSrc: mac, src: ip, dst: ALL_NODES, target: ip, solicited: false, override: true, tlla: mac });
}

/** Builds an NS (for tests and the benchmark client): to the solicited-node group unless `unicastTo`. */
export function encodeNs(opts: { src: string; srcMac: string; target: string; slla?: boolean; unicastTo?: string; hopLimit?: number }): Buffer {
  const withOpt = opts.slla ?? true;
  const icmpLen = withOpt ? 32 : 24;
  const dst = opts.unicastTo ? opts.target : solicitedNodeGroup(opts.target);
  const b = Buffer.alloc(ICMP_OFF + icmpLen);
  writeEthernet(b, opts.unicastTo ?? multicastMac(dst), opts.srcMac, ETHERTYPE_IPV6);
  b.writeUInt32BE(0x60000000, 14);
  b.writeUInt16BE(icmpLen, 18);
  b[20] = NEXT_HEADER_ICMPV6;
  b[21] = opts.hopLimit ?? 255;
  ipToBytes(parseIP(opts.src)).copy(b, 22);
  ipToBytes(parseIP(dst)).copy(b, 38);
  b[ICMP_OFF] = ICMPV6_NS;
  ipToBytes(parseIP(opts.target)).copy(b, ICMP_OFF + 8);
  if (withOpt) {
    b[ICMP_OFF + 24] = OPT_SLLA;
    b[ICMP_OFF + 25] = 1;
    macToBytes(opts.srcMac).copy(b, ICMP_OFF + 26);
  }
  b.writeUInt16BE(icmpv6Checksum(b.subarray(22, 38), b.subarray(38, 54), b.subarray(ICMP_OFF)), ICMP_OFF + 2);
  return b;
}
