// Fallback while the speaker's Kubernetes mode is not in the build: the lab computes, from the API's
// objects, the static configuration (DESIGN §2.1) each speaker would derive itself in Kubernetes
// mode (DESIGN §2.2), and runs the speaker with `--config`. Everything else about the pod still
// comes from the rendered DaemonSet (node set, command, env, mounted ConfigMap and Secret files:
// the membership key and timers are read from those files). Pure: objects in, YAML text out.
import yaml from 'js-yaml';
import { matchesSelector, type LabelSelector } from '../lib/kube/labels.ts';
import { validateStaticConfig } from '../lib/config/index.ts';
import type { PodLaunch, SchedNode } from './pod-spec.ts';
import type { KubeObject } from './scenario.ts';

/** Label that takes a node out of every class (DESIGN §4). */
const EXCLUDE_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';
const CLASS_CONDITION = 'network.deckhouse.io/load-balancer-class';

/** What the lab knows when it writes one speaker's static configuration. */
export interface StaticSpeakerInput {
  launch: PodLaunch;
  /** Nodes the DaemonSet runs on (the membership), with labels and addresses. */
  speakerNodes: SchedNode[];
  classes: KubeObject[];
  services: KubeObject[];
  endpointSlices: KubeObject[];
}

function fileOf(launch: PodLaunch, path: string): string | undefined {
  for (const m of launch.mounts) {
    for (const f of m.files) if (`${m.mountPath.replace(/\/$/, '')}/${f.path}` === path) return f.content.toString('utf8');
  }
  return undefined;
}

/** The class a Service is bound to: the hooks' sticky condition, else spec.loadBalancerClass. */
function boundClass(svc: KubeObject): string | undefined {
  const conds = (svc.status as { conditions?: { type: string; status: string; message?: string }[] } | undefined)?.conditions ?? [];
  const c = conds.find((x) => x.type === CLASS_CONDITION && x.status === 'True');
  return c?.message || (svc.spec as { loadBalancerClass?: string } | undefined)?.loadBalancerClass;
}

/** The speaker ConfigMap's content (docs/DEVELOPMENT.md). */
interface SharedConfig {
  membership?: { port?: number; interval?: string; multiplier?: number };
  l2?: { interfaces?: string[] };
  bgp?: {
    peers?: { index: number; address: string; asn: number; myASN: number; port?: number; holdTime?: string; nodeSelector?: LabelSelector; ebgpMultihop?: boolean; gracefulRestart?: boolean; hasPassword?: boolean; bfd?: unknown }[];
    pools?: { name: string; advertisements?: { aggregationLength?: number; localPref?: number; communities?: string[]; largeCommunities?: string[] }[] }[];
  };
}

/**
 * The `bgp` section for one node: the ConfigMap's peers whose nodeSelector matches it (password
 * from the mounted Secret file), and per BGP Service (condition reason BGPPoolBound, message = pool)
 * its IPs with the pool's advertisement attributes; ETP=Local Services only from endpoint nodes.
 */
function bgpSection(input: StaticSpeakerInput, shared: SharedConfig | null, self: SchedNode): object | undefined {
  const peers = (shared?.bgp?.peers ?? []).filter((p) => matchesSelector(self.labels, p.nodeSelector ?? {}));
  if (peers.length === 0) return undefined;
  const advertisements = input.services.flatMap((svc) => {
    const conds = (svc.status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined)?.conditions ?? [];
    const bound = conds.find((c) => c.type === CLASS_CONDITION && c.status === 'True' && c.reason === 'BGPPoolBound');
    const pool = (shared?.bgp?.pools ?? []).find((p) => p.name === bound?.message);
    const ips = ((svc.status as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
    if (!pool || ips.length === 0) return [];
    if ((svc.spec as { externalTrafficPolicy?: string } | undefined)?.externalTrafficPolicy === 'Local') {
      const ns = svc.metadata.namespace ?? 'default';
      const ready = input.endpointSlices.filter((s) => (s.metadata.namespace ?? 'default') === ns && s.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name)
        .flatMap((s) => ((s as { endpoints?: { nodeName?: string; conditions?: { ready?: boolean } }[] }).endpoints ?? []).filter((e) => e.conditions?.ready !== false).map((e) => e.nodeName));
      if (!ready.includes(self.name)) return [];
    }
    const prefixes = ips.filter((ip) => !ip.includes(':')).map((ip) => `${ip}/32`);
    return (pool.advertisements?.length ? pool.advertisements : [{}]).map((a) => ({
      prefixes, communities: a.communities ?? [], largeCommunities: a.largeCommunities ?? [], ...(typeof a.localPref === 'number' ? { localPref: a.localPref } : {}),
    }));
  });
  return {
    routerID: self.address,
    peers: peers.map((p) => {
      const password = p.hasPassword ? fileOf(input.launch, `/etc/metallb/secrets/bgp-password-${p.index}`) : undefined;
      return {
        address: p.address, asn: p.asn, myASN: p.myASN, port: p.port ?? 179, sourceAddress: self.address,
        ...(typeof p.holdTime === 'string' && p.holdTime ? { holdTime: p.holdTime } : {}), ...(password ? { password } : {}),
        ebgpMultihop: p.ebgpMultihop ?? false, gracefulRestart: p.gracefulRestart ?? false,
      };
    }),
    advertisements,
  };
}

/** The static configuration text for `input.launch.node`; throws when the pod's files lack the key. */
export function staticSpeakerConfig(input: StaticSpeakerInput): string {
  const { launch, speakerNodes } = input;
  const key = fileOf(launch, '/etc/metallb/secrets/membership-key');
  if (!key) throw new Error(`pod ${launch.podName}: no /etc/metallb/secrets/membership-key in its mounted Secret`);
  const shared = yaml.load(fileOf(launch, '/etc/metallb/config/config.yaml') ?? '{}') as SharedConfig | null;
  const self = speakerNodes.find((n) => n.name === launch.node);
  if (!self) throw new Error(`pod ${launch.podName}: node ${launch.node} is not among the speaker nodes`);

  const classes = input.classes.map((c) => {
    const spec = (c.spec ?? {}) as { type?: string; nodeSelector?: Record<string, string>; l2?: { interfaces?: string[] } };
    const nodes = speakerNodes.filter((n) => matchesSelector(n.labels, spec.nodeSelector ?? {}) && n.labels[EXCLUDE_LABEL] === undefined).map((n) => n.name);
    const interfaces = spec.l2?.interfaces?.length ? spec.l2.interfaces : shared?.l2?.interfaces;
    return { name: c.metadata.name, nodes, ...(interfaces && interfaces.length > 0 ? { interfaces } : {}) };
  }).filter((c) => c.nodes.length > 0).sort((a, b) => a.name.localeCompare(b.name));
  const mine = classes.filter((c) => c.nodes.includes(launch.node));
  const peerNames = new Set(mine.flatMap((c) => c.nodes));
  peerNames.delete(launch.node);

  const services = input.services.flatMap((svc) => {
    const cls = boundClass(svc);
    const ips = ((svc.status as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
    if (!cls || ips.length === 0 || !mine.some((c) => c.name === cls)) return [];
    const ns = svc.metadata.namespace ?? 'default';
    const slices = input.endpointSlices.filter((s) => (s.metadata.namespace ?? 'default') === ns && s.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name);
    const endpointNodes = [...new Set(slices.flatMap((s) => ((s as { endpoints?: { nodeName?: string; conditions?: { ready?: boolean } }[] }).endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false && e.nodeName).map((e) => e.nodeName!)))].sort();
    const etp = (svc.spec as { externalTrafficPolicy?: string } | undefined)?.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
    return [{ namespace: ns, name: svc.metadata.name, class: cls, ips, externalTrafficPolicy: etp, ...(slices.length > 0 ? { endpointNodes } : {}) }];
  }).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));

  const bgp = bgpSection(input, shared as SharedConfig | null, self);
  const doc = {
    node: launch.node,
    membership: {
      key: key.trim(),
      address: self.address,
      ...(shared?.membership ?? {}),
      peers: speakerNodes.filter((n) => peerNames.has(n.name)).map((n) => ({ node: n.name, address: n.address })),
    },
    l2: { classes: mine, services },
    ...(bgp ? { bgp } : {}),
    metrics: { address: '127.0.0.1', port: 4231 },
  };
  // The speaker would refuse a bad file; refuse it here first, naming the field.
  validateStaticConfig(doc);
  return yaml.dump(doc, { lineWidth: 200 });
}
