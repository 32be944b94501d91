// The Kubernetes adapter (DESIGN §2.2): informers on Nodes, MetalLoadBalancerClasses, Services,
// EndpointSlices and the speaker ConfigMap; secrets from files. Every change rebuilds the desired
// state (debounced) through project.ts. When the API goes away the informers' caches keep the last
// known state, the speaker keeps announcing from it, and the informers are restarted until the API
// answers again. Liveness never depends on the API (membership does that).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Logger } from 'pino';
import {
  CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubeConfig, ListWatch, makeInformer, Watch, type Informer,
  type KubernetesObject, type V1ConfigMap, type V1EndpointSlice, type V1Node, type V1Service,
} from '@kubernetes/client-node';
import { parseDuration } from '../../../../lib/duration.ts';
import type { SpeakerReporter } from '../speaker.ts';
import type { DesiredState } from '../state.ts';
import { kubeBgp, readBgpPasswords } from './bgp.ts';
import { CLASS_CONDITION, projectDesired, SHARED_IP_ANNOTATION, type ClassInfo, type NodeInfo, type ServiceInfo, type SharedConfig, type SliceInfo } from './project.ts';

const NAMESPACE = 'd8-metallb';
const CONFIGMAP = 'speaker-config';
const CLASS_GROUP = 'network.deckhouse.io';
const CLASS_VERSION = 'v1alpha1';
const CLASS_PLURAL = 'metalloadbalancerclasses';
const DEBOUNCE_MS = 20;
const RESTART_MS = 1000;
/** At most this many Events per minute (Events are for humans; a flapping cluster must not flood). */
const EVENTS_PER_MINUTE = 30;

/** A running adapter. */
export interface KubeAdapter {
  reporter: SpeakerReporter;
  stop(): void;
}

/** Options of the adapter; defaults from the environment (NODE_NAME, KUBECONFIG, METALLB_SECRETS_DIR). */
export interface KubeAdapterOptions {
  log: Logger;
  onState: (s: DesiredState) => Promise<void>;
  node?: string;
  kubeconfig?: KubeConfig;
  secretsDir?: string;
}

/** Starts the informers; resolves once every cache has listed and a first state was applied. */
export async function startKubeAdapter(opts: KubeAdapterOptions): Promise<KubeAdapter> {
  const log = opts.log;
  const node = opts.node ?? process.env.NODE_NAME;
  if (!node) throw new Error('NODE_NAME is not set (the DaemonSet passes it from the downward API)');
  const kc = opts.kubeconfig ?? new KubeConfig();
  if (!opts.kubeconfig) kc.loadFromDefault();
  const secretsDir = opts.secretsDir ?? process.env.METALLB_SECRETS_DIR ?? '/etc/metallb/secrets';
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);

  const nodes = makeInformer<V1Node>(kc, '/api/v1/nodes', () => core.listNode());
  const services = makeInformer<V1Service>(kc, '/api/v1/services', () => core.listServiceForAllNamespaces());
  const slices = makeInformer<V1EndpointSlice>(kc, '/apis/discovery.k8s.io/v1/endpointslices', () => discovery.listEndpointSliceForAllNamespaces());
  // Only its own ConfigMap: the speaker's Role grants configmaps by resourceNames, which covers list
  // and watch only when they carry this field selector (templates/speaker/rbac-for-us.yaml).
  const oneConfigMap = `metadata.name=${CONFIGMAP}`;
  const configmaps = new ListWatch<V1ConfigMap>(`/api/v1/namespaces/${NAMESPACE}/configmaps`, new Watch(kc),
    () => core.listNamespacedConfigMap({ namespace: NAMESPACE, fieldSelector: oneConfigMap }), false, undefined, oneConfigMap);
  const classes = makeInformer<KubernetesObject>(kc, `/apis/${CLASS_GROUP}/${CLASS_VERSION}/${CLASS_PLURAL}`,
    () => custom.listClusterCustomObject({ group: CLASS_GROUP, version: CLASS_VERSION, plural: CLASS_PLURAL }) as Promise<{ items: KubernetesObject[] }>);

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastShared: SharedConfig = defaultShared();
  let lastKeyText = '';
  let lastBgp: DesiredState['bgp'];
  let applying = Promise.resolve();
  const rebuild = (): void => {
    if (stopped) return;
    const shared = sharedConfig(configmaps.list(), lastShared, log);
    lastShared = shared;
    const keys = readKeys(secretsDir, log);
    if (keys.length === 0) return;
    const desired = projectDesired({
      node, keys, shared,
      nodes: nodes.list().map(nodeInfo),
      classes: classes.list().map(classInfo),
      services: services.list().flatMap(serviceInfo),
      slices: slices.list().map(sliceInfo),
    });
    if (!desired) { log.warn({ node }, 'own Node not known yet (or it has no InternalIP); waiting'); return; }
    // BGP (kube/bgp.ts, lib/bgp/routes.ts): peers and routes of this node; a bad section keeps the last one.
    try {
      lastBgp = kubeBgp({
        node, nodes: nodes.list(), services: services.list(), slices: slices.list(),
        configYaml: configmaps.list().find((c) => c.metadata?.name === CONFIGMAP)?.data?.['config.yaml'],
        passwords: (s) => {
          const r = readBgpPasswords(secretsDir, s);
          if (r.missing.length > 0) log.error({ peers: r.missing, dir: secretsDir }, 'BGP password file missing; those peers connect without TCP-MD5 and the router refuses them');
          return r.passwords;
        },
      });
    } catch (err) {
      log.error({ err: (err as Error).message }, 'invalid bgp section in the speaker ConfigMap; keeping the previous BGP state');
    }
    if (lastBgp) desired.bgp = lastBgp;
    applying = applying.then(() => opts.onState(desired)).catch((err: Error) => log.error({ err: err.message }, 'applying the desired state failed'));
  };
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(rebuild, DEBOUNCE_MS);
  };

  const all: [string, Informer<KubernetesObject>][] = [
    ['nodes', nodes as Informer<KubernetesObject>], ['services', services as Informer<KubernetesObject>],
    ['endpointslices', slices as Informer<KubernetesObject>], ['configmaps', configmaps as Informer<KubernetesObject>], ['classes', classes],
  ];
  for (const [name, i] of all) {
    for (const ev of ['add', 'update', 'delete'] as const) i.on(ev, schedule);
    i.on('error', (err?: unknown) => {
      if (stopped) return;
      // client-node informers stop on error; the cache stays, so the last known state stays too.
      log.warn({ informer: name, err: err instanceof Error ? err.message : String(err) }, 'watch failed; keeping the last known state and retrying');
      setTimeout(() => { if (!stopped) i.start().catch(() => undefined); }, RESTART_MS).unref();
    });
  }
  await Promise.all(all.map(([name, i]) => i.start().catch((err: Error) => {
    throw new Error(`cannot list ${name} from the Kubernetes API: ${err.message}`, { cause: err });
  })));
  rebuild();
  await applying;
  // Key rotation changes only the mounted files: look at them now and then.
  const keyPoll = setInterval(() => {
    const text = readKeys(secretsDir, log).map((k) => k.toString('hex')).join(',');
    if (text !== lastKeyText) { lastKeyText = text; schedule(); }
  }, 5000);
  keyPoll.unref();

  return {
    reporter: eventReporter(core, node, log),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(keyPoll);
      for (const [, i] of all) void i.stop().catch(() => undefined);
    },
  };
}

function defaultShared(): SharedConfig {
  return { membership: { port: 4230, intervalMs: 50, multiplier: 6 }, defaultInterfaces: [] };
}

/** Parses config.yaml of the speaker ConfigMap; a bad one is logged and the previous one kept. */
function sharedConfig(cms: readonly V1ConfigMap[], previous: SharedConfig, log: Logger): SharedConfig {
  const cm = cms.find((c) => c.metadata?.name === CONFIGMAP);
  const text = cm?.data?.['config.yaml'];
  if (text === undefined) return previous;
  try {
    const doc = (yaml.load(text) ?? {}) as { version?: number; membership?: { port?: number; interval?: string | number; multiplier?: number }; l2?: { interfaces?: string[] } };
    // DESIGN §2.2: accept the current and the previous format version.
    if (doc.version !== undefined && doc.version !== 1) throw new Error(`unsupported version ${doc.version}`);
    const d = defaultShared();
    return {
      membership: {
        port: doc.membership?.port ?? d.membership.port,
        intervalMs: doc.membership?.interval !== undefined ? parseDuration(doc.membership.interval) : d.membership.intervalMs,
        multiplier: doc.membership?.multiplier ?? d.membership.multiplier,
      },
      defaultInterfaces: doc.l2?.interfaces ?? [],
    };
  } catch (err) {
    log.error({ configmap: `${NAMESPACE}/${CONFIGMAP}`, err: (err as Error).message }, 'invalid speaker ConfigMap; keeping the previous settings');
    return previous;
  }
}

/** Membership keys from the mounted Secret: current first, previous during a rotation. */
function readKeys(dir: string, log: Logger): Buffer[] {
  const read = (f: string): Buffer | undefined => {
    try {
      const t = readFileSync(join(dir, f), 'utf8').trim();
      return t ? Buffer.from(t, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  };
  const cur = read('membership-key');
  if (!cur) { log.error({ dir }, 'no membership key file; L2 waits for it'); return []; }
  const prev = read('membership-key-previous');
  return prev ? [cur, prev] : [cur];
}

function nodeInfo(n: V1Node): NodeInfo {
  return {
    name: n.metadata?.name ?? '',
    labels: n.metadata?.labels ?? {},
    internalIPs: (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address),
    networkUnavailable: (n.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'True'),
  };
}

function classInfo(o: KubernetesObject): ClassInfo {
  const spec = ((o as { spec?: unknown }).spec ?? {}) as { type?: string; nodeSelector?: Record<string, string>; l2?: { interfaces?: string[] } };
  return { name: o.metadata?.name ?? '', type: spec.type ?? 'L2', nodeSelector: spec.nodeSelector ?? {}, interfaces: spec.l2?.interfaces ?? [] };
}

function serviceInfo(s: V1Service): ServiceInfo[] {
  if (s.spec?.type !== 'LoadBalancer') return [];
  const conds = (s.status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined)?.conditions ?? [];
  const bound = conds.find((c) => c.type === CLASS_CONDITION && c.status === 'True' && c.reason !== 'BGPPoolBound')?.message || s.spec.loadBalancerClass;
  const sharing = s.metadata?.annotations?.[SHARED_IP_ANNOTATION];
  return [{
    namespace: s.metadata?.namespace ?? 'default',
    name: s.metadata?.name ?? '',
    ...(bound ? { boundClass: bound } : {}),
    ingressIPs: (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
    externalTrafficPolicy: s.spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    ...(sharing ? { sharingKey: sharing } : {}),
  }];
}

function sliceInfo(s: V1EndpointSlice): SliceInfo {
  return {
    namespace: s.metadata?.namespace ?? 'default',
    service: s.metadata?.labels?.['kubernetes.io/service-name'] ?? '',
    readyNodes: (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false && e.nodeName).map((e) => e.nodeName as string),
  };
}

/**
 * AnnouncingNodeChanged Events on the Service (Normal) and InterfaceUnusable on the Node (Warning,
 * in `default` as kube-apiserver keeps cluster-scoped objects' Events), rate-capped, failures logged.
 */
function eventReporter(core: CoreV1Api, node: string, log: Logger): SpeakerReporter {
  let windowStart = Date.now();
  let sent = 0;
  const allowed = (): boolean => {
    const now = Date.now();
    if (now - windowStart > 60_000) { windowStart = now; sent = 0; }
    return ++sent <= EVENTS_PER_MINUTE;
  };
  /** One core/v1 Event about `involved` (written in `namespace`), unless the rate cap is reached. */
  const emit = (
    namespace: string,
    involved: { kind: 'Node' | 'Service'; name: string; namespace?: string },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    logContext: Record<string, string>,
  ): void => {
    if (!allowed()) return;
    const ts = new Date();
    core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${involved.name}.`, namespace },
        involvedObject: { apiVersion: 'v1', ...involved },
        reason,
        message,
        type,
        source: { component: 'metallb-speaker', host: node },
        reportingComponent: 'metallb-speaker',
        reportingInstance: node,
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      },
    }).catch((err: Error) => log.warn({ ...logContext, err: err.message }, 'cannot write Event'));
  };
  return {
    interfaceUnusable(nodeName, ifname, message) {
      emit('default', { kind: 'Node', name: nodeName }, 'Warning', 'InterfaceUnusable', `${ifname}: ${message} (retrying)`, { iface: ifname });
    },
    announcingNodeChanged(namespace, name, ips, to) {
      emit(namespace, { kind: 'Service', namespace, name }, 'Normal', 'AnnouncingNodeChanged', `${ips.join(', ')} announced by node ${to}`, { service: `${namespace}/${name}` });
    },
  };
}
