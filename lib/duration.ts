// Durations as users write them: "50ms", "3s", "1m30s", or a bare number of seconds.
// The ModuleConfig schema also allows Go-style "h", "d", "w" and "y" units (today's module).

export class DurationError extends Error {
  override readonly name = 'DurationError';
  constructor(readonly input: string) {
    super(`not a duration (use a number with a unit: 200ms, 3s, 1m): ${JSON.stringify(input)}`);
  }
}

const UNIT_MS: Record<string, number> = {
  ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000,
};

/** Milliseconds in a duration string or a number of seconds. Throws DurationError. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new DurationError(String(input));
    return Math.round(input * 1000);
  }
  const s = input.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new DurationError(input);
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = re.lastIndex;
  }
  if (s.length === 0) throw new DurationError(input);
  return Math.round(total);
}

/** Shortest text for a duration in milliseconds ("50ms", "3s", "90s"). */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
