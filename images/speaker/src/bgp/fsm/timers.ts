// Timer values: exponential backoff with jitter (RFC 4271 §10 asks for up to 25 % reduction).

/** Multiplies by a random factor in [0.75, 1). */
export function jitter(ms: number, random: () => number): number {
  return Math.round(ms * (0.75 + 0.25 * random()));
}

/** base · 2^failures, capped at max, jittered. */
export function backoffMs(baseSec: number, maxSec: number, failures: number, random: () => number): number {
  const ms = Math.min(baseSec * 1000 * 2 ** Math.min(failures, 30), maxSec * 1000);
  return jitter(ms, random);
}

/** The hold time an OpenSent session waits for the peer's OPEN (RFC 4271 §8.2.2 suggests 4 min). */
export const LARGE_HOLD_TIME_MS = 240_000;

/** RFC 9687 §4: SendHoldTime = max(8 min, 2 × HoldTime). */
export function sendHoldTimeMs(holdTimeSec: number): number {
  return Math.max(480_000, 2 * holdTimeSec * 1000);
}
