// Security policy of the rendered chart, as pure checks that return every violation found (empty
// = compliant). The template tests run them on rendered manifests and on deliberately broken
// copies, so a check that could never fail is caught too.
import { matchesRequirement, type SelectorRequirement } from '../../lib/kube/labels.ts';
import type { KubeObject } from './chart.ts';

interface Container {
  name: string;
  securityContext?: {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type?: string };
  };
}

interface PodSpec {
  hostPID?: boolean;
  hostIPC?: boolean;
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Record<string, unknown>[];
  securityContext?: { seccompProfile?: { type?: string } };
}

/** Capabilities each container may add; every other container adds none. */
export const allowedCapabilities: Readonly<Record<string, readonly string[]>> = {
  speaker: ['NET_RAW'],
};

/** Containers that must run as root (the reason is in templates/_helpers.tpl, speakerSecurityContext). */
export const rootContainers: ReadonlySet<string> = new Set(['speaker']);

const volumeKinds = new Set(['configMap', 'secret', 'emptyDir', 'projected', 'name']);

/** The pod template of a workload, or undefined for other kinds. */
export function podSpecOf(o: KubeObject): PodSpec | undefined {
  if (!['DaemonSet', 'Deployment', 'StatefulSet'].includes(o.kind)) return undefined;
  const spec = o.spec as { template?: { spec?: PodSpec } } | undefined;
  return spec?.template?.spec;
}

/** Violations of the pod security policy in one workload. */
export function podPolicyViolations(o: KubeObject): string[] {
  const pod = podSpecOf(o);
  if (!pod) return [];
  const where = `${o.kind}/${o.metadata.name}`;
  const out: string[] = [];
  if (pod.hostPID) out.push(`${where}: hostPID`);
  if (pod.hostIPC) out.push(`${where}: hostIPC`);
  for (const v of pod.volumes ?? []) {
    for (const k of Object.keys(v)) if (!volumeKinds.has(k)) out.push(`${where}: volume ${String(v.name)} of kind ${k}`);
  }
  const podSeccomp = pod.securityContext?.seccompProfile?.type;
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const at = `${where} container ${c.name}`;
    const sc = c.securityContext ?? {};
    if (sc.privileged !== false && sc.privileged !== undefined) out.push(`${at}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: allowPrivilegeEscalation is not false`);
    if (sc.readOnlyRootFilesystem !== true) out.push(`${at}: root filesystem is writable`);
    if (!rootContainers.has(c.name) && sc.runAsNonRoot !== true) out.push(`${at}: may run as root`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${at}: does not drop ALL capabilities`);
    const allowed = allowedCapabilities[c.name] ?? [];
    for (const cap of sc.capabilities?.add ?? []) {
      if (!allowed.includes(cap)) out.push(`${at}: adds capability ${cap}`);
    }
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${at}: no seccomp profile`);
  }
  return out;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** What the speaker's ServiceAccount may do: `group/resource` -> verbs (core group is ''). */
export const speakerPermissions: Readonly<Record<string, readonly string[]>> = {
  '/services': ['get', 'list', 'watch'],
  '/nodes': ['get', 'list', 'watch'],
  'discovery.k8s.io/endpointslices': ['get', 'list', 'watch'],
  'network.deckhouse.io/metalloadbalancerclasses': ['get', 'list', 'watch'],
  '/configmaps': ['get', 'list', 'watch'],
  '/events': ['create', 'patch'],
};

/** Roles outside the chart a binding may point at, with why. */
export const externalRoles: Readonly<Record<string, string>> = {
  'd8:rbac-proxy': "Deckhouse's role for kube-rbac-proxy: create TokenReviews and SubjectAccessReviews",
};

/**
 * Violations of least privilege for one ServiceAccount: every rule reachable through the chart's
 * bindings must be within `allowed`, without wildcards; namespaced resources of the module's own
 * objects must be narrowed by resourceNames where `narrowed` says so.
 */
export function rbacViolations(
  objects: KubeObject[],
  sa: { name: string; namespace: string },
  allowed: Readonly<Record<string, readonly string[]>>,
  narrowed: Readonly<Record<string, readonly string[]>> = {},
): string[] {
  const out: string[] = [];
  for (const b of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    const subjects = (b.subjects ?? []) as { kind: string; name: string; namespace?: string }[];
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === sa.name && s.namespace === sa.namespace)) continue;
    const ref = b.roleRef as { kind: string; name: string };
    const role = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name &&
      (ref.kind === 'ClusterRole' || o.metadata.namespace === b.metadata.namespace));
    if (!role) {
      if (!(ref.name in externalRoles)) out.push(`${b.kind}/${b.metadata.name}: binds unknown ${ref.kind} ${ref.name}`);
      continue;
    }
    for (const rule of (role.rules ?? []) as PolicyRule[]) {
      const at = `${role.kind}/${role.metadata.name}`;
      if (rule.nonResourceURLs?.length) out.push(`${at}: nonResourceURLs ${rule.nonResourceURLs.join(',')}`);
      for (const group of rule.apiGroups ?? []) {
        for (const res of rule.resources ?? []) {
          const key = `${group}/${res}`;
          const ok = allowed[key];
          if (group === '*' || res === '*' || !ok) {
            out.push(`${at}: ${key} is not allowed`);
            continue;
          }
          for (const verb of rule.verbs ?? []) if (!ok.includes(verb)) out.push(`${at}: ${verb} ${key}`);
          const names = narrowed[key];
          if (names && !(rule.resourceNames?.length && rule.resourceNames.every((n) => names.includes(n)))) {
            out.push(`${at}: ${key} not narrowed to ${names.join(',')}`);
          }
        }
      }
    }
  }
  return out;
}

/** A node selector term of a required node affinity. */
export interface NodeSelectorTerm {
  matchExpressions?: SelectorRequirement[];
  matchFields?: SelectorRequirement[];
}

/**
 * Whether a node with these labels satisfies the required node affinity, as the scheduler decides:
 * terms are ORed, expressions within a term ANDed, and an empty term matches no node.
 */
export function nodeMatchesAffinity(labels: Record<string, string>, terms: NodeSelectorTerm[]): boolean {
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [];
    if (exprs.length === 0 && (t.matchFields ?? []).length === 0) return false;
    if ((t.matchFields ?? []).length > 0) return false; // not used by this chart; never guessed
    return exprs.every((r) => matchesRequirement(labels, r));
  });
}
