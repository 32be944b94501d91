// One pcap handle per interface: reads ARP requests and Neighbor Solicitations, asks the pure
// decision functions, writes the replies. Owns no policy: what to answer is `owned`, set by the
// engine. The pcap read buffer is reused for every packet, so nothing keeps a reference to it.
import { newCapHandle, type CapHandle } from './cap.ts';
import { answerArp } from './arp.ts';
import { answerNs } from './ndp.ts';
import { ETHERTYPE_ARP } from './ethernet.ts';
import { responderFilter } from './bpf.ts';

/** Counters reported by a responder (wired to Prometheus by the metrics module). */
export interface ResponderObserver {
  request(ip: string | undefined, protocol: 'arp' | 'ndp'): void;
  response(ip: string, protocol: 'arp' | 'ndp'): void;
  dropped(reason: string, protocol: 'arp' | 'ndp'): void;
  sendError(ifname: string): void;
}

/** 16 MiB: at cap's 64 KiB snaplen that is ~256 ring slots; 1 MiB lost a quarter of a 20k/s burst. */
export const CAPTURE_BUFFER_BYTES = 16 * 1024 * 1024;

/** An open capture on one interface answering for the IPs in `owned`. */
export class InterfaceResponder {
  readonly ifname: string;
  readonly mac: string;
  owned = new Set<string>();
  #cap: CapHandle;
  #candidates: string[];
  #observer: ResponderObserver;

  /** Opens the capture; throws with the interface name when libpcap refuses. */
  constructor(ifname: string, mac: string, candidates: readonly string[], observer: ResponderObserver) {
    this.ifname = ifname;
    this.mac = mac;
    this.#candidates = [...candidates].sort();
    this.#observer = observer;
    const buf = Buffer.alloc(65535);
    const cap = newCapHandle();
    try {
      cap.open(ifname, responderFilter(mac, this.#candidates), CAPTURE_BUFFER_BYTES, buf);
    } catch (err) {
      throw new Error(`cannot open a capture on ${ifname}: ${(err as Error).message}`, { cause: err });
    }
    cap.on('packet', (n) => this.#onFrame(buf.subarray(0, n)));
    this.#cap = cap;
  }

  /** The candidate IPs compiled into this handle's filter (a change means reopening). */
  get candidatesKey(): string {
    return this.#candidates.join(',');
  }

  /** Sends a whole Ethernet frame; false (and counted) when the link refuses it. */
  send(frame: Buffer): boolean {
    try {
      this.#cap.send(frame, frame.length);
      return true;
    } catch {
      this.#observer.sendError(this.ifname);
      return false;
    }
  }

  close(): void {
    try { this.#cap.close(); } catch { /* already closed */ }
  }

  #onFrame(frame: Buffer): void {
    const owns = (ip: string): boolean => this.owned.has(ip);
    const isArp = frame.length >= 14 && frame.readUInt16BE(12) === ETHERTYPE_ARP;
    const protocol = isArp ? 'arp' : 'ndp';
    const d = isArp ? answerArp(frame, this.mac, owns) : answerNs(frame, this.mac, owns);
    if (d.type === 'drop') {
      this.#observer.dropped(d.reason, protocol);
      return;
    }
    this.#observer.request(d.ip, protocol);
    if (this.send(d.frame)) this.#observer.response(d.ip, protocol);
  }
}
