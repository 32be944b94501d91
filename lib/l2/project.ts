// Projections of API objects into the L2 records: a jq filter (run by addon-operator, so only the
// fields we read travel) and a parser of its result. A parser throws on a shape it does not expect;
// the hook runtime then skips that object, logs why and counts it (d8_metallb_hook_skipped_objects).
import type { JsonValue } from '../json.ts';
import type { ClassRecord, ClassStatus, Condition, NodeRecord, ServiceRecord } from './types.ts';

/**
 * Services: every LoadBalancer Service, and any other Service still carrying our class condition
 * (it stopped being a LoadBalancer: we must release it). Others project to null.
 */
export const SERVICE_FILTER = `if (.spec.type != "LoadBalancer") and ([.status.conditions[]? | select(.type == "network.deckhouse.io/load-balancer-class")] | length == 0) then null else {
  namespace: .metadata.namespace, name: .metadata.name, uid: (.metadata.uid // ""),
  resourceVersion: (.metadata.resourceVersion // ""), creationTimestamp: (.metadata.creationTimestamp // ""),
  type: (.spec.type // "ClusterIP"), loadBalancerClass: (.spec.loadBalancerClass // ""),
  annotations: ((.metadata.annotations // {}) | with_entries(select(.key | test("^(network\\\\.deckhouse\\\\.io|metallb\\\\.universe\\\\.tf|metallb\\\\.io)/")))),
  ipFamilies: (.spec.ipFamilies // []), ipFamilyPolicy: (.spec.ipFamilyPolicy // ""),
  loadBalancerIP: (.spec.loadBalancerIP // ""), externalTrafficPolicy: (.spec.externalTrafficPolicy // "Cluster"),
  selector: (.spec.selector // {}),
  ports: [(.spec.ports // [])[] | {port: .port, protocol: (.protocol // "TCP")}],
  ingress: [(.status.loadBalancer.ingress // [])[] | .ip // empty],
  conditions: (.status.conditions // [])
} end`;

/** MetalLoadBalancerClasses. */
export const CLASS_FILTER = `{
  name: .metadata.name, uid: (.metadata.uid // ""), resourceVersion: (.metadata.resourceVersion // ""),
  generation: (.metadata.generation // 0), creationTimestamp: (.metadata.creationTimestamp // ""),
  deletionTimestamp: (.metadata.deletionTimestamp // ""), finalizers: (.metadata.finalizers // []),
  isDefault: (.spec.isDefault // false), interfaces: (.spec.l2.interfaces // []),
  addressPool: (.spec.addressPool // []), nodeSelector: (.spec.nodeSelector // {}), status: (.status // null)
}`;

/** Nodes: name and labels. */
export const NODE_FILTER = '{name: .metadata.name, labels: (.metadata.labels // {})}';

type Obj = { [key: string]: JsonValue };

function obj(v: JsonValue | undefined, what: string): Obj {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what}: object expected`);
  return v;
}

function str(o: Obj, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Error(`${k}: string expected`);
  return v;
}

function strings(o: Obj, k: string): string[] {
  const v = o[k];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`${k}: list of strings expected`);
  return v as string[];
}

/** A map of strings, validated in place (10k Services: no copy, less garbage). */
function stringMap(o: Obj, k: string): Record<string, string> {
  const m = obj(o[k], k);
  for (const key in m) {
    if (typeof m[key] !== 'string') throw new Error(`${k}.${key}: string expected`);
  }
  return m as Record<string, string>;
}

function conditions(v: JsonValue | undefined, what: string): Condition[] {
  if (!Array.isArray(v)) throw new Error(`${what}: list expected`);
  return v.map((c, i) => {
    const o = obj(c, `${what}[${i}]`);
    const status = o.status;
    if (status !== 'True' && status !== 'False' && status !== 'Unknown') throw new Error(`${what}[${i}].status: True, False or Unknown expected`);
    const cond: Condition = {
      type: str(o, 'type'),
      status,
      reason: typeof o.reason === 'string' ? o.reason : '',
      message: typeof o.message === 'string' ? o.message : '',
      lastTransitionTime: typeof o.lastTransitionTime === 'string' ? o.lastTransitionTime : '',
    };
    return typeof o.observedGeneration === 'number' ? { ...cond, observedGeneration: o.observedGeneration } : cond;
  });
}

/** Parses SERVICE_FILTER's result; null for Services that are not ours to look at. */
export function projectService(v: JsonValue): ServiceRecord | null {
  if (v === null) return null;
  const o = obj(v, 'service');
  const ports = o.ports;
  if (!Array.isArray(ports)) throw new Error('ports: list expected');
  return {
    namespace: str(o, 'namespace'),
    name: str(o, 'name'),
    uid: str(o, 'uid'),
    resourceVersion: str(o, 'resourceVersion'),
    creationTimestamp: str(o, 'creationTimestamp'),
    type: str(o, 'type'),
    loadBalancerClass: str(o, 'loadBalancerClass'),
    annotations: stringMap(o, 'annotations'),
    ipFamilies: strings(o, 'ipFamilies'),
    ipFamilyPolicy: str(o, 'ipFamilyPolicy'),
    loadBalancerIP: str(o, 'loadBalancerIP'),
    externalTrafficPolicy: str(o, 'externalTrafficPolicy'),
    selector: stringMap(o, 'selector'),
    ports: ports.map((p, i) => {
      const po = obj(p, `ports[${i}]`);
      if (typeof po.port !== 'number') throw new Error(`ports[${i}].port: number expected`);
      str(po, 'protocol');
      return po as { port: number; protocol: string };
    }),
    ingress: strings(o, 'ingress'),
    conditions: conditions(o.conditions, 'conditions'),
  };
}

function classStatus(v: JsonValue | undefined): ClassStatus | null {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) return null;
  if (typeof v.totalAddresses !== 'string' || typeof v.usedAddresses !== 'string' || typeof v.nodes !== 'number') return null;
  let conds: Condition[] = [];
  try {
    conds = conditions(v.conditions ?? [], 'status.conditions');
  } catch {
    conds = [];
  }
  const st: ClassStatus = { totalAddresses: v.totalAddresses, usedAddresses: v.usedAddresses, nodes: v.nodes, conditions: conds };
  return typeof v.observedGeneration === 'number' ? { ...st, observedGeneration: v.observedGeneration } : st;
}

/** Parses CLASS_FILTER's result. */
export function projectClass(v: JsonValue): ClassRecord {
  const o = obj(v, 'class');
  if (typeof o.generation !== 'number') throw new Error('generation: number expected');
  if (typeof o.isDefault !== 'boolean') throw new Error('isDefault: boolean expected');
  return {
    name: str(o, 'name'),
    uid: str(o, 'uid'),
    resourceVersion: str(o, 'resourceVersion'),
    generation: o.generation,
    creationTimestamp: str(o, 'creationTimestamp'),
    deletionTimestamp: str(o, 'deletionTimestamp'),
    finalizers: strings(o, 'finalizers'),
    isDefault: o.isDefault,
    interfaces: strings(o, 'interfaces'),
    addressPool: strings(o, 'addressPool'),
    nodeSelector: stringMap(o, 'nodeSelector'),
    status: classStatus(o.status),
  };
}

/** Parses NODE_FILTER's result. */
export function projectNode(v: JsonValue): NodeRecord {
  const o = obj(v, 'node');
  return { name: str(o, 'name'), labels: stringMap(o, 'labels') };
}
