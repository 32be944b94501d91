// Small builders for IPAM tests: pools and requests from text.
import { formatIP, parseIP } from '../../lib/net/index.ts';
import { resolvePools, type AllocationRequest, type Allocation, type PoolSpec, type SharingInfo } from '../../lib/ipam/index.ts';

/** One pool from entries (no overlap resolution). */
export function pool(name: string, addresses: string[], opts: { autoAssign?: boolean; avoidBuggyIPs?: boolean } = {}): PoolSpec {
  const r = resolvePools([{ name, addresses, ...opts }])[0];
  if (!r) throw new Error('no pool');
  return r.spec;
}

/** A request with sensible defaults: IPv4, count 1, nothing held. */
export function req(id: string, o: Partial<Omit<AllocationRequest, 'current' | 'pins'>> & { current?: string[]; pins?: string[] } = {}): AllocationRequest {
  return {
    id,
    pool: o.pool ?? 'p',
    families: o.families ?? [4],
    count: o.count ?? 1,
    current: (o.current ?? []).map(parseIP),
    pins: (o.pins ?? []).map(parseIP),
    ...(o.sharing ? { sharing: o.sharing } : {}),
    ...(o.blockNew ? { blockNew: o.blockNew } : {}),
  };
}

export function share(key: string, ports: string[], backendKey = ''): SharingInfo {
  return { key, ports, backendKey };
}

/** The addresses of a request in slot order ("-" for an empty slot with its reason). */
export function ips(a: Allocation, id: string): string[] {
  const r = a.results.get(id);
  if (!r) throw new Error(`no result for ${id}`);
  return r.slots.map((s) => (s.ip ? formatIP(s.ip) : `-${s.failure?.reason ?? '?'}`));
}
