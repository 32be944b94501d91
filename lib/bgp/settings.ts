// BGP settings (ModuleConfig `metallb`, settings version 2: bgpPeers, addressPools with protocol
// bgp, bgpCommunities, speaker.nodeSelector) turned into `metallb.internal.bgp` values
// (docs/DEVELOPMENT.md) with every problem the schema cannot catch reported as a sentence naming
// the field. A bad part is left out and the rest keeps working; nothing is dropped silently:
// - an unknown or malformed community name leaves out its whole advertisement (announcing without,
//   say, no-export would leak routes: not announcing is the safe side);
// - `router-id` / `source-address` on a peer whose node-selector matches more than one speaker node
//   are left out (each node uses its own address), as is a source address of the other family;
// - a hold time below 3 s (other than 0) leaves out the peer;
// - an aggregation length shorter than the pool's own prefixes (the aggregated route would cover
//   addresses outside the pool and attract their traffic, MetalLB refuses it too) leaves out the
//   advertisement;
// - a pool entry that is no address, range or CIDR is left out; a later pool of a duplicate name is
//   left out whole.
// Pure: the caller hands in the settings object and the Nodes.
import { matchesSelector, requirementErrors, selectorRequirements, type LabelSelector, type SelectorRequirement } from '../kube/labels.ts';
import { parseDuration, formatDuration } from '../duration.ts';
import { familyBits, formatIP, tryParseIP, tryParseRange, type AddressRange } from '../net/index.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** Nodes with this label never announce (Kubernetes well-known label). */
export const EXCLUDE_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/** `internal.bgp.peers[]`. */
export interface PeerValue {
  index: number;
  peerAddress: string;
  peerASN: number;
  myASN: number;
  peerPort: number;
  holdTime: string;
  nodeSelector?: { matchLabels: Record<string, string>; matchExpressions: SelectorRequirement[] };
  hasPassword: boolean;
  sourceAddress: string;
  routerID: string;
  ebgpMultihop: boolean;
  gracefulRestart: boolean;
  bfd: { receiveInterval: string; transmitInterval: string; detectMultiplier: number } | null;
}

/** One advertisement of a pool, communities resolved. */
export interface AdvertisementValue {
  aggregationLength: number;
  aggregationLengthV6: number;
  localPref: number | null;
  communities: string[];
  largeCommunities: string[];
}

/** `internal.bgp.pools[]`. */
export interface PoolValue {
  name: string;
  addresses: string[];
  autoAssign: boolean;
  avoidBuggyIPs: boolean;
  advertisements: AdvertisementValue[];
}

/** A configuration problem: the settings path and what is wrong (and what was left out). */
export interface SettingsProblem {
  readonly field: string;
  readonly message: string;
}

/** The node fields the settings check needs. */
export interface BgpNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Everything derived from the BGP settings. */
export interface BgpSettings {
  readonly peers: PeerValue[];
  readonly pools: PoolValue[];
  /** settings.speaker.nodeSelector; only meaningful when pools exist. */
  readonly speakerSelector: Record<string, string>;
  /** settings.loadBalancerClass ("" when unset). */
  readonly loadBalancerClass: string;
  readonly problems: SettingsProblem[];
}

const isObj = (v: Json | undefined): v is Obj => v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
const str = (v: Json | undefined, d = ''): string => (typeof v === 'string' ? v : d);
const num = (v: Json | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const bool = (v: Json | undefined, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
const stringMap = (v: Json | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  if (!isObj(v)) return out;
  for (const k of Object.keys(v).sort()) if (typeof v[k] === 'string') out[k] = v[k] as string;
  return out;
};

const STANDARD = /^(\d{1,5}):(\d{1,5})$/;
const LARGE = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/;

/** Classifies a community value: standard (RFC 1997) or large (RFC 8092), else undefined. */
export function communityKind(value: string): 'standard' | 'large' | undefined {
  const s = STANDARD.exec(value);
  if (s) return Number(s[1]) <= 0xffff && Number(s[2]) <= 0xffff ? 'standard' : undefined;
  const l = LARGE.exec(value);
  if (l) return [l[1], l[2], l[3]].every((x) => Number(x) <= 0xffffffff) ? 'large' : undefined;
  return undefined;
}

/** The speaker nodes of the BGP pools: matching settings.speaker.nodeSelector, not excluded. */
export function speakerNodes(nodes: readonly BgpNode[], speakerSelector: Readonly<Record<string, string>>): BgpNode[] {
  return nodes.filter((n) => !Object.hasOwn(n.labels, EXCLUDE_LABEL) && matchesSelector(n.labels, speakerSelector));
}

/** Reads the BGP part of the module settings. `nodes` are all Nodes (for the per-node field rule). */
export function parseBgpSettings(settings: Readonly<Record<string, unknown>>, nodes: readonly BgpNode[]): BgpSettings {
  const s = settings as Obj;
  const problems: SettingsProblem[] = [];
  const speakerSelector = stringMap(isObj(s.speaker) ? s.speaker.nodeSelector : undefined);
  const communities = isObj(s.bgpCommunities) ? s.bgpCommunities : {};
  const pools = parsePools(Array.isArray(s.addressPools) ? s.addressPools : [], communities, problems);
  const speakers = speakerNodes(nodes, speakerSelector);
  const peers = (Array.isArray(s.bgpPeers) ? s.bgpPeers : []).flatMap((p, i) => {
    const v = parsePeer(p, i, speakers, problems);
    return v ? [v] : [];
  });
  return { peers, pools, speakerSelector, loadBalancerClass: str(s.loadBalancerClass), problems };
}

function parsePools(list: Json[], communities: Obj, problems: SettingsProblem[]): PoolValue[] {
  const out: PoolValue[] = [];
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    if (!isObj(raw) || raw.protocol !== 'bgp') return;
    const field = `addressPools[${i}]`;
    const name = str(raw.name);
    if (name === '') { problems.push({ field: `${field}.name`, message: 'a BGP pool needs a name; pool left out' }); return; }
    if (seen.has(name)) { problems.push({ field: `${field}.name`, message: `pool name ${JSON.stringify(name)} is used twice; this one is left out` }); return; }
    seen.add(name);
    const addresses: string[] = [];
    (Array.isArray(raw.addresses) ? raw.addresses : []).forEach((a, j) => {
      if (typeof a === 'string' && tryParseRange(a.trim())) addresses.push(a.trim());
      else problems.push({ field: `${field}.addresses[${j}]`, message: `${JSON.stringify(a)} is not an address, range (first-last, first <= last) or CIDR; left out` });
    });
    const rawAds = Array.isArray(raw['bgp-advertisements']) ? raw['bgp-advertisements'] : [{}];
    const advertisements: AdvertisementValue[] = [];
    const ranges = addresses.map((a) => tryParseRange(a) as AddressRange);
    rawAds.forEach((ad, j) => {
      const adField = `${field}.bgp-advertisements[${j}]`;
      const v = parseAdvertisement(isObj(ad) ? ad : {}, adField, communities, problems);
      if (!v) return;
      const wide = ranges.find((r) => !aggregatesInside(r, r.first.family === 4 ? v.aggregationLength : v.aggregationLengthV6));
      if (wide) {
        const key = wide.first.family === 4 ? 'aggregation-length' : 'aggregation-length-v6';
        problems.push({ field: `${adField}.${key}`, message: `/${wide.first.family === 4 ? v.aggregationLength : v.aggregationLengthV6} routes would cover addresses outside the pool entry ${formatIP(wide.first)}-${formatIP(wide.last)}; advertisement left out` });
        return;
      }
      advertisements.push(v);
    });
    out.push({
      name,
      addresses,
      autoAssign: bool(raw['auto-assign'], true),
      avoidBuggyIPs: bool(raw['avoid-buggy-ips'], false),
      advertisements,
    });
  });
  return out;
}

/** Whether every /length prefix of the range's addresses lies inside the range (both ends aligned). */
export function aggregatesInside(r: AddressRange, length: number): boolean {
  const block = 1n << BigInt(familyBits(r.first.family) - length);
  return r.first.value % block === 0n && (r.last.value + 1n) % block === 0n;
}

function parseAdvertisement(ad: Obj, field: string, communities: Obj, problems: SettingsProblem[]): AdvertisementValue | undefined {
  const std: string[] = [];
  const large: string[] = [];
  let bad = false;
  (Array.isArray(ad.communities) ? ad.communities : []).forEach((c, k) => {
    const name = str(c);
    const value = communities[name];
    if (typeof value !== 'string') {
      problems.push({ field: `${field}.communities[${k}]`, message: `community ${JSON.stringify(name)} is not defined in bgpCommunities; advertisement left out (its routes are not announced)` });
      bad = true;
      return;
    }
    const kind = communityKind(value.trim());
    if (kind === undefined) {
      problems.push({ field: `bgpCommunities.${name}`, message: `${JSON.stringify(value)} is neither a community a:b (0..65535) nor a large community a:b:c (0..4294967295); advertisement ${field} left out` });
      bad = true;
      return;
    }
    (kind === 'standard' ? std : large).push(value.trim());
  });
  if (bad) return undefined;
  const localPref = num(ad.localpref);
  return {
    aggregationLength: num(ad['aggregation-length']) ?? 32,
    aggregationLengthV6: num(ad['aggregation-length-v6']) ?? 128,
    localPref: localPref ?? null,
    communities: [...new Set(std)].sort(),
    largeCommunities: [...new Set(large)].sort(),
  };
}

function parsePeer(raw: Json, i: number, speakers: readonly BgpNode[], problems: SettingsProblem[]): PeerValue | undefined {
  const field = `bgpPeers[${i}]`;
  if (!isObj(raw)) return undefined;
  const peer = tryParseIP(str(raw['peer-address']).trim());
  if (!peer) { problems.push({ field: `${field}.peer-address`, message: `${JSON.stringify(raw['peer-address'])} is not an IP address; peer left out` }); return undefined; }
  const peerASN = num(raw['peer-asn']);
  const myASN = num(raw['my-asn']);
  if (peerASN === undefined || myASN === undefined) { problems.push({ field, message: 'peer-asn and my-asn are required; peer left out' }); return undefined; }
  let holdMs = 90_000;
  const hold = raw['hold-time'];
  if (hold !== undefined && hold !== null) {
    try {
      holdMs = parseDuration(typeof hold === 'number' ? hold : str(hold));
    } catch (err) {
      problems.push({ field: `${field}.hold-time`, message: `${(err as Error).message}; peer left out` });
      return undefined;
    }
    if (holdMs !== 0 && holdMs < 3000) { problems.push({ field: `${field}.hold-time`, message: `${formatDuration(holdMs)} is below 3s (RFC 4271: 0 or at least 3 s); peer left out` }); return undefined; }
    if (holdMs % 1000 !== 0) holdMs = Math.round(holdMs / 1000) * 1000;
  }

  let nodeSelector: PeerValue['nodeSelector'];
  let matched = speakers;
  if (isObj(raw['node-selector'])) {
    const ns = raw['node-selector'];
    const sel: LabelSelector = {
      matchLabels: stringMap(ns.matchLabels),
      matchExpressions: (Array.isArray(ns.matchExpressions) ? ns.matchExpressions : []).filter(isObj).map((e) => ({
        key: str(e.key),
        operator: str(e.operator) as SelectorRequirement['operator'],
        ...(Array.isArray(e.values) ? { values: e.values.filter((x): x is string => typeof x === 'string') } : {}),
      })),
    };
    const errs = selectorRequirements(sel).flatMap(requirementErrors);
    if (errs.length > 0) { problems.push({ field: `${field}.node-selector`, message: `${errs.join('; ')}; peer left out` }); return undefined; }
    nodeSelector = { matchLabels: { ...sel.matchLabels }, matchExpressions: [...(sel.matchExpressions ?? [])] };
    matched = speakers.filter((n) => matchesSelector(n.labels, sel));
  }

  // Router IDs must differ per node (DESIGN §3): a fixed one is valid only for a peer of one node.
  const perNode = (key: 'router-id' | 'source-address'): string => {
    const text = str(raw[key]).trim();
    if (text === '') return '';
    const a = tryParseIP(text);
    if (!a || (key === 'router-id' && a.family !== 4)) { problems.push({ field: `${field}.${key}`, message: `${JSON.stringify(text)} is not ${key === 'router-id' ? 'an IPv4 address' : 'an IP address'}; left out` }); return ''; }
    if (key === 'source-address' && a.family !== peer.family) { problems.push({ field: `${field}.${key}`, message: `${text} is not of the peer address's family; left out (each node uses its own address)` }); return ''; }
    if (matched.length > 1) {
      problems.push({ field: `${field}.${key}`, message: `the peer's node-selector matches ${matched.length} speaker nodes (${matched.map((n) => n.name).sort().slice(0, 5).join(', ')}${matched.length > 5 ? ', ...' : ''}); ${key} is only valid for a peer of one node; left out (each node uses its own address)` });
      return '';
    }
    return formatIP(a);
  };
  const bfdRaw = raw.bfd;
  let bfd: PeerValue['bfd'] = null;
  if (isObj(bfdRaw)) {
    bfd = {
      receiveInterval: str(bfdRaw['receive-interval'], '300ms'),
      transmitInterval: str(bfdRaw['transmit-interval'], '300ms'),
      detectMultiplier: num(bfdRaw['detect-multiplier']) ?? 3,
    };
  }
  return {
    index: i,
    peerAddress: formatIP(peer),
    peerASN,
    myASN,
    peerPort: num(raw['peer-port']) ?? 179,
    holdTime: formatDuration(holdMs),
    ...(nodeSelector ? { nodeSelector } : {}),
    hasPassword: str(raw.password) !== '',
    sourceAddress: perNode('source-address'),
    routerID: perNode('router-id'),
    ebgpMultihop: bool(raw['ebgp-multihop'], false),
    gracefulRestart: bool(raw['graceful-restart'], false),
    bfd,
  };
}
