// A lab scenario: the machines of a small cluster on one L2 segment, and the Kubernetes objects the
// user would apply. Parsed once here; everything downstream gets a `Scenario` whose invariants are
// listed on the type (documentation address ranges only, unique names/addresses/MACs).
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { formatIP, parseIP, parsePrefix, prefixContains, type Prefix } from '../lib/net/index.ts';

/** A Kubernetes object as written in the scenario (applied to the embedded API as is). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** One machine of the cluster: a network namespace with a backend and maybe a speaker. */
export interface ScenarioNode {
  name: string;
  /** IPv4 address on the segment, inside `network.subnet` (the Node's InternalIP). */
  address: string;
  mac: string;
  labels: Record<string, string>;
}

/** An FRR router on the segment (BGP scenarios). */
export interface ScenarioRouter {
  name: string;
  address: string;
  mac: string;
  asn: number;
  /** TCP-MD5 password FRR requires from every node (the scenario's peer password), if any. */
  password?: string;
}

/**
 * A parsed scenario. Invariants: every address lies in a documentation range (RFC 5737) and in
 * `network.subnet`; node names, addresses and MACs are unique.
 */
export interface Scenario {
  name: string;
  network: {
    subnet: Prefix;
    prefixLength: number;
    client: string;
    clientMac: string;
    /** Where the embedded Kubernetes API listens, reachable from every node namespace. */
    api: string;
    apiMac: string;
    /** Prefixes the client reaches on-link (where Service IPs live), so it ARPs for them. */
    onLink: string[];
    /** Prefixes the client reaches through a gateway (BGP scenarios: the router). */
    routes: { prefix: string; via: string }[];
  };
  nodes: ScenarioNode[];
  router?: ScenarioRouter;
  moduleConfig: { version: number; settings: Record<string, unknown> };
  objects: KubeObject[];
}

/** Thrown for a scenario file that does not describe a usable lab; lists every problem. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly code = 'LAB_BAD_SCENARIO';
  constructor(readonly source: string, readonly problems: string[]) {
    super(`scenario ${source}: ${problems.join('; ')}`);
  }
}

const DOCUMENTATION_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '198.18.0.0/15'].map((p) => parsePrefix(p));
const MAC = /^02(:[0-9a-f]{2}){5}$/;

/** Reads and validates a scenario file. */
export function loadScenario(path: string): Scenario {
  return parseScenario(readFileSync(path, 'utf8'), path);
}

/** Validates scenario YAML text; `source` names it in errors. */
export function parseScenario(text: string, source = '<scenario>'): Scenario {
  const problems: string[] = [];
  const raw = yaml.load(text) as Record<string, unknown> | null;
  if (!raw || typeof raw !== 'object') throw new ScenarioError(source, ['not a YAML mapping']);
  const net = (raw.network ?? {}) as Record<string, unknown>;
  const subnet = parsePrefix(String(net.subnet ?? '192.0.2.0/24'));
  const inLab = (field: string, value: unknown): string => {
    const s = String(value ?? '');
    try {
      const a = parseIP(s);
      if (!DOCUMENTATION_RANGES.some((p) => prefixContains(p, a))) problems.push(`${field}: ${s} is not in a documentation range`);
      if (!prefixContains(subnet, a)) problems.push(`${field}: ${s} is outside ${String(net.subnet)}`);
      return formatIP(a);
    } catch (err) {
      problems.push(`${field}: ${(err as Error).message}`);
      return s;
    }
  };
  const mac = (field: string, value: unknown, fallback: string): string => {
    const m = String(value ?? fallback).toLowerCase();
    if (!MAC.test(m)) problems.push(`${field}: ${m} is not a locally administered MAC 02:xx:xx:xx:xx:xx`);
    return m;
  };
  const nodes = ((raw.nodes ?? []) as Record<string, unknown>[]).map((n, i): ScenarioNode => ({
    name: String(n.name ?? `node${i + 1}`),
    address: inLab(`nodes[${i}].address`, n.address),
    mac: mac(`nodes[${i}].mac`, n.mac, `02:00:00:00:01:${(i + 1).toString(16).padStart(2, '0')}`),
    labels: Object.fromEntries(Object.entries((n.labels ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')])),
  }));
  if (nodes.length === 0) problems.push('nodes: at least one node is needed');
  for (const key of ['name', 'address', 'mac'] as const) {
    const seen = new Set<string>();
    for (const n of nodes) {
      if (seen.has(n[key])) problems.push(`nodes: duplicate ${key} ${n[key]}`);
      seen.add(n[key]);
    }
  }
  for (const n of nodes) if (!/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/.test(n.name)) problems.push(`nodes: name ${n.name} must be a DNS label of at most 10 characters (it names a network namespace)`);
  const r = raw.router as Record<string, unknown> | undefined;
  const router = r ? {
    name: String(r.name ?? 'router'),
    address: inLab('router.address', r.address),
    mac: mac('router.mac', r.mac, '02:00:00:00:00:fe'),
    asn: Number(r.asn ?? 64512),
    ...(r.password !== undefined ? { password: String(r.password) } : {}),
  } : undefined;
  const mcRaw = (raw.moduleConfig ?? {}) as Record<string, unknown>;
  const objects = (raw.objects ?? []) as KubeObject[];
  objects.forEach((o, i) => {
    if (!o || typeof o.kind !== 'string' || typeof o.apiVersion !== 'string' || typeof o.metadata?.name !== 'string') {
      problems.push(`objects[${i}]: needs apiVersion, kind and metadata.name`);
    }
  });
  const scenario: Scenario = {
    name: String(raw.name ?? source),
    network: {
      subnet,
      prefixLength: subnet.length,
      client: inLab('network.client', net.client ?? '192.0.2.1'),
      clientMac: mac('network.clientMac', net.clientMac, '02:00:00:00:00:01'),
      api: inLab('network.api', net.api ?? '192.0.2.2'),
      apiMac: mac('network.apiMac', net.apiMac, '02:00:00:00:00:02'),
      onLink: ((net.onLink ?? []) as unknown[]).map(String),
      routes: ((net.routes ?? []) as { prefix?: unknown; via?: unknown }[]).map((r, i) => ({ prefix: String(r.prefix), via: inLab(`network.routes[${i}].via`, r.via) })),
    },
    nodes,
    ...(router ? { router } : {}),
    moduleConfig: { version: Number(mcRaw.version ?? 2), settings: (mcRaw.settings ?? {}) as Record<string, unknown> },
    objects,
  };
  for (const p of [...scenario.network.onLink, ...scenario.network.routes.map((r) => r.prefix)]) {
    try {
      const pre = parsePrefix(p);
      if (!DOCUMENTATION_RANGES.some((d) => d.length <= pre.length && prefixContains(d, pre.address))) problems.push(`network.onLink: ${p} is not inside a documentation range`);
    } catch (err) {
      problems.push(`network.onLink: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ScenarioError(source, problems);
  return scenario;
}
