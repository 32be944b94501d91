// MetalLB's IP sharing rules (metallb allocator `checkSharing`): two Services may hold the same
// address only when both carry the same non-empty sharing key, their ports do not clash (same port
// and protocol), and they send traffic to the same backends: both `externalTrafficPolicy: Cluster`,
// or both `Local` with the same pod selector (DESIGN §4: speakers place a shared IP on one node, so
// Local Services must agree on where the endpoints are).

/** What the allocator needs to decide whether a Service may share an address. */
export interface SharingInfo {
  /** The sharing key; empty means the Service never shares. */
  readonly key: string;
  /** Ports as `PROTOCOL/port` (e.g. `TCP/80`). */
  readonly ports: readonly string[];
  /** "" for `externalTrafficPolicy: Cluster`; for `Local`, a canonical form of the pod selector. */
  readonly backendKey: string;
}

/** Why two Services may not share an address, or undefined when they may. */
export function sharingConflict(a: SharingInfo | undefined, b: SharingInfo | undefined): string | undefined {
  if (!a || !b || a.key === '' || b.key === '') return 'not shareable';
  if (a.key !== b.key) return `sharing key ${JSON.stringify(b.key)} differs`;
  if (a.backendKey !== b.backendKey) return 'externalTrafficPolicy or pod selector differs';
  const clash = a.ports.filter((p) => b.ports.includes(p));
  if (clash.length > 0) return `ports ${clash.join(', ')} clash`;
  return undefined;
}

/** The backend key for sharing: "" for Cluster, the sorted selector for Local. */
export function backendKey(externalTrafficPolicy: string, selector: Readonly<Record<string, string>> | undefined): string {
  if (externalTrafficPolicy !== 'Local') return '';
  return Object.entries(selector ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || 'Local';
}
