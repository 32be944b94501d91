// Builders and a tiny in-memory cluster for L2 core tests: records with defaults, and a loop that
// applies a plan's writes the way the API server would (status merge patch, finalizers, a new
// resourceVersion per write), optionally showing the next run a stale snapshot.
import { plan, loadWriteCache, type ClassRecord, type NodeRecord, type Plan, type PlanInput, type ServiceRecord, type WriteCacheData } from '../../lib/l2/index.ts';

let uidCounter = 0;

export function svc(name: string, o: Partial<ServiceRecord> & { count?: number | string } = {}): ServiceRecord {
  const annotations: Record<string, string> = { ...(o.annotations ?? {}) };
  if (o.count !== undefined) annotations['network.deckhouse.io/l2-load-balancer-external-ips-count'] = String(o.count);
  const { count: _c, ...rest } = o;
  return {
    namespace: 'default',
    name,
    uid: `uid-${name}-${++uidCounter}`,
    resourceVersion: '1',
    creationTimestamp: '2026-01-01T00:00:00Z',
    type: 'LoadBalancer',
    loadBalancerClass: '',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    loadBalancerIP: '',
    externalTrafficPolicy: 'Cluster',
    selector: { app: name },
    ports: [{ port: 80, protocol: 'TCP' }],
    ingress: [],
    conditions: [],
    ...rest,
    annotations,
  };
}

export function cls(name: string, o: Partial<ClassRecord> = {}): ClassRecord {
  return {
    name,
    uid: `uid-class-${name}`,
    resourceVersion: '1',
    generation: 1,
    creationTimestamp: '2025-01-01T00:00:00Z',
    deletionTimestamp: '',
    finalizers: [],
    isDefault: false,
    interfaces: [],
    addressPool: ['192.168.2.100-192.168.2.150'],
    nodeSelector: {},
    status: null,
    ...o,
  };
}

export function node(name: string, labels: Record<string, string> = {}): NodeRecord {
  return { name, labels };
}

/** The documentation example's class and nodes. */
export function docExample(): { classes: ClassRecord[]; nodes: NodeRecord[] } {
  const lb = { 'node-role.kubernetes.io/loadbalancer': '' };
  return {
    classes: [cls('ingress', { nodeSelector: lb })],
    nodes: [node('frontend-1', lb), node('frontend-2', lb), node('frontend-3', lb), node('worker-1')],
  };
}

/** A cluster whose objects change only through plan writes (and the test's own edits). */
export class Cluster {
  services: ServiceRecord[];
  classes: ClassRecord[];
  nodes: NodeRecord[];
  cache: WriteCacheData = loadWriteCache(undefined);
  nowMs = Date.parse('2026-01-01T00:00:00Z');
  #rv = 100;
  /** Objects as they were before the last run's writes, with the resourceVersion the write gave them. */
  #beforeWrites = new Map<string, { before: ServiceRecord | ClassRecord; writtenRV: string }>();

  constructor(o: { services?: ServiceRecord[]; classes?: ClassRecord[]; nodes?: NodeRecord[] }) {
    this.services = o.services ?? [];
    this.classes = o.classes ?? [];
    this.nodes = o.nodes ?? [];
  }

  /**
   * Runs one plan and applies its writes. `lag`: the informer is one run behind the hooks' writes:
   * objects the last run wrote (and nobody changed since) are seen as they were before that write.
   */
  run(o: { lag?: boolean; budget?: number; settings?: PlanInput['settings']; advanceMs?: number } = {}): Plan {
    this.nowMs += o.advanceMs ?? 1000;
    const stale = <T extends ServiceRecord | ClassRecord>(kind: string, x: T, id: string): T => {
      const b = this.#beforeWrites.get(`${kind}/${id}`);
      return o.lag && b && b.writtenRV === x.resourceVersion ? (b.before as T) : x;
    };
    const view = {
      services: this.services.map((x) => stale('svc', x, `${x.namespace}/${x.name}`)),
      classes: this.classes.map((x) => stale('class', x, x.name)),
    };
    const beforeServices = new Map(this.services.map((x) => [`${x.namespace}/${x.name}`, x]));
    const beforeClasses = new Map(this.classes.map((x) => [x.name, x]));
    this.#beforeWrites = new Map();
    const p = plan({
      services: view.services,
      classes: view.classes,
      nodes: this.nodes,
      settings: o.settings ?? { loadBalancerClass: '' },
      cache: this.cache,
      now: new Date(this.nowMs),
      eventBudget: o.budget ?? 1000,
    });
    this.cache = JSON.parse(JSON.stringify(p.cache)) as WriteCacheData;
    for (const w of p.serviceWrites) {
      this.services = this.services.map((s) => (s.namespace === w.namespace && s.name === w.name
        ? { ...s, resourceVersion: String(++this.#rv), ingress: (w.patch.status.loadBalancer.ingress ?? []).map((i) => i.ip), conditions: w.patch.status.conditions ?? [] }
        : s));
      const id = `${w.namespace}/${w.name}`;
      const before = beforeServices.get(id);
      const after = this.services.find((x) => x.namespace === w.namespace && x.name === w.name);
      if (before && after) this.#beforeWrites.set(`svc/${id}`, { before, writtenRV: after.resourceVersion });
    }
    for (const w of p.classWrites) {
      this.classes = this.classes.flatMap((c) => {
        if (c.name !== w.name) return [c];
        const next = w.kind === 'status' ? { ...c, status: w.status } : { ...c, finalizers: w.finalizers };
        // The API server deletes an object being deleted once its last finalizer is gone.
        if (next.deletionTimestamp !== '' && next.finalizers.length === 0) return [];
        return [{ ...next, resourceVersion: String(++this.#rv) }];
      });
      const before = beforeClasses.get(w.name);
      const after = this.classes.find((x) => x.name === w.name);
      if (before && after) this.#beforeWrites.set(`class/${w.name}`, { before, writtenRV: after.resourceVersion });
    }
    return p;
  }

  /** Replaces (or adds) a Service, as a user edit does (new resourceVersion). */
  put(s: ServiceRecord): void {
    const next = { ...s, resourceVersion: String(++this.#rv) };
    const i = this.services.findIndex((x) => x.namespace === s.namespace && x.name === s.name);
    if (i >= 0) this.services[i] = next;
    else this.services.push(next);
  }

  edit(name: string, f: (s: ServiceRecord) => ServiceRecord): void {
    const s = this.get(name);
    this.put(f(s));
  }

  editClass(name: string, f: (c: ClassRecord) => ClassRecord): void {
    this.classes = this.classes.map((c) => (c.name === name ? { ...f(c), resourceVersion: String(++this.#rv) } : c));
  }

  get(name: string): ServiceRecord {
    const s = this.services.find((x) => x.name === name);
    if (!s) throw new Error(`no Service ${name}`);
    return s;
  }

  getClass(name: string): ClassRecord | undefined {
    return this.classes.find((x) => x.name === name);
  }

  /** The message of a Service condition. */
  condition(name: string, type: string): string | undefined {
    return this.get(name).conditions.find((c) => c.type === type)?.message;
  }
}

/** Events of a plan as `reason: message` lines, optionally for one object. */
export function eventLines(p: Plan, name?: string): string[] {
  return p.events.filter((e) => name === undefined || e.regarding.name === name).map((e) => `${e.reason}: ${e.message}`);
}
