// ARP for IPv4 over Ethernet (RFC 826): decoding, the answer decision and the frames we send.
//
// Frame layout (reference/l2.md A1): 14-byte Ethernet header + 28-byte ARP body, 42 bytes; NICs pad
// to 60, veths carry 42, so anything ≥ 42 is accepted and trailing padding ignored.
import { BROADCAST_MAC, ETHERTYPE_ARP, formatMac, ipBytes, macToBytes, readIP, writeEthernet } from './ethernet.ts';

export const ARP_FRAME_LEN = 42;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;

/** A decoded Ethernet/IPv4 ARP packet; MACs lower-case, IPs canonical text. */
export interface ArpPacket {
  ethDst: string;
  ethSrc: string;
  op: number;
  sha: string;
  spa: string;
  tha: string;
  tpa: string;
}

/** Why a frame was not an ARP packet we can read. */
export type ArpDecodeError = 'short' | 'not-arp' | 'not-ethernet-ipv4';

/** Decodes an ARP frame, or says why it cannot. Never throws. */
export function decodeArp(frame: Uint8Array): ArpPacket | { error: ArpDecodeError } {
  if (frame.length < ARP_FRAME_LEN) return { error: 'short' };
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (dv.getUint16(12) !== ETHERTYPE_ARP) return { error: 'not-arp' };
  // RFC 826: htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4.
  if (dv.getUint16(14) !== 1 || dv.getUint16(16) !== 0x0800 || frame[18] !== 6 || frame[19] !== 4) return { error: 'not-ethernet-ipv4' };
  return {
    ethDst: formatMac(frame, 0),
    ethSrc: formatMac(frame, 6),
    op: dv.getUint16(20),
    sha: formatMac(frame, 22),
    spa: readIP(frame, 28, 4),
    tha: formatMac(frame, 32),
    tpa: readIP(frame, 38, 4),
  };
}

/** Builds a 42-byte ARP frame. */
export function encodeArp(p: ArpPacket): Buffer {
  const b = Buffer.alloc(ARP_FRAME_LEN);
  writeEthernet(b, p.ethDst, p.ethSrc, ETHERTYPE_ARP);
  b.writeUInt16BE(1, 14);
  b.writeUInt16BE(0x0800, 16);
  b[18] = 6;
  b[19] = 4;
  b.writeUInt16BE(p.op, 20);
  macToBytes(p.sha).copy(b, 22);
  ipBytes(p.spa).copy(b, 28);
  macToBytes(p.tha).copy(b, 32);
  ipBytes(p.tpa).copy(b, 38);
  return b;
}

/** Why a received ARP packet gets no answer (named like MetalLB's drop reasons). */
export type ArpDropReason = 'not-request' | 'not-for-us' | 'not-owned' | 'from-self' | 'malformed';

/** What to do with a received frame: send `reply`, or drop it for `reason`. */
export type ArpDecision = { type: 'reply'; frame: Buffer; ip: string } | { type: 'drop'; reason: ArpDropReason };

/**
 * Decides the answer to a frame received on an interface with MAC `ifaceMac`. `owns(ip)` says
 * whether the IP is placed on this node and announced on this interface.
 */
export function answerArp(frame: Uint8Array, ifaceMac: string, owns: (ip: string) => boolean): ArpDecision {
  const p = decodeArp(frame);
  if ('error' in p) return { type: 'drop', reason: 'malformed' };
  if (p.ethSrc === ifaceMac) return { type: 'drop', reason: 'from-self' };
  if (p.op !== ARP_OP_REQUEST) return { type: 'drop', reason: 'not-request' };
  // Broadcast resolution, or a unicast refresh to our MAC (NUD, reference/l2.md §0.1); nothing else.
  if (p.ethDst !== BROADCAST_MAC && p.ethDst !== ifaceMac) return { type: 'drop', reason: 'not-for-us' };
  if (!owns(p.tpa)) return { type: 'drop', reason: 'not-owned' };
  // RFC 826: swap, op = reply, to the requester's hardware address. A probe (spa 0.0.0.0, RFC 5227)
  // gets tpa 0.0.0.0 back, which is how a holder defends its address.
  const reply = encodeArp({ ethDst: p.sha, ethSrc: ifaceMac, op: ARP_OP_REPLY, sha: ifaceMac, spa: p.tpa, tha: p.sha, tpa: p.spa });
  return { type: 'reply', frame: reply, ip: p.tpa };
}

/**
 * Frames announcing that `ip` is now at `mac`: an RFC 5227 §2.3 Announcement (broadcast request,
 * spa = tpa = ip, tha zero) and a gratuitous reply with tha = sha (RFC 5944 §4.6). Linux treats a
 * reply as gratuitous only when tha == sha, otherwise its 1 s locktime may ignore it (l2.md A2).
 */
export function arpAnnouncements(ip: string, mac: string): Buffer[] {
  return [
    encodeArp({ ethDst: BROADCAST_MAC, ethSrc: mac, op: ARP_OP_REQUEST, sha: mac, spa: ip, tha: '00:00:00:00:00:00', tpa: ip }),
    encodeArp({ ethDst: BROADCAST_MAC, ethSrc: mac, op: ARP_OP_REPLY, sha: mac, spa: ip, tha: mac, tpa: ip }),
  ];
}
