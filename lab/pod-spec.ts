// What the kubelet would run for a DaemonSet pod on a node, computed from the rendered DaemonSet:
// which nodes it schedules to (nodeSelector + required node affinity, the scheduler's rules), and
// for one container the command line, environment and mounted ConfigMap/Secret files. Pure: the
// lab's pod runner (lab/pod-runner.ts) turns a `PodLaunch` into a process in a node namespace.
// Parts of a pod the lab cannot honour are listed in `PodLaunch.ignored`, never dropped silently.
import { matchesRequirement, type SelectorRequirement } from '../lib/kube/labels.ts';
import type { KubeObject } from './scenario.ts';

/** A node as the scheduler sees it. */
export interface SchedNode {
  name: string;
  labels: Record<string, string>;
  address: string;
}

interface NodeSelectorRequirement { key: string; operator: string; values?: string[] }
interface NodeSelectorTerm { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
  };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
interface Volume {
  name: string;
  configMap?: { name: string; defaultMode?: number; items?: { key: string; path: string }[] };
  secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] };
  emptyDir?: object;
}
interface PodSpec {
  nodeSelector?: Record<string, string>;
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } };
  containers?: Container[];
  volumes?: Volume[];
  hostNetwork?: boolean;
}

/** A file the kubelet would project into a volume. */
export interface PodFile {
  path: string;
  content: Buffer;
  mode: number;
}

/** A volume mount with the files it holds (empty for an emptyDir). */
export interface PodMount {
  mountPath: string;
  volume: string;
  kind: 'configMap' | 'secret' | 'emptyDir';
  files: PodFile[];
}

/** One container of a pod on one node, ready to be started by the lab. */
export interface PodLaunch {
  node: string;
  podName: string;
  container: string;
  /** argv: command followed by args, with $(VAR) references expanded. */
  argv: string[];
  env: Record<string, string>;
  mounts: PodMount[];
  /** Things in the pod spec the lab does not honour (probes, sidecars, ...), for the log. */
  ignored: string[];
}

/** Objects a pod may reference (ConfigMaps and Secrets of its namespace). */
export interface PodSources {
  configMaps: KubeObject[];
  secrets: KubeObject[];
}

/** Thrown when a pod cannot start as the kubelet would refuse it (missing ConfigMap, Secret, key). */
export class PodSpecError extends Error {
  override readonly name = 'PodSpecError';
  readonly code = 'LAB_POD_SPEC';
}

/** The pod template spec of a DaemonSet. */
export function podSpecOf(ds: KubeObject): PodSpec {
  const spec = (ds as { spec?: { template?: { spec?: PodSpec } } }).spec?.template?.spec;
  if (!spec) throw new PodSpecError(`DaemonSet ${ds.metadata.name} has no spec.template.spec`);
  return spec;
}

function requirementMatches(labels: Record<string, string>, r: NodeSelectorRequirement): boolean {
  if (r.operator === 'Gt' || r.operator === 'Lt') {
    const v = labels[r.key];
    const bound = Number(r.values?.[0]);
    if (v === undefined || !/^-?\d+$/.test(v) || !Number.isFinite(bound)) return false;
    return r.operator === 'Gt' ? Number(v) > bound : Number(v) < bound;
  }
  return matchesRequirement(labels, r as SelectorRequirement);
}

/**
 * Whether the scheduler would put a pod with this spec on `node`: every nodeSelector label, and at
 * least one required affinity term. A term with no requirements matches no node (Kubernetes rule).
 */
export function schedulesOn(spec: PodSpec, node: SchedNode): boolean {
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (node.labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms === undefined) return true;
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [];
    const fields = t.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return exprs.every((r) => requirementMatches(node.labels, r))
      && fields.every((r) => r.key === 'metadata.name' && requirementMatches({ 'metadata.name': node.name }, r));
  });
}

/** Names of the nodes a DaemonSet runs on, in the given order. */
export function daemonSetNodes(ds: KubeObject, nodes: readonly SchedNode[]): string[] {
  const spec = podSpecOf(ds);
  return nodes.filter((n) => schedulesOn(spec, n)).map((n) => n.name);
}

function findData(objects: KubeObject[], name: string): { data: Record<string, Buffer> } | undefined {
  const o = objects.find((x) => x.metadata.name === name) as (KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> }) | undefined;
  if (!o) return undefined;
  const data: Record<string, Buffer> = {};
  const isSecret = o.kind === 'Secret';
  for (const [k, v] of Object.entries(o.data ?? {})) data[k] = isSecret ? Buffer.from(v, 'base64') : Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries(o.stringData ?? {})) data[k] = Buffer.from(v, 'utf8');
  return { data };
}

/** Expands $(VAR) as the kubelet does; $$ escapes, unknown references stay as written. */
export function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (name === undefined ? '$' : env[name] ?? m));
}

/** The launch of container `containerName` (default: the first) of `ds` on `node`. */
export function podLaunch(ds: KubeObject, node: SchedNode, sources: PodSources, containerName?: string): PodLaunch {
  const spec = podSpecOf(ds);
  const containers = spec.containers ?? [];
  const c = containerName ? containers.find((x) => x.name === containerName) : containers[0];
  if (!c) throw new PodSpecError(`DaemonSet ${ds.metadata.name} has no container ${containerName ?? '(any)'}`);
  const namespace = ds.metadata.namespace ?? 'default';
  const podName = `${ds.metadata.name}-${node.name}`;
  const where = `DaemonSet ${namespace}/${ds.metadata.name} container ${c.name}`;
  const ignored = containers.filter((x) => x !== c).map((x) => `container ${x.name} (not started by the lab)`);
  const fields: Record<string, string> = {
    'spec.nodeName': node.name,
    'metadata.namespace': namespace,
    'metadata.name': podName,
    'spec.serviceAccountName': String((spec as { serviceAccountName?: string }).serviceAccountName ?? 'default'),
    'status.hostIP': node.address,
    // The lab runs every pod in its node's network namespace, as hostNetwork pods run.
    'status.podIP': node.address,
  };
  if (!spec.hostNetwork) ignored.push('hostNetwork false (the lab runs the pod in the node network namespace)');
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = expandVars(e.value, env);
    else if (e.valueFrom?.fieldRef) {
      const v = fields[e.valueFrom.fieldRef.fieldPath];
      if (v === undefined) throw new PodSpecError(`${where}: env ${e.name}: fieldRef ${e.valueFrom.fieldRef.fieldPath} not supported by the lab`);
      env[e.name] = v;
    } else if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef) {
      const ref = (e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef)!;
      const src = findData(e.valueFrom.secretKeyRef ? sources.secrets : sources.configMaps, ref.name);
      const v = src?.data[ref.key];
      if (v === undefined) {
        if (ref.optional) continue;
        throw new PodSpecError(`${where}: env ${e.name}: ${ref.name}/${ref.key} not found`);
      }
      env[e.name] = v.toString('utf8');
    } else {
      ignored.push(`env ${e.name} (valueFrom kind not supported)`);
    }
  }
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map((a) => expandVars(a, env));
  if (argv.length === 0) throw new PodSpecError(`${where}: no command (the lab cannot read an image's entrypoint)`);
  const mounts: PodMount[] = [];
  for (const m of c.volumeMounts ?? []) {
    const v = (spec.volumes ?? []).find((x) => x.name === m.name);
    if (!v) throw new PodSpecError(`${where}: volumeMount ${m.name} has no volume`);
    if (m.subPath) ignored.push(`volumeMount ${m.name} subPath`);
    if (v.emptyDir) {
      mounts.push({ mountPath: m.mountPath, volume: v.name, kind: 'emptyDir', files: [] });
      continue;
    }
    const ref = v.configMap ? { kind: 'configMap' as const, name: v.configMap.name, mode: v.configMap.defaultMode ?? 0o644, items: v.configMap.items }
      : v.secret ? { kind: 'secret' as const, name: v.secret.secretName, mode: v.secret.defaultMode ?? 0o644, items: v.secret.items } : undefined;
    if (!ref) {
      ignored.push(`volume ${v.name} (kind not supported)`);
      continue;
    }
    const src = findData(ref.kind === 'secret' ? sources.secrets : sources.configMaps, ref.name);
    // The kubelet keeps such a pod in ContainerCreating; the lab refuses to start it.
    if (!src) throw new PodSpecError(`${where}: ${ref.kind} ${namespace}/${ref.name} for volume ${v.name} not found`);
    const keys = ref.items ?? Object.keys(src.data).sort().map((k) => ({ key: k, path: k }));
    const files = keys.map(({ key, path }) => {
      const content = src.data[key];
      if (content === undefined) throw new PodSpecError(`${where}: key ${key} missing in ${ref.kind} ${ref.name}`);
      return { path, content, mode: ref.mode };
    });
    mounts.push({ mountPath: m.mountPath, volume: v.name, kind: ref.kind, files });
  }
  return { node: node.name, podName, container: c.name, argv, env, mounts, ignored };
}
