// The built-in kinds the module and its lab use, described for the store: scope, status
// subresource, strategic-merge list keys (from the Go types' patchStrategy/patchMergeKey tags),
// field selectors, defaulting and validation.
import type { KubeObject, ResourceType } from './store.ts';
import { validateEvent, validateObjectMeta, validateService, type NameRule } from './validation.ts';

function withMeta(rule: NameRule, namespaced: boolean, extra?: (o: KubeObject, old: KubeObject | undefined) => ReturnType<typeof validateService>): ResourceType['validate'] {
  return (o, old) => [...validateObjectMeta(o, rule, namespaced), ...(extra ? extra(o, old) : [])];
}

/**
 * Service defaulting as kube-apiserver does it (type, sessionAffinity, port protocol and
 * targetPort, traffic policies, IP families) plus cluster IP and node port allocation. Addresses
 * come from a counter: they are data only and never configured on an interface.
 */
export function defaultService(o: KubeObject, alloc: { clusterIP: () => string; nodePort: () => number }): KubeObject {
  if (o.spec !== undefined && (typeof o.spec !== 'object' || o.spec === null || Array.isArray(o.spec))) return o; // refused by validateService
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  o.spec = spec;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'ExternalName') return o;
  if (spec.type === 'LoadBalancer' || spec.type === 'NodePort') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  if (!spec.clusterIP) spec.clusterIP = alloc.clusterIP();
  if (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0) spec.clusterIPs = [spec.clusterIP];
  spec.ipFamilies ??= [String(spec.clusterIP).includes(':') ? 'IPv6' : 'IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
  if (Array.isArray(spec.ports)) {
    const needNodePort = spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
    for (const p of spec.ports as Record<string, unknown>[]) {
      if (typeof p !== 'object' || p === null) continue;
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
      if (needNodePort && !p.nodePort) p.nodePort = alloc.nodePort();
    }
  }
  return o;
}

/** Namespace create sets status.phase Active and the `kubernetes.io/metadata.name` label. */
function defaultNamespace(o: KubeObject): KubeObject {
  o.status = { phase: 'Active', ...((o.status ?? {}) as object) };
  o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name ?? '' };
  return o;
}

/** Options for the built-in types (the Service allocator is per server). */
export interface BuiltinOptions {
  clusterIP?: () => string;
  nodePort?: () => number;
}

/** The built-in resource types, fresh objects per call. */
export function builtinTypes(opts: BuiltinOptions = {}): ResourceType[] {
  let ipCounter = 0;
  let portCounter = 0;
  const alloc = {
    clusterIP: opts.clusterIP ?? (() => {
      ipCounter++;
      return `10.96.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
    }),
    nodePort: opts.nodePort ?? (() => 30000 + (portCounter++ % 2768)),
  };
  return [
    {
      group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', singular: 'namespace', shortNames: ['ns'],
      namespaced: false, statusSubresource: true, keepStatusOnCreate: true,
      strategicListRules: {}, fieldSelectors: ['status.phase'],
      prepare: defaultNamespace, validate: withMeta('label', false),
    },
    {
      group: '', version: 'v1', resource: 'nodes', kind: 'Node', singular: 'node', shortNames: ['no'],
      namespaced: false, statusSubresource: true, keepStatusOnCreate: true,
      strategicListRules: { 'status.conditions': 'type', 'status.addresses': 'type', 'spec.taints': 'key' },
      fieldSelectors: ['spec.unschedulable'],
      validate: withMeta('subdomain', false),
    },
    {
      group: '', version: 'v1', resource: 'services', kind: 'Service', singular: 'service', shortNames: ['svc'],
      namespaced: true, statusSubresource: true,
      strategicListRules: { 'spec.ports': 'port', 'status.conditions': 'type' },
      fieldSelectors: ['spec.clusterIP', 'spec.type'],
      prepare: (o) => defaultService(o, alloc),
      validate: withMeta('dns1035', true, (o) => validateService(o)),
    },
    {
      group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap', shortNames: ['cm'],
      namespaced: true, statusSubresource: false, strategicListRules: {},
      validate: withMeta('subdomain', true),
    },
    {
      group: '', version: 'v1', resource: 'secrets', kind: 'Secret', singular: 'secret',
      namespaced: true, statusSubresource: false, strategicListRules: {}, fieldSelectors: ['type'],
      prepare: (o) => {
        o.type ??= 'Opaque';
        return o;
      },
      validate: withMeta('subdomain', true),
    },
    {
      group: '', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', shortNames: ['ev'],
      namespaced: true, statusSubresource: false, strategicListRules: {},
      fieldSelectors: [
        'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
        'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
        'reason', 'reportingComponent', 'source', 'type',
      ],
      validate: withMeta('subdomain', true, (o) => validateEvent(o, false)),
    },
    {
      group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', singular: 'endpointslice',
      namespaced: true, statusSubresource: false, strategicListRules: {},
      validate: withMeta('subdomain', true),
    },
    {
      group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', singular: 'lease',
      namespaced: true, statusSubresource: false, strategicListRules: {},
      validate: withMeta('subdomain', true),
    },
  ];
}
