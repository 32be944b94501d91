// L2 placement (DESIGN §4): which node announces each IP of a Service. Pure and deterministic, so
// the hooks and every speaker compute the same answer from the same view.
//
// Two node sets per class: `eligible` (class nodeSelector minus the exclusion label; only changes
// to it may change preferred nodes) and `available` (eligible, speaker live, no NetworkUnavailable,
// and for externalTrafficPolicy Local a ready endpoint). IPs are given in canonical text form
// (lib/net formatIP): the rendezvous score hashes the text, so every caller must format alike.
import { createHash } from 'node:crypto';
import { parseIP, formatIP } from '../net/index.ts';

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Eligible nodes in placement order: ascending sha256(`<class>#<node>`), ties by name. */
export function orderEligible(className: string, eligible: Iterable<string>): string[] {
  const keyed = [...new Set(eligible)].map((node) => ({ node, h: sha256(`${className}#${node}`).toString('hex') }));
  keyed.sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.node < b.node ? -1 : 1));
  return keyed.map((k) => k.node);
}

/** Per-Service rotation: the first 8 bytes of sha256(key) as an unsigned integer, modulo `count`. */
export function rotationOffset(serviceKey: string, count: number): number {
  if (count <= 0) return 0;
  return Number(sha256(serviceKey).readBigUInt64BE(0) % BigInt(count));
}

/** Rendezvous score of a node for an IP: sha256(`<ip>#<node>`), compared as bytes. */
export function rendezvousScore(ip: string, node: string): Buffer {
  return sha256(`${ip}#${node}`);
}

/** Input of `placeService`. */
export interface PlaceServiceInput {
  className: string;
  /** Eligible nodes of the class (any order; ordering is computed here unless `ordered` is given). */
  eligible: Iterable<string>;
  /** Eligible nodes in placement order, from `orderEligible` (callers placing many Services cache it). */
  ordered?: readonly string[];
  /** Available nodes for this Service (a subset of eligible; see the module doc). */
  available: ReadonlySet<string>;
  /** `<namespace>/<name>`, or the sharing key for a shared IP. */
  serviceKey: string;
  /** The Service's IPs in index order; IPv4 and IPv6 may be mixed, each family has its own index. */
  ips: readonly string[];
}

/** Where one IP goes: `node`, or none with a reason. `preferred` is the node it returns to. */
export type IpPlacement =
  | { ip: string; index: number; node: string; preferred: string; fallback: boolean }
  | { ip: string; index: number; node: undefined; preferred: string | undefined; reason: 'NoEligibleNodes' | 'NoAvailableNodes' };

/**
 * Places each IP of one Service (DESIGN §4). Index i of each family goes to the i-th node after the
 * Service's rotation; IPv4 i and IPv6 i form one unit and always share a node (A/AAAA pairs). A unit
 * whose preferred node is unavailable falls back, in index order, to the available node with the
 * highest rendezvous score for the unit's first IP among nodes not already holding another unit of
 * the Service (any available node when all hold one). Units on available preferred nodes never move.
 */
export function placeService(input: PlaceServiceInput): IpPlacement[] {
  const ordered = input.ordered ?? orderEligible(input.className, input.eligible);
  const units = groupByIndex(input.ips);
  const count = ordered.length;
  const indexes = familyIndexes(input.ips);
  if (count === 0) return input.ips.map((ip, k) => ({ ip, index: indexes[k] as number, node: undefined, preferred: undefined, reason: 'NoEligibleNodes' as const }));
  const offset = rotationOffset(input.serviceKey, count);
  const preferred = units.map((_, i) => ordered[(offset + i) % count] as string);
  const holder: (string | undefined)[] = preferred.map((p) => (input.available.has(p) ? p : undefined));
  const holding = new Set(holder.filter((h): h is string => h !== undefined));
  const avail = ordered.filter((n) => input.available.has(n));
  units.forEach((unit, i) => {
    if (holder[i] !== undefined || avail.length === 0) return;
    const free = avail.filter((n) => !holding.has(n));
    const pool = free.length > 0 ? free : avail;
    const key = unit[0] as string;
    let best = pool[0] as string;
    let bestScore = rendezvousScore(key, best);
    for (const n of pool.slice(1)) {
      const s = rendezvousScore(key, n);
      if (Buffer.compare(s, bestScore) > 0) { best = n; bestScore = s; }
    }
    holder[i] = best;
    holding.add(best);
  });
  const out: IpPlacement[] = [];
  input.ips.forEach((ip, k) => {
    const index = indexes[k] as number;
    const node = holder[index];
    const pref = preferred[index] as string;
    out.push(node === undefined
      ? { ip, index, node: undefined, preferred: pref, reason: 'NoAvailableNodes' }
      : { ip, index, node, preferred: pref, fallback: node !== pref });
  });
  return out;
}

/** Family index of each IP: how many IPs of the same family come before it. */
function familyIndexes(ips: readonly string[]): number[] {
  let v4 = 0;
  let v6 = 0;
  return ips.map((ip) => (familyOf(ip) === 4 ? v4++ : v6++));
}

function familyOf(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}

/** Units by index: [IPv4 i?, IPv6 i?], IPv4 first; the unit count is the larger family's count. */
function groupByIndex(ips: readonly string[]): string[][] {
  const v4 = ips.filter((ip) => familyOf(ip) === 4);
  const v6 = ips.filter((ip) => familyOf(ip) === 6);
  const n = Math.max(v4.length, v6.length);
  const units: string[][] = [];
  for (let i = 0; i < n; i++) units.push([v4[i], v6[i]].filter((x): x is string => x !== undefined));
  return units;
}

/** Facts about a node used to derive the available set. */
export interface NodeFacts {
  /** Its speaker is live (membership). */
  live: boolean;
  /** Node condition NetworkUnavailable=True. */
  networkUnavailable?: boolean;
}

/**
 * Available nodes for a Service: eligible, live, network available, and for ETP Local among
 * `endpointNodes`. `endpointNodes` undefined = every node counts as having endpoints; present and
 * empty = no ready endpoint, so no node is available whatever the policy (§2.1).
 */
export function availableNodes(
  eligible: Iterable<string>,
  facts: (node: string) => NodeFacts,
  opts: { externalTrafficPolicy: 'Cluster' | 'Local'; endpointNodes?: ReadonlySet<string> },
): Set<string> {
  const out = new Set<string>();
  // Present and empty: the Service has no ready endpoint anywhere and is announced nowhere (§2.1).
  if (opts.endpointNodes && opts.endpointNodes.size === 0) return out;
  for (const n of eligible) {
    const f = facts(n);
    if (!f.live || f.networkUnavailable) continue;
    if (opts.externalTrafficPolicy === 'Local' && opts.endpointNodes && !opts.endpointNodes.has(n)) continue;
    out.add(n);
  }
  return out;
}

/** Canonical text of an IP for placement (same string in hooks and speakers). */
export function placementIP(ip: string): string {
  return formatIP(parseIP(ip));
}
