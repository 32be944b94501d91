// One watch response: JSON lines `{"type":...,"object":...}` on a chunked HTTP response, fed by a
// store watch, with bookmarks and the fault-injection hooks (delay, pause, drop) the tests use.
import type { ServerResponse } from 'node:http';
import { StatusError } from './errors.ts';
import type { KubeObject, WatchEvent, WatchHandle } from './store.ts';

/** Options of a watch stream. */
export interface WatchStreamOptions {
  /** Turns a stored object into what this endpoint shows (views, Table). */
  present: (o: KubeObject) => unknown;
  /** Object for a BOOKMARK at the given version (kind and apiVersion of the endpoint). */
  bookmark: (resourceVersion: string) => unknown;
  /** Current store version, for bookmarks. */
  currentVersion: () => string;
  bookmarkIntervalMs: number | undefined;
  timeoutMs: number | undefined;
  /** Delivery delay per event (fault injection), read for each event. */
  delayMs: () => number;
  /** While true, events wait (the server "stopped answering"). */
  paused: () => boolean;
  onClose: () => void;
}

/** A running watch response; events are delivered in order, after `delayMs`, unless paused. */
export class WatchStream {
  readonly #res: ServerResponse;
  readonly #opts: WatchStreamOptions;
  readonly #queue: { due: number; line: string; end: boolean }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #bookmarkTimer: NodeJS.Timeout | undefined;
  #timeoutTimer: NodeJS.Timeout | undefined;
  #handle: WatchHandle | undefined;
  #closed = false;

  constructor(res: ServerResponse, opts: WatchStreamOptions) {
    this.#res = res;
    this.#opts = opts;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    res.on('close', () => this.close());
    // A held request (stopAnswering) may be answered after its client went away.
    if (res.destroyed || !res.socket || res.socket.destroyed) queueMicrotask(() => this.close());
    if (opts.bookmarkIntervalMs) {
      this.#bookmarkTimer = setInterval(() => this.#enqueue({ type: 'BOOKMARK', object: opts.bookmark(opts.currentVersion()) }, false), opts.bookmarkIntervalMs);
    }
    if (opts.timeoutMs) this.#timeoutTimer = setTimeout(() => this.end(), opts.timeoutMs);
  }

  /** Connects the store watch (after construction, since the store replays synchronously). */
  attach(handle: WatchHandle): void {
    if (this.#closed) handle.stop();
    else this.#handle = handle;
  }

  /** Receives a store event. */
  send(e: WatchEvent): void {
    if (e.object instanceof StatusError) {
      // 410 and other errors travel as an ERROR event carrying a Status, then the watch ends.
      this.#enqueue({ type: 'ERROR', object: e.object.toStatus() }, true);
      return;
    }
    this.#enqueue({ type: e.type, object: this.#opts.present(e.object) }, false);
  }

  #enqueue(event: { type: string; object: unknown }, end: boolean): void {
    if (this.#closed) return;
    this.#queue.push({ due: Date.now() + this.#opts.delayMs(), line: `${JSON.stringify(event)}\n`, end });
    this.#flush();
  }

  /** Writes due events; re-arms a timer for the next one (or to poll while paused). */
  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (!this.#closed && this.#queue.length > 0) {
      const next = this.#queue[0]!;
      const wait = this.#opts.paused() ? 50 : next.due - Date.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => this.#flush(), wait);
        return;
      }
      this.#queue.shift();
      this.#res.write(next.line);
      if (next.end) this.end();
    }
  }

  /** Ends the response cleanly (as the API server's watch timeout does); clients resume from their version. */
  end(): void {
    if (this.#closed) return;
    this.#res.end();
    this.close();
  }

  /** Drops the connection without a clean end (connection reset). */
  reset(): void {
    if (this.#closed) return;
    this.#res.destroy();
    this.close();
  }

  /** Stops the store watch and the timers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle?.stop();
    clearTimeout(this.#timer);
    clearInterval(this.#bookmarkTimer);
    clearTimeout(this.#timeoutTimer);
    this.#opts.onClose();
  }
}
