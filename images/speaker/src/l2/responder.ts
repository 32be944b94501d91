// The speaker's side of one interface's capture: starts a capture worker (capture-worker.ts) and
// keeps it told which IPs to answer. Sends go through the worker's pcap handle. When the worker
// dies (the link went down, the interface vanished) `onExit` fires and the engine retries.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { frameMessage, MessageReader, MSG, type WorkerCounters } from './capture-protocol.ts';
import { responderFilter } from './bpf.ts';

/** Counters reported by a responder (wired to Prometheus by the metrics module). */
export interface ResponderObserver {
  request(ip: string, protocol: 'arp' | 'ndp', count: number): void;
  response(ip: string, protocol: 'arp' | 'ndp', count: number): void;
  dropped(reason: string, protocol: 'arp' | 'ndp', count: number): void;
  sendError(ifname: string, count: number): void;
}

/**
 * How to start a capture worker: the small worker bundle next to the speaker bundle when there is
 * one (starts in a fraction of the time), else this same program with `--capture-worker`.
 */
export function workerCommand(): { cmd: string; args: string[] } {
  const self = process.argv[1] as string;
  const small = join(dirname(self), 'capture-worker.cjs');
  // The worker runs with the speaker's Node flags (the image's --optimize-for-size keeps its heap small).
  if (self.endsWith('.cjs') && existsSync(small)) return { cmd: process.execPath, args: [...process.execArgv, small] };
  return { cmd: process.execPath, args: [...process.execArgv, self, '--capture-worker'] };
}

/** A capture worker on one interface answering for the IPs in `owned` (call `syncOwned` after changes). */
export class InterfaceResponder {
  readonly ifname: string;
  readonly mac: string;
  readonly owned = new Set<string>();
  readonly candidatesKey: string;
  #child: ChildProcess;
  #alive = true;
  #ready = false;
  #onReady: (() => void) | undefined;

  constructor(ifname: string, mac: string, candidates: readonly string[], observer: ResponderObserver, onExit: (reason: string) => void) {
    this.ifname = ifname;
    this.mac = mac;
    const sorted = [...candidates].sort();
    this.candidatesKey = sorted.join(',');
    const { cmd, args } = workerCommand();
    this.#child = spawn(cmd, [...args, ifname, mac, responderFilter(mac, sorted)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let fatal = '';
    let stderr = '';
    const reader = new MessageReader((type, payload) => {
      if (type === MSG.ready) { this.#ready = true; this.#onReady?.(); }
      else if (type === MSG.fatal) fatal = payload.toString();
      else if (type === MSG.counters) report(JSON.parse(payload.toString()) as WorkerCounters, observer, ifname);
    });
    this.#child.stdout?.on('data', (c: Buffer) => reader.push(c));
    this.#child.stderr?.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-2000); });
    this.#child.stdin?.on('error', () => { /* the worker died; 'exit' reports it */ });
    this.#child.on('exit', (code, signal) => {
      const wasAlive = this.#alive;
      this.#alive = false;
      if (wasAlive) onExit(fatal || `capture worker exited (${signal ?? code})${stderr ? `: ${lastLine(stderr)}` : ''}`);
    });
  }

  /** True while the worker runs. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Resolves once the capture is open (tests and takeover ordering). */
  whenReady(): Promise<void> {
    return this.#ready ? Promise.resolve() : new Promise((r) => { this.#onReady = r; });
  }

  /** Tells the worker the current owned set. */
  syncOwned(): void {
    this.#write(MSG.owned, Buffer.from(JSON.stringify([...this.owned])));
  }

  /** Queues a whole Ethernet frame for sending. */
  send(frame: Buffer): boolean {
    return this.#write(MSG.send, frame);
  }

  /** Stops the worker (it answers nothing more). */
  close(): void {
    this.#alive = false;
    this.#child.stdin?.end();
    this.#child.kill('SIGTERM');
  }

  #write(type: number, payload: Buffer): boolean {
    if (!this.#alive || !this.#child.stdin || this.#child.stdin.destroyed) return false;
    this.#child.stdin.write(frameMessage(type, payload));
    return true;
  }
}

function report(c: WorkerCounters, o: ResponderObserver, ifname: string): void {
  const split = (k: string): ['arp' | 'ndp', string] => {
    const i = k.indexOf(':');
    return [k.slice(0, i) as 'arp' | 'ndp', k.slice(i + 1)];
  };
  for (const [k, n] of Object.entries(c.requests)) { const [p, ip] = split(k); o.request(ip, p, n); }
  for (const [k, n] of Object.entries(c.responses)) { const [p, ip] = split(k); o.response(ip, p, n); }
  for (const [k, n] of Object.entries(c.dropped)) { const [p, r] = split(k); o.dropped(r, p, n); }
  if (c.sendErrors > 0) o.sendError(ifname, c.sendErrors);
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? '';
}
