// The time source a BFD session runs on: real in the speaker, manual in tests.

/** Timers, a monotonic millisecond clock and randomness (jitter, discriminators), injected. */
export interface BfdClock {
  /** Milliseconds from an arbitrary origin, never going backwards. */
  now(): number;
  setTimeout(fn: () => void, delayMs: number): unknown;
  /** Accepts undefined and handles of timers that already fired. */
  clearTimeout(handle: unknown): void;
  /** A number in [0, 1). */
  random(): number;
}

/** The process's clock: performance.now, global timers, Math.random. */
export const systemClock: BfdClock = {
  now: () => performance.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
  random: () => Math.random(),
};

/**
 * A clock that moves only when told to (tests): `advance(ms)` runs every timer due by then, in
 * order of due time. `random` returns the values given, cycling, or 0.5.
 */
export class ManualClock implements BfdClock {
  #now = 0;
  #seq = 0;
  #timers = new Map<number, { at: number; seq: number; fn: () => void }>();
  #randoms: number[];
  #ri = 0;

  constructor(randoms: number[] = [0.5]) {
    this.#randoms = randoms;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, delayMs: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, delayMs), seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.#timers.delete(handle);
  }

  random(): number {
    const r = this.#randoms[this.#ri % this.#randoms.length] ?? 0.5;
    this.#ri++;
    return r;
  }

  /** Moves time forward by `ms`, firing due timers (including ones they schedule) in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; seq: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[1].seq < next[1].seq))) next = e;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
    }
    this.#now = end;
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.size;
  }
}
