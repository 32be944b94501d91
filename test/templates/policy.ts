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

/** One API request as kube-apiserver's RequestInfo sees it (the parts RBAC decides on). */
export type ApiRequest =
  | { kind: 'resource'; verb: string; group: string; resource: string; namespace?: string; name?: string }
  | { kind: 'nonResource'; verb: string; path: string };

/**
 * Parses a request as kube-apiserver does for authorization: group/resource/subresource from the
 * path, the verb from the method (GET on a collection is list, or watch with `watch=true`), and
 * for list/watch the name from a `metadata.name` field selector (that is what lets resourceNames
 * cover them).
 */
export function parseApiRequest(method: string, url: string): ApiRequest {
  const u = new URL(url, 'http://x');
  const parts = u.pathname.split('/').filter(Boolean);
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 3) { group = ''; rest = parts.slice(2); }
  else if (parts[0] === 'apis' && parts.length >= 4) { group = parts[1] as string; rest = parts.slice(3); }
  else return { kind: 'nonResource', verb: method.toLowerCase(), path: u.pathname };
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) { namespace = rest[1]; rest = rest.slice(2); }
  const [resource, name, subresource] = rest as [string, string | undefined, string | undefined];
  const watch = u.searchParams.get('watch') === 'true' || u.searchParams.get('watch') === '1';
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' };
  let verb = verbs[method] ?? '';
  if (method === 'GET') verb = name ? 'get' : watch ? 'watch' : 'list';
  if (method === 'DELETE') verb = name ? 'delete' : 'deletecollection';
  let effectiveName = name;
  if (!name && (verb === 'list' || verb === 'watch')) {
    const m = /(?:^|,)metadata\.name=([^,]+)/.exec(u.searchParams.get('fieldSelector') ?? '');
    if (m) effectiveName = m[1];
  }
  return {
    kind: 'resource', verb, group, resource: subresource ? `${resource}/${subresource}` : resource,
    ...(namespace ? { namespace } : {}), ...(effectiveName ? { name: effectiveName } : {}),
  };
}

/** Non-resource URLs every authenticated user may GET (Kubernetes' system:discovery and system:public-info-viewer). */
const discoveryPaths = [/^\/api\/?$/, /^\/api\/v1\/?$/, /^\/apis\/?$/, /^\/apis\/[^/]+(\/[^/]+)?\/?$/, /^\/version\/?$/, /^\/openapi\//, /^\/healthz$/, /^\/livez$/, /^\/readyz$/];

/**
 * Whether the ServiceAccount's rendered RBAC (its RoleBindings and ClusterRoleBindings in the
 * chart) allows the request, as Kubernetes' RBAC authorizer decides. Discovery is allowed to everyone.
 */
export function rbacAllows(objects: KubeObject[], sa: { name: string; namespace: string }, req: ApiRequest): boolean {
  if (req.kind === 'nonResource') return req.verb === 'get' && discoveryPaths.some((p) => p.test(req.path));
  for (const b of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    const subjects = (b.subjects ?? []) as { kind: string; name: string; namespace?: string }[];
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === sa.name && s.namespace === sa.namespace)) continue;
    if (b.kind === 'RoleBinding' && req.namespace !== b.metadata.namespace) continue;
    const ref = b.roleRef as { kind: string; name: string };
    const role = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name &&
      (ref.kind === 'ClusterRole' || o.metadata.namespace === b.metadata.namespace));
    for (const rule of (role?.rules ?? []) as PolicyRule[]) {
      const has = (list: string[] | undefined, v: string): boolean => (list ?? []).includes(v) || (list ?? []).includes('*');
      if (!has(rule.apiGroups, req.group) || !has(rule.resources, req.resource) || !has(rule.verbs, req.verb)) continue;
      if (rule.resourceNames?.length && !(req.name && rule.resourceNames.includes(req.name))) continue;
      return true;
    }
  }
  return false;
}
