// Parsing of the Service annotations and fields the L2 IPAM reads. Every problem becomes a sentence
// for a Warning Event `InvalidAnnotation`; parsing never throws and never loses a Service's IPs.
import { tryParseIP, type IPAddress, type IPFamily } from '../net/index.ts';
import { Annotations, DEPRECATED_L2_ANNOTATIONS, MAX_IPS_PER_FAMILY, type ServiceRecord } from './types.ts';

/** What a Service asks of the IPAM, with the problems found on the way. */
export interface ServiceWish {
  /** IPs per family; undefined: the count annotation is invalid (keep what the Service holds). */
  readonly count: number | undefined;
  /** Pins in annotation order; spec.loadBalancerIP pins index 0 of its family unless the annotation does. */
  readonly pins: readonly IPAddress[];
  /** The sharing key; "" when the Service does not share. */
  readonly sharingKey: string;
  /** Sentences for Warning Events `InvalidAnnotation`. */
  readonly problems: readonly string[];
  /** Deprecated MetalLB annotations present on the Service (metric, alert). */
  readonly deprecated: readonly string[];
}

const COUNT_TEXT = /^[0-9]+$/;

/** Parses the count annotation: a decimal 1..256; absent means 1. */
export function parseIPsCount(text: string | undefined): { count: number } | { problem: string } {
  if (text === undefined) return { count: 1 };
  const t = text.trim();
  if (!COUNT_TEXT.test(t)) return { problem: `${Annotations.ipsCount}: ${JSON.stringify(text)} is not a positive integer` };
  const n = Number(t);
  if (n < 1 || n > MAX_IPS_PER_FAMILY) return { problem: `${Annotations.ipsCount}: ${t} is outside 1..${MAX_IPS_PER_FAMILY}` };
  return { count: n };
}

/** Parses the comma list of pinned IPs; entries that are not addresses are reported and skipped. */
export function parsePinnedIPs(text: string | undefined): { pins: IPAddress[]; problems: string[] } {
  const pins: IPAddress[] = [];
  const problems: string[] = [];
  if (text === undefined || text.trim() === '') return { pins, problems };
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const a = tryParseIP(entry);
    if (a) pins.push(a);
    else problems.push(`${Annotations.pinnedIPs}: ${JSON.stringify(entry)} is not an IP address`);
  }
  return { pins, problems };
}

/** Reads everything the IPAM needs from one Service. */
export function readServiceWish(svc: ServiceRecord): ServiceWish {
  const problems: string[] = [];
  const c = parseIPsCount(svc.annotations[Annotations.ipsCount]);
  if ('problem' in c) problems.push(c.problem);
  const p = parsePinnedIPs(svc.annotations[Annotations.pinnedIPs]);
  problems.push(...p.problems);
  const pins = [...p.pins];
  if (svc.loadBalancerIP !== '') {
    const a = tryParseIP(svc.loadBalancerIP.trim());
    if (!a) problems.push(`spec.loadBalancerIP: ${JSON.stringify(svc.loadBalancerIP)} is not an IP address`);
    else if (!pins.some((x) => x.family === a.family)) pins.unshift(a);
  }
  return {
    count: 'count' in c ? c.count : undefined,
    pins,
    sharingKey: (svc.annotations[Annotations.sharedIPKey] ?? '').trim(),
    problems,
    deprecated: DEPRECATED_L2_ANNOTATIONS.filter((k) => svc.annotations[k] !== undefined),
  };
}

/**
 * The families a Service gets from a pool, IPv4 first: spec.ipFamilies under spec.ipFamilyPolicy.
 * SingleStack (or no policy) takes the first family; PreferDualStack takes the families the pool has
 * (at least the first); RequireDualStack takes all, and a family the pool lacks is reported as
 * unassigned. No ipFamilies: the pool's first family.
 */
export function serviceFamilies(svc: Pick<ServiceRecord, 'ipFamilies' | 'ipFamilyPolicy'>, poolFamilies: readonly IPFamily[]): IPFamily[] {
  const asked = svc.ipFamilies.map((f) => (f === 'IPv6' ? 6 : f === 'IPv4' ? 4 : undefined)).filter((f): f is IPFamily => f !== undefined);
  const fams: IPFamily[] = asked.length > 0 ? [...new Set(asked)] : [poolFamilies[0] ?? 4];
  let chosen: IPFamily[];
  if (svc.ipFamilyPolicy === 'RequireDualStack') chosen = fams;
  else if (svc.ipFamilyPolicy === 'PreferDualStack') {
    const present = fams.filter((f) => poolFamilies.includes(f));
    chosen = present.length > 0 ? present : fams.slice(0, 1);
  } else chosen = fams.slice(0, 1);
  return [...chosen].sort((a, b) => a - b);
}

/**
 * IPs per family when the count annotation is invalid: what the Service had. Its last
 * `k of N public IPs were assigned` gives N over its families (stable even when some indexes are
 * unassigned); without it, the IPs it holds per family; at least 1.
 */
export function keptCount(assignedMessage: string | undefined, families: number, heldPerFamily: number): number {
  const m = /^\d+ of (\d+) /.exec(assignedMessage ?? '');
  const total = m ? Number(m[1]) : NaN;
  if (families > 0 && Number.isInteger(total) && total > 0 && total % families === 0) {
    return Math.min(MAX_IPS_PER_FAMILY, total / families);
  }
  return Math.max(1, heldPerFamily);
}
