// The capture worker: a child process that owns one pcap handle (reference/l2.md §B5) and answers
// ARP/NDP for the IPs the speaker says it owns. It is a separate process because `cap` aborts the
// whole process (a C assert in its poll callback) when the interface goes down; here that only
// ends this worker, which the speaker reports and restarts. The worker exits as soon as its stdin
// closes, so it never outlives the speaker (SIGKILL included).
import { answerArp } from './arp.ts';
import { answerNs } from './ndp.ts';
import { ETHERTYPE_ARP } from './ethernet.ts';
import { newCapHandle } from './cap.ts';
import { frameMessage, MessageReader, MSG, type WorkerCounters } from './capture-protocol.ts';

/** 16 MiB: at cap's 64 KiB snaplen that is ~256 ring slots; 1 MiB lost a quarter of a 20k/s burst. */
export const CAPTURE_BUFFER_BYTES = 16 * 1024 * 1024;

/** Runs the worker for `ifname`/`mac` with capture `filter`; never returns normally. */
export function runCaptureWorker(ifname: string, mac: string, filter: string): void {
  const out = (type: number, payload: Uint8Array): void => { process.stdout.write(frameMessage(type, payload)); };
  const fatal = (msg: string): never => {
    out(MSG.fatal, Buffer.from(msg));
    process.stdout.end(() => process.exit(3));
    throw new Error(msg);
  };
  let owned = new Set<string>();
  const counters: WorkerCounters = { requests: {}, responses: {}, dropped: {}, sendErrors: 0 };
  let dirty = false;
  const inc = (m: Record<string, number>, k: string): void => { m[k] = (m[k] ?? 0) + 1; dirty = true; };

  const buf = Buffer.alloc(65535);
  const cap = newCapHandle();
  try {
    cap.open(ifname, filter, CAPTURE_BUFFER_BYTES, buf);
  } catch (err) {
    fatal(`cannot open a capture on ${ifname}: ${(err as Error).message}`);
  }
  const send = (frame: Buffer): boolean => {
    try { cap.send(frame, frame.length); return true; } catch { counters.sendErrors++; dirty = true; return false; }
  };
  const owns = (ip: string): boolean => owned.has(ip);
  cap.on('packet', (n) => {
    const frame = buf.subarray(0, n);
    const isArp = n >= 14 && frame.readUInt16BE(12) === ETHERTYPE_ARP;
    const proto = isArp ? 'arp' : 'ndp';
    const d = isArp ? answerArp(frame, mac, owns) : answerNs(frame, mac, owns);
    if (d.type === 'drop') return inc(counters.dropped, `${proto}:${d.reason}`);
    inc(counters.requests, `${proto}:${d.ip}`);
    if (send(d.frame)) inc(counters.responses, `${proto}:${d.ip}`);
  });

  const flush = (): void => {
    if (!dirty) return;
    out(MSG.counters, Buffer.from(JSON.stringify(counters)));
    counters.requests = {}; counters.responses = {}; counters.dropped = {}; counters.sendErrors = 0;
    dirty = false;
  };
  setInterval(flush, 1000).unref();
  const reader = new MessageReader((type, payload) => {
    if (type === MSG.owned) owned = new Set(JSON.parse(payload.toString()) as string[]);
    else if (type === MSG.send) send(payload);
  });
  process.stdin.on('data', (chunk: Buffer) => reader.push(chunk));
  // The speaker is gone (or closed us): stop at once so nothing answers on its behalf.
  process.stdin.on('end', () => { try { cap.close(); } catch { /* closing */ } process.exit(0); });
  process.on('SIGTERM', () => process.exit(0));
  out(MSG.ready, Buffer.alloc(0));
}
