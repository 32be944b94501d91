// Reads a failover out of the probe's transitions (lab/probe.ts): how long the lost node's IP went
// unanswered, where it went, and whether any other IP stopped or moved. Pure.

/** One transition printed by the probe. */
export interface ProbeEvent {
  t: number;
  target: string;
  ok: boolean;
  node: string;
}

/** What happened to every target after the stop at `t0`. */
export interface FailoverReport {
  lost: string;
  /** Time from the stop until the lost target answered from another node; undefined if it never did. */
  failoverMs: number | undefined;
  /** Node that answers for the lost target at the end. */
  newNode: string | undefined;
  /** Other targets with their transitions after t0 (empty = never stopped, never moved). */
  others: Record<string, ProbeEvent[]>;
}

/** Parses the probe's JSON lines (other lines are ignored). */
export function parseProbeOutput(text: string): ProbeEvent[] {
  const out: ProbeEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"t":')) continue;
    try {
      out.push(JSON.parse(line) as ProbeEvent);
    } catch { /* a partial last line */ }
  }
  return out;
}

/** Analyses the transitions for a stop of `oldNode` (which held `lost`) at time `t0`. */
export function analyseFailover(events: readonly ProbeEvent[], t0: number, lost: string, oldNode: string): FailoverReport {
  const after = events.filter((e) => e.t >= t0);
  const recovered = after.find((e) => e.target === lost && e.ok && e.node !== oldNode);
  const lastForLost = [...events].reverse().find((e) => e.target === lost);
  const others: Record<string, ProbeEvent[]> = {};
  for (const target of new Set(events.map((e) => e.target))) {
    if (target !== lost) others[target] = after.filter((e) => e.target === target);
  }
  return {
    lost,
    failoverMs: recovered ? recovered.t - t0 : undefined,
    newNode: lastForLost?.ok ? lastForLost.node : undefined,
    others,
  };
}
