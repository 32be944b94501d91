// The capture worker's hot path: answers ARP requests and Neighbor Solicitations straight from the
// frame bytes. The owned IPs are kept as raw bytes (IPv4 as a uint32 key, IPv6 as 16 bytes keyed by
// their low 32 bits), replies are built in two preallocated buffers and counters are typed arrays
// indexed by table slot, so a request allocates nothing and never formats an address as text.
// The decisions are those of answerArp/answerNs (arp.ts, ndp.ts: the readable reference, which the
// tests compare this against frame by frame).
import { ipBytes, macToBytes } from './ethernet.ts';
import type { WorkerCounters } from './capture-protocol.ts';

const ETH = 14;
const ICMP = ETH + 40;
const ARP_LEN = 42;
/** Length of the NA replies (with a TLLA option). */
export const NA_FRAME_LEN = ICMP + 32;

/** Drop reasons, in the order of the `dropped` counter arrays. */
const DROP_REASONS = ['malformed', 'from-self', 'not-request', 'not-for-us', 'not-owned'] as const;
const MALFORMED = 0;
const FROM_SELF = 1;
const NOT_REQUEST = 2;
const NOT_FOR_US = 3;
const NOT_OWNED = 4;

/** What `answer` did with a frame. */
export const Verdict = { Drop: 0, ArpReply: 1, NaReply: 2 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** The owned IPs of one interface, with the replies' constant bytes prepared. */
export class AnswerTable {
  readonly #mac: Uint8Array;
  #v4 = new Map<number, number>();
  #v6 = new Map<number, number[]>();
  #v6Bytes = new Uint8Array(0);
  #ips: string[] = [];
  #requests = new Uint32Array(0);
  #responses = new Uint32Array(0);
  readonly #dropArp = new Uint32Array(DROP_REASONS.length);
  readonly #dropNdp = new Uint32Array(DROP_REASONS.length);
  #sendErrors = 0;
  #dirty = false;
  /** The reply to send after `answer` returned ArpReply (42 bytes) or NaReply (`naReply`, 86 bytes). */
  readonly arpReply = Buffer.alloc(ARP_LEN);
  readonly naReply = Buffer.alloc(NA_FRAME_LEN);
  /** Table slot of the IP the last reply was for (for `responded`). */
  #slot = -1;

  constructor(mac: string) {
    this.#mac = macToBytes(mac);
    const a = this.arpReply;
    a.set(this.#mac, 6);
    a.writeUInt16BE(0x0806, 12);
    a.writeUInt16BE(1, 14);
    a.writeUInt16BE(0x0800, 16);
    a[18] = 6;
    a[19] = 4;
    a.writeUInt16BE(2, 20);
    a.set(this.#mac, 22);
    const n = this.naReply;
    n.set(this.#mac, 6);
    n.writeUInt16BE(0x86dd, 12);
    n.writeUInt32BE(0x60000000, 14);
    n.writeUInt16BE(32, 18);
    n[20] = 58;
    n[21] = 255;
    n[ICMP] = 136;
    n[ICMP + 24] = 2;
    n[ICMP + 25] = 1;
    n.set(this.#mac, ICMP + 26);
  }

  /**
   * Runs both paths on synthetic requests until V8 has optimised them, so real requests (often
   * minutes apart) do not pay for lazy compilation and the interpreter: measured in the worker, the
   * first NS took ~15 ms and, after 200 rounds, a request still ~30 µs against ~1 µs optimised.
   * Leaves the table empty.
   */
  warmUp(arpRequest: Buffer, nsRequest: Buffer, ips: readonly string[]): void {
    this.setOwned(ips);
    for (let i = 0; i < 20_000; i++) { this.answer(arpRequest, arpRequest.length); this.answer(nsRequest, nsRequest.length); }
    this.takeCounters();
    this.setOwned([]);
  }

  /** Replaces the owned set. Call `takeCounters` first: slots are renumbered. */
  setOwned(ips: readonly string[]): void {
    this.#v4 = new Map();
    this.#v6 = new Map();
    const v6: Uint8Array[] = [];
    this.#ips = [...ips];
    this.#ips.forEach((ip, slot) => {
      const b = ipBytes(ip);
      if (b.length === 4) { this.#v4.set(b.readUInt32BE(0), slot); return; }
      const key = b.readUInt32BE(12);
      const l = this.#v6.get(key);
      if (l) l.push(slot); else this.#v6.set(key, [slot]);
      v6[slot] = b;
    });
    this.#v6Bytes = new Uint8Array(16 * this.#ips.length);
    v6.forEach((b, slot) => { if (b) this.#v6Bytes.set(b, slot * 16); });
    this.#requests = new Uint32Array(this.#ips.length);
    this.#responses = new Uint32Array(this.#ips.length);
  }

  /** Decides about the first `n` bytes of `f`; on a reply the frame is in arpReply/naReply. */
  answer(f: Buffer, n: number): Verdict {
    if (n >= ETH && f[12] === 0x08 && f[13] === 0x06) return this.#arp(f, n);
    return this.#ns(f, n);
  }

  /** Counts the reply of the last `answer` as sent. */
  responded(): void {
    if (this.#slot >= 0) (this.#responses[this.#slot] as number)++;
    this.#dirty = true;
  }

  /** Counts a failed send. */
  sendError(): void {
    this.#sendErrors++;
    this.#dirty = true;
  }

  /** The counters since the last call (undefined when nothing happened), then zeroes them. */
  takeCounters(): WorkerCounters | undefined {
    if (!this.#dirty) return undefined;
    const c: WorkerCounters = { requests: {}, responses: {}, dropped: {}, sendErrors: this.#sendErrors };
    const proto = (slot: number): string => ((this.#ips[slot] as string).includes(':') ? 'ndp' : 'arp');
    for (let i = 0; i < this.#ips.length; i++) {
      if (this.#requests[i]) c.requests[`${proto(i)}:${this.#ips[i]}`] = this.#requests[i] as number;
      if (this.#responses[i]) c.responses[`${proto(i)}:${this.#ips[i]}`] = this.#responses[i] as number;
    }
    DROP_REASONS.forEach((r, i) => {
      if (this.#dropArp[i]) c.dropped[`arp:${r}`] = this.#dropArp[i] as number;
      if (this.#dropNdp[i]) c.dropped[`ndp:${r}`] = this.#dropNdp[i] as number;
    });
    this.#requests.fill(0);
    this.#responses.fill(0);
    this.#dropArp.fill(0);
    this.#dropNdp.fill(0);
    this.#sendErrors = 0;
    this.#dirty = false;
    return c;
  }

  #drop(counts: Uint32Array, reason: number): Verdict {
    (counts[reason] as number)++;
    this.#dirty = true;
    this.#slot = -1;
    return Verdict.Drop;
  }

  #isMac(f: Buffer, off: number): boolean {
    const m = this.#mac;
    return f[off] === m[0] && f[off + 1] === m[1] && f[off + 2] === m[2] && f[off + 3] === m[3] && f[off + 4] === m[4] && f[off + 5] === m[5];
  }

  // RFC 826; the same checks in the same order as answerArp.
  #arp(f: Buffer, n: number): Verdict {
    const d = this.#dropArp;
    if (n < ARP_LEN || f[14] !== 0 || f[15] !== 1 || f[16] !== 0x08 || f[17] !== 0 || f[18] !== 6 || f[19] !== 4) return this.#drop(d, MALFORMED);
    if (this.#isMac(f, 6)) return this.#drop(d, FROM_SELF);
    if (f[20] !== 0 || f[21] !== 1) return this.#drop(d, NOT_REQUEST);
    const broadcast = f[0] === 0xff && f[1] === 0xff && f[2] === 0xff && f[3] === 0xff && f[4] === 0xff && f[5] === 0xff;
    if (!broadcast && !this.#isMac(f, 0)) return this.#drop(d, NOT_FOR_US);
    const slot = this.#v4.get(f.readUInt32BE(38));
    if (slot === undefined) return this.#drop(d, NOT_OWNED);
    (this.#requests[slot] as number)++;
    this.#dirty = true;
    this.#slot = slot;
    // Reply to the requester's hardware address: dst = tha = sha, spa = asked tpa, tpa = spa.
    const r = this.arpReply;
    for (let i = 0; i < 6; i++) { r[i] = f[22 + i] as number; r[32 + i] = f[22 + i] as number; }
    for (let i = 0; i < 4; i++) { r[28 + i] = f[38 + i] as number; r[38 + i] = f[28 + i] as number; }
    return Verdict.ArpReply;
  }

  // RFC 4861 §7.1.1 validation and §7.2.4 answer; the same checks as decodeNs + answerNs.
  #ns(f: Buffer, n: number): Verdict {
    const d = this.#dropNdp;
    if (n < ICMP + 24) return this.#drop(d, MALFORMED);
    if (f[12] !== 0x86 || f[13] !== 0xdd || (f[14] as number) >> 4 !== 6 || f[20] !== 58) return this.#drop(d, MALFORMED);
    const plen = ((f[18] as number) << 8) | (f[19] as number);
    if (plen < 24 || ICMP + plen > n || f[ICMP] !== 135 || f[21] !== 255 || f[ICMP + 1] !== 0) return this.#drop(d, MALFORMED);
    if (checksum(f, ICMP, plen) !== 0) return this.#drop(d, MALFORMED);
    if (f[ICMP + 8] === 0xff) return this.#drop(d, MALFORMED);
    let slla = -1;
    for (let off = 24; off < plen;) {
      if (off + 2 > plen) return this.#drop(d, MALFORMED);
      const len8 = f[ICMP + off + 1] as number;
      if (len8 === 0 || off + len8 * 8 > plen) return this.#drop(d, MALFORMED);
      if (f[ICMP + off] === 1 && len8 === 1) slla = ICMP + off + 2;
      off += len8 * 8;
    }
    let unspecified = true;
    for (let i = 22; i < 38; i++) if (f[i] !== 0) { unspecified = false; break; }
    // DAD: no SLLA, and sent to the target's solicited-node group ff02::1:ffXX:XXXX.
    if (unspecified && (slla >= 0 || !isSolicitedNodeOf(f, 38, ICMP + 8))) return this.#drop(d, MALFORMED);
    if (this.#isMac(f, 6)) return this.#drop(d, FROM_SELF);
    if (!(f[0] === 0x33 && f[1] === 0x33) && !this.#isMac(f, 0)) return this.#drop(d, NOT_FOR_US);
    const slot = this.#v6Slot(f, ICMP + 8);
    if (slot < 0) return this.#drop(d, NOT_OWNED);
    (this.#requests[slot] as number)++;
    this.#dirty = true;
    this.#slot = slot;
    const r = this.naReply;
    if (unspecified) {
      // To all-nodes (33:33:00:00:00:01, ff02::1), S=0.
      r[0] = 0x33; r[1] = 0x33; r[2] = 0; r[3] = 0; r[4] = 0; r[5] = 1;
      r.fill(0, 38, 54);
      r[38] = 0xff; r[39] = 0x02; r[53] = 1;
    } else {
      // Unicast to the solicitor's SLLA, else the frame's source; S=1.
      const from = slla >= 0 ? slla : 6;
      for (let i = 0; i < 6; i++) r[i] = f[from + i] as number;
      for (let i = 0; i < 16; i++) r[38 + i] = f[22 + i] as number;
    }
    // Source = target = the VIP; O=1 always.
    for (let i = 0; i < 16; i++) { const b = f[ICMP + 8 + i] as number; r[22 + i] = b; r[ICMP + 8 + i] = b; }
    r[ICMP + 4] = unspecified ? 0x20 : 0x60;
    r[ICMP + 2] = 0;
    r[ICMP + 3] = 0;
    r.writeUInt16BE(checksum(r, ICMP, 32), ICMP + 2);
    return Verdict.NaReply;
  }

  #v6Slot(f: Buffer, off: number): number {
    const l = this.#v6.get(f.readUInt32BE(off + 12));
    if (!l) return -1;
    const b = this.#v6Bytes;
    for (const slot of l) {
      let i = 0;
      while (i < 16 && b[slot * 16 + i] === f[off + i]) i++;
      if (i === 16) return slot;
    }
    return -1;
  }
}

/** ICMPv6 checksum (RFC 4443 §2.3) of the `len` bytes at `icmp`, addresses at 22/38 of the frame. */
function checksum(f: Buffer, icmp: number, len: number): number {
  let sum = len + 58;
  for (let i = 22; i < 54; i += 2) sum += ((f[i] as number) << 8) | (f[i + 1] as number);
  const end = icmp + len;
  let i = icmp;
  for (; i + 1 < end; i += 2) sum += ((f[i] as number) << 8) | (f[i + 1] as number);
  if (i < end) sum += (f[i] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** True when the 16 bytes at `dst` are the solicited-node group of the address at `target`. */
function isSolicitedNodeOf(f: Buffer, dst: number, target: number): boolean {
  if (f[dst] !== 0xff || f[dst + 1] !== 0x02 || f[dst + 11] !== 1 || f[dst + 12] !== 0xff) return false;
  for (let i = 2; i < 11; i++) if (f[dst + i] !== 0) return false;
  return f[dst + 13] === f[target + 13] && f[dst + 14] === f[target + 14] && f[dst + 15] === f[target + 15];
}
