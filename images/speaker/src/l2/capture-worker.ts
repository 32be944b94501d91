// The capture worker: a child process that owns one pcap handle (reference/l2.md §B5) and answers
// ARP/NDP for the IPs the speaker says it owns. It is a separate process because `cap` aborts the
// whole process (a C assert in its poll callback) when the interface goes down; here that only
// ends this worker, which the speaker reports and restarts. The worker exits as soon as its stdin
// closes, so it never outlives the speaker (SIGKILL included).
import { AnswerTable, NA_FRAME_LEN, Verdict } from './answer-table.ts';
import { ARP_FRAME_LEN, ARP_OP_REQUEST, encodeArp } from './arp.ts';
import { encodeNs } from './ndp.ts';
import { newCapHandle } from './cap.ts';
import { frameMessage, MessageReader, MSG } from './capture-protocol.ts';

/**
 * 8 MiB (DESIGN §6: 8–16 MiB). cap fixes the snaplen at 65535, so libpcap's ring (TPACKET_V2 in
 * immediate mode) has one 128 KiB block per 64 KiB frame slot: 8 MiB gives 127 slots and 16 MiB of
 * resident ring (16 MiB gave 255 slots and 32 MiB resident, measured in /proc/PID/smaps). 127 slots
 * hold ~6 ms of a 20k/s burst, and the worker drains a request in a few µs; 1 MiB (15 slots) lost a
 * quarter of such a burst.
 */
export const CAPTURE_BUFFER_BYTES = 8 * 1024 * 1024;

/** Source MAC of the warm-up requests (locally administered; they are never sent). */
const WARM_MAC = '02:00:00:00:00:01';

/** Runs the worker for `ifname`/`mac` with capture `filter`; never returns normally. */
export function runCaptureWorker(ifname: string, mac: string, filter: string): void {
  const out = (type: number, payload: Uint8Array): void => { process.stdout.write(frameMessage(type, payload)); };
  const fatal = (msg: string): never => {
    out(MSG.fatal, Buffer.from(msg));
    process.stdout.end(() => process.exit(3));
    throw new Error(msg);
  };
  // The worker answers by itself: requests never cross the pipe to the speaker, only the owned set
  // (on placement changes) comes in and counters (about once a second) go out.
  const table = new AnswerTable(mac);
  table.warmUp(
    encodeArp({ ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: WARM_MAC, op: ARP_OP_REQUEST, sha: WARM_MAC, spa: '192.0.2.1', tha: '00:00:00:00:00:00', tpa: '192.0.2.2' }),
    encodeNs({ src: '2001:db8::1', srcMac: WARM_MAC, target: '2001:db8::2' }),
    ['192.0.2.2', '2001:db8::2'],
  );
  const buf = Buffer.alloc(65535);
  const cap = newCapHandle();
  try {
    cap.open(ifname, filter, CAPTURE_BUFFER_BYTES, buf);
  } catch (err) {
    fatal(`cannot open a capture on ${ifname}: ${(err as Error).message}`);
  }
  const send = (frame: Buffer, len: number): boolean => {
    try { cap.send(frame, len); return true; } catch { table.sendError(); return false; }
  };
  cap.on('packet', (n) => {
    const v = table.answer(buf, n);
    if (v === Verdict.Drop) return;
    if (send(v === Verdict.ArpReply ? table.arpReply : table.naReply, v === Verdict.ArpReply ? ARP_FRAME_LEN : NA_FRAME_LEN)) table.responded();
  });

  const flush = (): void => {
    const c = table.takeCounters();
    if (c) out(MSG.counters, Buffer.from(JSON.stringify(c)));
  };
  setInterval(flush, 1000).unref();
  const reader = new MessageReader((type, payload) => {
    if (type === MSG.owned) {
      flush(); // counters are per table slot, which the new set renumbers
      table.setOwned(JSON.parse(payload.toString()) as string[]);
    } else if (type === MSG.send) send(payload, payload.length);
  });
  process.stdin.on('data', (chunk: Buffer) => reader.push(chunk));
  // The speaker is gone (or closed us): stop at once so nothing answers on its behalf.
  process.stdin.on('end', () => { try { cap.close(); } catch { /* closing */ } process.exit(0); });
  process.on('SIGTERM', () => process.exit(0));
  out(MSG.ready, Buffer.alloc(0));
}
