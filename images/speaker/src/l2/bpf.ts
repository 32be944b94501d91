// BPF filters for the responder (pure). Requests only (ARP op 1, ICMPv6 type 135), never our own
// frames (libpcap also sees what we send), never the `inbound` qualifier (it loses the first packet
// after open; reference/l2.md §B6.1). When the candidate IPs are few enough they are compiled in,
// so requests for other addresses never wake Node (classic BPF allows 4096 instructions).
import { ipToBytes, parseIP } from '../../../../lib/net/index.ts';

/** Above this many candidate IPs the filter stays generic and the JS check does the work. */
export const MAX_IPS_IN_FILTER = 200;

/** The capture filter for an interface with MAC `mac` and the IPs that may be announced on it. */
export function responderFilter(mac: string, candidates: readonly string[]): string {
  const v4 = candidates.filter((ip) => !ip.includes(':'));
  const v6 = candidates.filter((ip) => ip.includes(':'));
  const arp = 'arp and arp[6:2] = 1';
  const ns = 'icmp6 and ip6[40] == 135';
  if (candidates.length === 0 || candidates.length > MAX_IPS_IN_FILTER) return `not ether src ${mac} and ((${arp}) or (${ns}))`;
  const parts: string[] = [];
  if (v4.length > 0) parts.push(`(${arp} and (${v4.map((ip) => `arp[24:4] = 0x${ipToBytes(parseIP(ip)).toString('hex')}`).join(' or ')}))`);
  if (v6.length > 0) {
    const word = (b: Buffer, i: number): string => `0x${b.subarray(i * 4, i * 4 + 4).toString('hex')}`;
    const targets = v6.map((ip) => {
      const b = ipToBytes(parseIP(ip));
      return `(ip6[48:4] = ${word(b, 0)} and ip6[52:4] = ${word(b, 1)} and ip6[56:4] = ${word(b, 2)} and ip6[60:4] = ${word(b, 3)})`;
    });
    parts.push(`(${ns} and (${targets.join(' or ')}))`);
  }
  return `not ether src ${mac} and (${parts.join(' or ')})`;
}
