// Parser of the speaker's static configuration (DESIGN §2.1): YAML text in, a typed
// `StaticConfig` out, or a `ConfigError` listing every problem with the field it is in
// (`l2.services[0].ips[1]: not an IP address: "192.0.2.300"`).
import yaml from 'js-yaml';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parseDuration } from '../duration.ts';
import { formatIP, formatPrefix, tryParseIP, tryParsePrefix } from '../net/index.ts';
import { staticConfigSchema } from './schema.ts';
import { DEFAULTS, type BgpConfig, type L2ClassConfig, type L2ServiceConfig, type MembershipConfig, type StaticConfig } from './types.ts';

/** One problem: the field's path and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Thrown by `parseStaticConfig`; `problems` holds every problem found, in document order. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'INVALID_CONFIG';
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n')}`);
  }
}

// Compiled on first use, not at import: the speaker's `--version` and Kubernetes mode never validate
// a static file. The schema is ours and fixed, so it is not checked against the JSON Schema
// meta-schema at run time (that compile was ~200 ms of the speaker's start-up; the config tests
// exercise every part of the schema).
let validateShape: ValidateFunction | undefined;
function shapeErrors(doc: unknown): ErrorObject[] {
  validateShape ??= new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(staticConfigSchema);
  return validateShape(doc) ? [] : (validateShape.errors ?? []);
}
const AS_TRANS = 23456;

/** Parses the YAML text of a static configuration file. Throws ConfigError. */
export function parseStaticConfig(text: string): StaticConfig {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new ConfigError([{ path: '', message: `not YAML: ${(err as Error).message}` }]);
  }
  return validateStaticConfig(doc);
}

/** Validates an already-loaded document (shapes with the schema, then values). Throws ConfigError. */
export function validateStaticConfig(doc: unknown): StaticConfig {
  const errors = shapeErrors(doc);
  if (errors.length > 0) throw new ConfigError(errors.map(shapeProblem));
  return new Checker().run(doc as RawConfig);
}

function shapeProblem(e: ErrorObject): ConfigProblem {
  const base = pointerToPath(e.instancePath);
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { path: base ? `${base}.${missing}` : missing, message: 'is required' };
  }
  return { path: base, message: e.message ?? 'is invalid' };
}

/** `/l2/services/0/ips/1` → `l2.services[0].ips[1]`. */
function pointerToPath(p: string): string {
  return p.split('/').slice(1).reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

type Dur = string | number;
interface RawConfig {
  node: string;
  membership?: { key: string; previousKey?: string; address: string; port?: number; interval?: Dur; multiplier?: number; peers?: { node: string; address: string }[] };
  l2?: { classes?: { name: string; interfaces?: string[]; nodes: string[] }[]; services?: RawService[] };
  bgp?: RawBgp;
  metrics?: { address?: string; port?: number };
}
interface RawService { namespace: string; name: string; class: string; sharingKey?: string; ips: string[]; externalTrafficPolicy?: 'Cluster' | 'Local'; endpointNodes?: string[] }
interface RawBgp {
  routerID?: string;
  peers?: { address: string; asn: number; myASN: number; port?: number; holdTime?: Dur; password?: string; sourceAddress?: string; ebgpMultihop?: boolean; gtsm?: boolean; gracefulRestart?: boolean; bfd?: { receiveInterval?: Dur; transmitInterval?: Dur; detectMultiplier?: number } }[];
  advertisements?: { prefixes: string[]; peers?: string[]; communities?: string[]; largeCommunities?: string[]; localPref?: number }[];
}

/** Value checks; collects problems instead of stopping at the first. */
class Checker {
  problems: ConfigProblem[] = [];

  fail(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  ip(path: string, s: string): string {
    const a = tryParseIP(s);
    if (!a) { this.fail(path, `not an IP address: ${JSON.stringify(s)}`); return s; }
    return formatIP(a);
  }

  duration(path: string, v: Dur | undefined, dflt: number, min = 0): number {
    if (v === undefined) return dflt;
    try {
      const ms = parseDuration(v);
      if (ms < min) this.fail(path, `must be at least ${min}ms`);
      return ms;
    } catch (err) {
      this.fail(path, (err as Error).message);
      return dflt;
    }
  }

  run(raw: RawConfig): StaticConfig {
    const cfg: StaticConfig = {
      node: raw.node,
      metrics: {
        address: raw.metrics?.address === undefined ? DEFAULTS.metricsAddress : this.ip('metrics.address', raw.metrics.address),
        port: raw.metrics?.port ?? DEFAULTS.metricsPort,
      },
    };
    if (raw.membership) cfg.membership = this.membership(raw.node, raw.membership);
    if (raw.l2) {
      if (!raw.membership) this.fail('membership', 'is required when l2 is set');
      cfg.l2 = this.l2(raw.l2);
    }
    if (raw.bgp) cfg.bgp = this.bgp(raw.bgp);
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return cfg;
  }

  membership(self: string, m: NonNullable<RawConfig['membership']>): MembershipConfig {
    const address = this.ip('membership.address', m.address);
    const seen = new Set<string>();
    const peers = (m.peers ?? []).flatMap((p, i) => {
      const path = `membership.peers[${i}]`;
      if (p.node === self) { this.fail(`${path}.node`, `is this node (${self}); list only the other speakers`); return []; }
      if (seen.has(p.node)) { this.fail(`${path}.node`, `duplicate peer ${p.node}`); return []; }
      seen.add(p.node);
      const a = this.ip(`${path}.address`, p.address);
      if (a.includes(':') !== address.includes(':')) this.fail(`${path}.address`, 'must be of the same family as membership.address');
      return [{ node: p.node, address: a }];
    });
    const out: MembershipConfig = {
      key: Buffer.from(m.key, 'utf8'),
      address,
      port: m.port ?? DEFAULTS.membershipPort,
      intervalMs: this.duration('membership.interval', m.interval, DEFAULTS.membershipIntervalMs, 1),
      multiplier: m.multiplier ?? DEFAULTS.membershipMultiplier,
      peers,
    };
    if (m.previousKey !== undefined) out.previousKey = Buffer.from(m.previousKey, 'utf8');
    return out;
  }

  l2(l2: NonNullable<RawConfig['l2']>): StaticConfig['l2'] {
    const names = new Set<string>();
    const classes: L2ClassConfig[] = (l2.classes ?? []).map((c, i) => {
      if (names.has(c.name)) this.fail(`l2.classes[${i}].name`, `duplicate class ${c.name}`);
      names.add(c.name);
      const out: L2ClassConfig = { name: c.name, nodes: [...new Set(c.nodes)] };
      if (c.interfaces !== undefined) out.interfaces = c.interfaces;
      for (const [j, ifname] of (c.interfaces ?? []).entries()) if (ifname.length > 15 || /[\s/]/.test(ifname)) this.fail(`l2.classes[${i}].interfaces[${j}]`, `not an interface name: ${JSON.stringify(ifname)}`);
      return out;
    });
    const services: L2ServiceConfig[] = (l2.services ?? []).map((s, i) => {
      const path = `l2.services[${i}]`;
      if (!names.has(s.class)) this.fail(`${path}.class`, `no class named ${JSON.stringify(s.class)} in l2.classes`);
      const ips = s.ips.map((ip, j) => this.ip(`${path}.ips[${j}]`, ip));
      const seenIps = new Set<string>();
      const dup = ips.find((ip) => seenIps.size === seenIps.add(ip).size);
      if (dup) this.fail(`${path}.ips`, `${dup} is listed twice`);
      const out: L2ServiceConfig = { namespace: s.namespace, name: s.name, class: s.class, ips, externalTrafficPolicy: s.externalTrafficPolicy ?? 'Cluster' };
      if (s.sharingKey !== undefined) out.sharingKey = s.sharingKey;
      if (s.endpointNodes !== undefined) out.endpointNodes = [...new Set(s.endpointNodes)];
      return out;
    });
    return { classes, services };
  }

  asn(path: string, v: number): void {
    if (!Number.isInteger(v) || v < 1 || v > 4294967295) this.fail(path, `ASN must be 1..4294967295, got ${v}`);
    else if (v === AS_TRANS) this.fail(path, 'ASN 23456 is AS_TRANS (RFC 6793) and cannot be used');
  }

  bgp(b: RawBgp): BgpConfig {
    const out: BgpConfig = { peers: [], advertisements: [] };
    if (b.routerID !== undefined) {
      const r = tryParseIP(b.routerID);
      if (!r || r.family !== 4) this.fail('bgp.routerID', `must be an IPv4 address: ${JSON.stringify(b.routerID)}`);
      else out.routerID = formatIP(r);
    }
    (b.peers ?? []).forEach((p, i) => {
      const path = `bgp.peers[${i}]`;
      this.asn(`${path}.asn`, p.asn);
      this.asn(`${path}.myASN`, p.myASN);
      const holdTimeMs = this.duration(`${path}.holdTime`, p.holdTime, DEFAULTS.bgpHoldTimeMs);
      // RFC 4271 §4.2: the hold time is zero or at least three seconds.
      if (holdTimeMs !== 0 && holdTimeMs < 3000) this.fail(`${path}.holdTime`, 'must be 0 or at least 3s (RFC 4271 §4.2)');
      const peer: BgpConfig['peers'][number] = {
        address: this.ip(`${path}.address`, p.address), asn: p.asn, myASN: p.myASN, port: p.port ?? DEFAULTS.bgpPort, holdTimeMs,
        ebgpMultihop: p.ebgpMultihop ?? false, gtsm: p.gtsm ?? false, gracefulRestart: p.gracefulRestart ?? false,
      };
      if (p.password !== undefined) {
        if (Buffer.byteLength(p.password) > 80) this.fail(`${path}.password`, 'TCP-MD5 keys are at most 80 bytes');
        peer.password = p.password;
      }
      if (p.sourceAddress !== undefined) peer.sourceAddress = this.ip(`${path}.sourceAddress`, p.sourceAddress);
      if (p.bfd !== undefined) {
        peer.bfd = {
          receiveIntervalMs: this.duration(`${path}.bfd.receiveInterval`, p.bfd.receiveInterval, 300, 1),
          transmitIntervalMs: this.duration(`${path}.bfd.transmitInterval`, p.bfd.transmitInterval, 300, 1),
          detectMultiplier: p.bfd.detectMultiplier ?? 3,
        };
      }
      if (out.peers.some((q) => q.address === peer.address)) this.fail(`${path}.address`, `duplicate peer ${peer.address}`);
      out.peers.push(peer);
    });
    const peerAddrs = new Set(out.peers.map((p) => p.address));
    (b.advertisements ?? []).forEach((a, i) => {
      const path = `bgp.advertisements[${i}]`;
      const adv: BgpConfig['advertisements'][number] = {
        prefixes: a.prefixes.map((s, j) => {
          const p = tryParsePrefix(s, { strict: true });
          if (!p) { this.fail(`${path}.prefixes[${j}]`, `not a CIDR prefix with zero host bits: ${JSON.stringify(s)}`); return s; }
          return formatPrefix(p);
        }),
        communities: (a.communities ?? []).map((c, j) => { this.community(`${path}.communities[${j}]`, c); return c; }),
        largeCommunities: (a.largeCommunities ?? []).map((c, j) => { this.largeCommunity(`${path}.largeCommunities[${j}]`, c); return c; }),
      };
      if (a.peers !== undefined) {
        adv.peers = a.peers.map((s, j) => {
          const addr = this.ip(`${path}.peers[${j}]`, s);
          if (tryParseIP(s) && !peerAddrs.has(addr)) this.fail(`${path}.peers[${j}]`, `${addr} is not in bgp.peers`);
          return addr;
        });
      }
      if (a.localPref !== undefined) adv.localPref = a.localPref;
      out.advertisements.push(adv);
    });
    return out;
  }

  community(path: string, c: string): void {
    const m = /^(\d+):(\d+)$/.exec(c);
    if (!m || Number(m[1]) > 65535 || Number(m[2]) > 65535) this.fail(path, `not a community "a:b" with 16-bit parts: ${JSON.stringify(c)}`);
  }

  largeCommunity(path: string, c: string): void {
    const m = /^(\d+):(\d+):(\d+)$/.exec(c);
    if (!m || m.slice(1).some((x) => Number(x) > 4294967295)) this.fail(path, `not a large community "a:b:c" with 32-bit parts: ${JSON.stringify(c)}`);
  }
}
