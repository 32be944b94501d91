// The cluster around the module, reduced to what the lab needs, in one reconcile loop against the
// embedded Kubernetes API:
//
//   kubelet + node controller   Node objects for the scenario's nodes (labels, InternalIP, Ready)
//   endpointslice controller    an EndpointSlice per Service: every running node has a pod
//   addon-operator              the real hooks executable run by the addon-operator imitation over
//                               the store the API serves (lab/module-runtime.ts): hooks read and
//                               write the API's objects, values changes render the chart with real
//                               helm and apply it (the kinds the embedded API serves)
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
import type { ModuleRuntime, ModuleValues } from './module-runtime.ts';
import type { ProxiedService } from './kube-proxy.ts';
import { startPod, type PodRunnerOptions } from './pod-runner.ts';
import { daemonSetNodes, podLaunch, PodSpecError, type PodLaunch, type SchedNode } from './pod-spec.ts';
import type { KubeObject } from './scenario.ts';
import type { Topology } from './topology.ts';

/** Options of the operator loop. */
export interface OperatorLoopOptions {
  client: KubeClient;
  topology: Topology;
  /** The module's hooks and helm (the addon-operator imitation over the API's store). */
  module: ModuleRuntime;
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
  /** Earliest restart after an exit (the kubelet's CrashLoopBackOff, shortened). */
  retryAt: number;
}

const SPEAKER_KUBECONFIG = '/etc/metallb/lab/kubeconfig';

function hashOf(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v, (_k, x: unknown) => (Buffer.isBuffer(x) ? x.toString('base64') : x))).digest('hex');
}

/** The lab's operator loop; `start()` once, `stop()` at the end. */
export class OperatorLoop {
  readonly #o: Required<Omit<OperatorLoopOptions, 'log'>> & { log: (line: string) => void };
  #renderedLogged: readonly KubeObject[] = [];
  #pods = new Map<string, PodState>();
  #restarts = new Map<string, number>();
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
    return this.#o.module.values();
  }

  /** Objects helm rendered last. */
  get rendered(): readonly KubeObject[] {
    return this.#o.module.rendered();
  }

  #daemonSet(): KubeObject | undefined {
    return this.rendered.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'metallb-speaker');
  }

  /** Running speaker processes by node. */
  speakers(): Map<string, NsProcess> {
    return new Map([...this.#pods].map(([n, p]) => [n, p.proc]));
  }

  /** Nodes, namespaces and the scenario's objects into the API, then the first full reconcile. */
  async start(): Promise<void> {
    const { client, topology } = this.#o;
    const s = topology.scenario;
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
    await this.#syncEndpointSlices();
    await this.#o.module.start();
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
    await this.#o.module.settle();
    await this.#logRender();
    await this.#syncSpeakers();
    await this.#syncProxies();
    this.lastError = undefined;
  }

  async #logRender(): Promise<void> {
    const objects = this.rendered;
    if (objects === this.#renderedLogged) return;
    this.#renderedLogged = objects;
    const skipped: string[] = [];
    for (const o of objects) if (!(await this.#o.client.resource(o.apiVersion, o.kind))) skipped.push(`${o.kind}/${o.metadata.name}`);
    this.#o.log(`helm: rendered ${objects.length} objects` +
      (skipped.length > 0 ? `; kept in the lab (kind not served by the embedded API): ${skipped.join(', ')}` : ''));
  }

  /** Nodes as the scheduler sees them: labels from the API (so `kubectl label node` counts). */
  async #schedNodes(): Promise<SchedNode[]> {
    const fromApi = new Map((await this.#o.client.list('v1', 'Node')).map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
    return this.#o.topology.scenario.nodes.filter((n) => fromApi.has(n.name)).map((n) => ({ name: n.name, labels: fromApi.get(n.name)!, address: n.address }));
  }

  /** A pod is restarted when its spec changes (argv, env, mounted ConfigMap/Secret files). */
  #podHash(launch: PodLaunch): string {
    return hashOf({ launch });
  }

  async #syncSpeakers(): Promise<void> {
    const { topology, client } = this.#o;
    const ds = this.#daemonSet();
    const wanted = new Map<string, PodLaunch>();
    if (ds) {
      const namespace = ds.metadata.namespace ?? 'default';
      const sources = {
        configMaps: await client.list('v1', 'ConfigMap', namespace),
        secrets: await client.list('v1', 'Secret', namespace),
      };
      const nodes = await this.#schedNodes();
      for (const name of daemonSetNodes(ds, nodes)) {
        const node = nodes.find((n) => n.name === name)!;
        if (topology.isStopped(name)) continue;
        try {
          wanted.set(name, podLaunch(ds, node, sources, this.#o.container));
        } catch (err) {
          if (!(err instanceof PodSpecError)) throw err;
          this.#o.log(`kubelet ${name}: pod not started: ${err.message}`);
        }
      }
    }
    const now = Date.now();
    for (const [node, pod] of this.#pods) {
      const want = wanted.get(node);
      const exited = pod.proc.child.exitCode !== null || pod.proc.child.signalCode !== null;
      if (want && this.#podHash(want) === pod.hash && !exited) continue;
      if (exited && want && now < pod.retryAt) continue; // CrashLoopBackOff
      if (exited && !topology.isStopped(node)) {
        if (pod.restarts < 3) {
          this.#o.log(`kubelet ${node}: speaker exited (${String(pod.proc.child.exitCode ?? pod.proc.child.signalCode)}); last output:\n${pod.proc.output().slice(-1500)}`);
        }
      }
      await pod.proc.stop('SIGTERM', 5000);
      this.#pods.delete(node);
      if (exited && want) this.#restarts.set(node, pod.restarts + 1);
      if (!want) this.#o.log(`kubelet ${node}: speaker gone (${topology.isStopped(node) ? 'node powered off' : 'no longer scheduled here'})`);
    }
    for (const [node, launch] of wanted) {
      if (this.#pods.has(node)) continue;
      const opts: PodRunnerOptions = {
        imagePaths: this.#o.imagePaths,
        extraFiles: { [SPEAKER_KUBECONFIG]: this.#o.speakerKubeconfig },
        extraEnv: { KUBECONFIG: SPEAKER_KUBECONFIG },
      };
      const proc = startPod(topology.netns, launch, opts);
      const restarts = this.#restarts.get(node) ?? 0;
      this.#pods.set(node, { launch, hash: this.#podHash(launch), proc, restarts, retryAt: Date.now() + Math.min(10_000, 500 * 2 ** restarts) });
      if (restarts < 3) this.#o.log(`kubelet ${node}: started ${launch.podName} (${launch.argv.join(' ')})` + (launch.ignored.length ? `; not honoured: ${launch.ignored.join(', ')}` : ''));
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
