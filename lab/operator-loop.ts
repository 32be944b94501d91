// The cluster around the module, reduced to what the lab needs, in one reconcile loop against the
// embedded Kubernetes API:
//
//   kubelet + node controller   Node objects for the scenario's nodes (labels, InternalIP, Ready)
//   endpointslice controller    an EndpointSlice per Service: every running node has a pod
//   addon-operator              the real hooks executable over the API's objects (a `HookEngine`),
//                               its writes applied back to the API, then the chart rendered by real
//                               helm from the resulting values and applied (kinds the API serves)
//   DaemonSet controller+kubelet the speaker started in each node namespace the rendered DaemonSet
//                               schedules to, with its argv/env/volumes (lab/pod-spec.ts,
//                               lab/pod-runner.ts) plus KUBECONFIG for the embedded API
//   kube-proxy                  nftables DNAT for every Service IP in status (lab/kube-proxy.ts)
//
// Each role only acts when its input changed (fingerprints), so a settled cluster costs a few
// list requests per tick. Everything the loop does is logged through `log`.
import { createHash } from 'node:crypto';
import type { NsProcess } from '../test/support/netns.ts';
import type { KubeClient } from './kube-client.ts';
import { renderModule } from './helm.ts';
import type { ProxiedService } from './kube-proxy.ts';
import { startPod, type PodRunnerOptions } from './pod-runner.ts';
import { daemonSetNodes, podLaunch, PodSpecError, type PodLaunch, type SchedNode } from './pod-spec.ts';
import type { KubeObject } from './scenario.ts';
import type { Topology } from './topology.ts';

/** The module's values (`metallb`: settings plus `internal`). */
export type ModuleValues = Record<string, unknown>;

/** A change the hooks made to the cluster, to be written to the API. */
export type ObjectWrite =
  | { type: 'apply'; object: KubeObject }
  | { type: 'status'; object: KubeObject }
  | { type: 'delete'; object: KubeObject };

/** What one settled run of the module's hooks produced. */
export interface HookResult {
  values: ModuleValues;
  writes: ObjectWrite[];
}

/**
 * Runs the module's hooks the way addon-operator does (seam: the addon-operator imitation of
 * test/support/addon-operator/ running the real hooks executable).
 */
export interface HookEngine {
  /** What runs the hooks, for the demo's "what is real" list. */
  readonly description: string;
  /** Runs the hooks over `objects` with `values` until they settle. */
  converge(objects: KubeObject[], values: ModuleValues): Promise<HookResult>;
}

/** Kinds the hooks bind to, read from the API before every hooks run. */
export const HOOK_INPUT_KINDS: readonly { apiVersion: string; kind: string; namespace?: string }[] = [
  { apiVersion: 'v1', kind: 'Namespace' },
  { apiVersion: 'v1', kind: 'Node' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'Secret', namespace: 'd8-metallb' },
  { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' },
  { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass' },
  { apiVersion: 'deckhouse.io/v1alpha1', kind: 'ModuleConfig' },
];

/** Options of the operator loop. */
export interface OperatorLoopOptions {
  client: KubeClient;
  topology: Topology;
  hooks: HookEngine;
  /** Kubeconfig text the speakers use (the API's address inside the switch network). */
  speakerKubeconfig: string;
  /** Image path -> local build, for the speaker container (see lab/pod-runner.ts). */
  imagePaths: Record<string, string>;
  /** Container of the DaemonSet to run (default `speaker`). */
  container?: string;
  /** Tick of the loop (default 250 ms). */
  intervalMs?: number;
  log?: (line: string) => void;
}

/** Where a speaker pod stands. */
interface PodState {
  launch: PodLaunch;
  hash: string;
  proc: NsProcess;
  restarts: number;
}

const SPEAKER_KUBECONFIG = '/etc/metallb/lab/kubeconfig';

function hashOf(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v, (_k, x: unknown) => (Buffer.isBuffer(x) ? x.toString('base64') : x))).digest('hex');
}

/** What a hooks run reads of an object: everything but bookkeeping that changes on every write. */
function inputView(o: KubeObject): unknown {
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = o.metadata as Record<string, unknown>;
  return { ...o, metadata: meta };
}

/** The lab's operator loop; `start()` once, `stop()` at the end. */
export class OperatorLoop {
  readonly #o: Required<Omit<OperatorLoopOptions, 'log'>> & { log: (line: string) => void };
  #values: ModuleValues = {};
  #inputHash = '';
  #valuesHash = '';
  #daemonSet: KubeObject | undefined;
  #rendered: KubeObject[] = [];
  #pods = new Map<string, PodState>();
  #proxyHash = new Map<string, string>();
  #sliceHash = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  /** Last error of a tick (the loop keeps going, as controllers do). */
  lastError: Error | undefined;

  constructor(opts: OperatorLoopOptions) {
    this.#o = { container: 'speaker', intervalMs: 250, log: () => {}, ...opts };
  }

  /** The values the hooks produced last. */
  get values(): ModuleValues {
    return this.#values;
  }

  /** Objects helm rendered last. */
  get rendered(): readonly KubeObject[] {
    return this.#rendered;
  }

  /** Running speaker processes by node. */
  speakers(): Map<string, NsProcess> {
    return new Map([...this.#pods].map(([n, p]) => [n, p.proc]));
  }

  /** Nodes, namespaces and the scenario's objects into the API, then the first full reconcile. */
  async start(): Promise<void> {
    const { client, topology } = this.#o;
    const s = topology.scenario;
    this.#values = { ...structuredClone(s.moduleConfig.settings) };
    for (const ns of ['default', 'd8-metallb']) await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const n of s.nodes) {
      await client.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', ...n.labels } } });
      await client.patchStatus('v1', 'Node', undefined, n.name, {
        addresses: [{ type: 'InternalIP', address: n.address }, { type: 'Hostname', address: n.name }],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'lab node namespace is up' }],
      });
    }
    const mc = { apiVersion: 'deckhouse.io/v1alpha1', kind: 'ModuleConfig', metadata: { name: 'metallb' }, spec: { enabled: true, version: s.moduleConfig.version, settings: s.moduleConfig.settings } };
    if (await client.resource(mc.apiVersion, mc.kind)) await client.apply(mc);
    else this.#o.log('ModuleConfig is not served by the API: settings go to the hooks from the scenario only');
    for (const o of s.objects) await client.apply(o);
    await this.reconcile();
    const tick = (): void => {
      if (this.#stopped) return;
      this.#running = this.reconcile().catch((err: Error) => {
        if (this.lastError?.message !== err.message) this.#o.log(`reconcile failed: ${err.message}`);
        this.lastError = err;
      }).finally(() => {
        this.#running = undefined;
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.intervalMs);
      });
    };
    this.#timer = setTimeout(tick, this.#o.intervalMs);
  }

  /** One pass of every role. Throws the first failure (the next tick retries). */
  async reconcile(): Promise<void> {
    await this.#syncEndpointSlices();
    await this.#runHooks();
    await this.#renderAndApply();
    await this.#syncSpeakers();
    await this.#syncProxies();
    this.lastError = undefined;
  }

  async #listInputs(): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for (const k of HOOK_INPUT_KINDS) {
      if (!(await this.#o.client.resource(k.apiVersion, k.kind))) continue;
      out.push(...await this.#o.client.list(k.apiVersion, k.kind, k.namespace));
    }
    return out;
  }

  async #runHooks(): Promise<void> {
    const objects = await this.#listInputs();
    const h = hashOf(objects.map(inputView));
    if (h === this.#inputHash) return;
    const { values, writes } = await this.#o.hooks.converge(objects, this.#values);
    for (const w of writes) await this.#write(w);
    this.#values = values;
    // Our own writes change the input; the next tick runs the hooks once more and they settle.
    this.#inputHash = writes.length === 0 ? h : '';
  }

  async #write(w: ObjectWrite): Promise<void> {
    const { client } = this.#o;
    const o = w.object;
    const what = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    if (w.type === 'status') await client.patchStatus(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name, o.status ?? {});
    else if (w.type === 'delete') await client.delete(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
    else await client.apply(o);
    this.#o.log(`hooks: ${w.type} ${what}`);
  }

  async #renderAndApply(): Promise<void> {
    const h = hashOf(this.#values);
    if (h === this.#valuesHash) return;
    const objects = await renderModule(this.#values);
    const skipped: string[] = [];
    for (const o of objects) {
      if (await this.#o.client.resource(o.apiVersion, o.kind)) await this.#o.client.apply(o);
      else skipped.push(`${o.kind}/${o.metadata.name}`);
    }
    this.#rendered = objects;
    this.#daemonSet = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'metallb-speaker');
    this.#valuesHash = h;
    this.#o.log(`helm: rendered ${objects.length} objects, applied ${objects.length - skipped.length}` +
      (skipped.length > 0 ? `; kept in the lab (kind not served by the embedded API): ${skipped.join(', ')}` : ''));
  }

  #schedNodes(): SchedNode[] {
    return this.#o.topology.scenario.nodes.map((n) => ({ name: n.name, labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', ...n.labels }, address: n.address }));
  }

  async #syncSpeakers(): Promise<void> {
    const { topology, client } = this.#o;
    const ds = this.#daemonSet;
    const wanted = new Map<string, PodLaunch>();
    if (ds) {
      const namespace = ds.metadata.namespace ?? 'default';
      const sources = {
        configMaps: await client.list('v1', 'ConfigMap', namespace),
        secrets: await client.list('v1', 'Secret', namespace),
      };
      for (const name of daemonSetNodes(ds, this.#schedNodes())) {
        if (topology.isStopped(name)) continue;
        const node = this.#schedNodes().find((n) => n.name === name)!;
        try {
          wanted.set(name, podLaunch(ds, node, sources, this.#o.container));
        } catch (err) {
          if (!(err instanceof PodSpecError)) throw err;
          this.#o.log(`kubelet ${name}: pod not started: ${err.message}`);
        }
      }
    }
    for (const [node, pod] of this.#pods) {
      const want = wanted.get(node);
      const exited = pod.proc.child.exitCode !== null || pod.proc.child.signalCode !== null;
      if (want && hashOf(want) === pod.hash && !exited) continue;
      if (exited && !topology.isStopped(node)) this.#o.log(`kubelet ${node}: speaker exited (${String(pod.proc.child.exitCode ?? pod.proc.child.signalCode)}); last output:\n${pod.proc.output().slice(-1500)}`);
      await pod.proc.stop('SIGTERM', 5000);
      this.#pods.delete(node);
      if (!want) this.#o.log(`kubelet ${node}: speaker stopped (no longer scheduled here)`);
    }
    for (const [node, launch] of wanted) {
      if (this.#pods.has(node)) continue;
      const opts: PodRunnerOptions = {
        imagePaths: this.#o.imagePaths,
        extraFiles: { [SPEAKER_KUBECONFIG]: this.#o.speakerKubeconfig },
        extraEnv: { KUBECONFIG: SPEAKER_KUBECONFIG },
      };
      const proc = startPod(topology.netns, launch, opts);
      this.#pods.set(node, { launch, hash: hashOf(launch), proc, restarts: 0 });
      this.#o.log(`kubelet ${node}: started ${launch.podName} (${launch.argv.join(' ')})` + (launch.ignored.length ? `; not honoured: ${launch.ignored.join(', ')}` : ''));
    }
  }

  async #syncEndpointSlices(): Promise<void> {
    const { client, topology } = this.#o;
    const services = await client.list('v1', 'Service');
    for (const svc of services) {
      const spec = svc.spec as { selector?: Record<string, string>; ports?: { name?: string; port: number; targetPort?: number; protocol?: string }[] } | undefined;
      if (!spec?.selector || Object.keys(spec.selector).length === 0) continue;
      const slice: KubeObject = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${svc.metadata.name}-lab`, namespace: svc.metadata.namespace ?? 'default', labels: { 'kubernetes.io/service-name': svc.metadata.name, 'endpointslice.kubernetes.io/managed-by': 'lab' } },
        addressType: 'IPv4',
        endpoints: topology.scenario.nodes.map((n) => ({
          addresses: [n.address],
          nodeName: n.name,
          conditions: { ready: !topology.isStopped(n.name), serving: !topology.isStopped(n.name), terminating: false },
        })),
        ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: Number(p.targetPort ?? p.port), protocol: p.protocol ?? 'TCP' })),
      };
      const key = `${slice.metadata.namespace}/${slice.metadata.name}`;
      const h = hashOf(slice);
      if (this.#sliceHash.get(key) === h) continue;
      await client.apply(slice);
      this.#sliceHash.set(key, h);
    }
  }

  async #syncProxies(): Promise<void> {
    const { client, topology } = this.#o;
    const services: ProxiedService[] = (await client.list('v1', 'Service')).flatMap((svc) => {
      const ingress = ((svc.status as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
      const ports = ((svc.spec as { ports?: { port: number; targetPort?: number | string; protocol?: string }[] } | undefined)?.ports ?? [])
        .map((p) => ({ protocol: (p.protocol ?? 'TCP') as ProxiedService['ports'][number]['protocol'], port: p.port, targetPort: typeof p.targetPort === 'number' ? p.targetPort : p.port }));
      return ingress.length > 0 ? [{ key: `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`, ips: ingress, ports }] : [];
    });
    const h = hashOf(services);
    for (const n of topology.scenario.nodes) {
      if (topology.isStopped(n.name) || this.#proxyHash.get(n.name) === h) continue;
      topology.syncProxy(n.name, services);
      this.#proxyHash.set(n.name, h);
    }
  }

  /** Stops the loop and its speakers (SIGTERM: a graceful leave). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    await Promise.all([...this.#pods.values()].map((p) => p.proc.stop('SIGTERM', 3000)));
    this.#pods.clear();
  }
}
