// Ethernet II framing shared by the ARP and NDP codecs.
import { formatIP, ipFromBytes, ipToBytes, parseIP } from '../../../../lib/net/index.ts';

/** Ethernet header length (dst 6, src 6, ethertype 2). */
export const ETHER_HEADER_LEN = 14;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/** Parses `aa:bb:cc:dd:ee:ff` into 6 bytes; throws on anything else. */
export function macToBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`not a MAC address: ${JSON.stringify(mac)}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** Formats 6 bytes at `off` as lower-case `aa:bb:cc:dd:ee:ff`. */
export function formatMac(b: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + (b[off + i] as number).toString(16).padStart(2, '0');
  return s;
}

/** Text form of the 4 or 16 address bytes at `off` (canonical, as lib/net formats it). */
export function readIP(b: Uint8Array, off: number, len: 4 | 16): string {
  // IPv4 is on every ARP packet's hot path: dotted quad directly, without BigInt.
  if (len === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  return formatIP(ipFromBytes(b.subarray(off, off + len)));
}

/** Address bytes of a textual IP (IPv4 → 4, IPv6 → 16). */
export function ipBytes(ip: string): Buffer {
  if (!ip.includes(':')) {
    const parts = ip.split('.');
    if (parts.length === 4 && parts.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) return Buffer.from(parts.map(Number));
  }
  return ipToBytes(parseIP(ip));
}

/** Writes the Ethernet header into `buf`. */
export function writeEthernet(buf: Buffer, dst: string, src: string, ethertype: number): void {
  macToBytes(dst).copy(buf, 0);
  macToBytes(src).copy(buf, 6);
  buf.writeUInt16BE(ethertype, 12);
}
