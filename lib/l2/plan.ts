// One run of the L2 control plane: from Services, classes, nodes and the write cache to the status
// writes, Events, values and metrics (DESIGN §2–§3). Pure: time comes in as `now`, the cache as data.
import { allocate, poolFamilies, poolSize, type AllocationFailure, type AllocationRequest, type AllocationResult, type PoolDefinition } from '../ipam/index.ts';
import { BGP_REASON, bgpPoolUsage, prepareBgp, resolveBgpPools, type BgpRunContext } from '../bgp/index.ts';
import { backendKey } from '../ipam/sharing.ts';
import { formatIP, tryParseIP, type IPAddress } from '../net/index.ts';
import { keptCount, readServiceWish, serviceFamilies } from './annotations.ts';
import { chooseClass, BOUND_REASON, type ClassChoice } from './choice.ts';
import { classFinalizers, classStatus } from './class-status.ts';
import { compareAge, resolveClasses, type ClassSet } from './classes.ts';
import { condition, sameConditions, withTransitionTime, type ConditionSpec } from './conditions.ts';
import type { JsonValue } from '../json.ts';
import { ServiceConditions, type ClassRecord, type ClassStatus, type Condition, type L2Settings, type NodeRecord, type ServiceRecord } from './types.ts';
import { classValues, speakerNodeSelectorTerms, type ClassValue, type NodeSelectorTerm } from './values.ts';
import { WriteCache, type WriteCacheData } from './write-cache.ts';

/** Everything one run reads. */
export interface PlanInput {
  readonly services: readonly ServiceRecord[];
  readonly classes: readonly ClassRecord[];
  readonly nodes: readonly NodeRecord[];
  readonly settings: L2Settings;
  /** settings.speaker.nodeSelector when BGP pools exist (joins the speaker affinity); else undefined. */
  readonly bgpSpeakerSelector?: Readonly<Record<string, string>>;
  /** BGP pools (settings.addressPools with protocol bgp, settings order): allocated in this same run (lib/bgp). */
  readonly bgpPools?: readonly PoolDefinition[];
  readonly cache: WriteCacheData;
  readonly now: Date;
  /** Events this run may emit; the rest wait (warnings) or are dropped (transitions) and counted. */
  readonly eventBudget: number;
}

/** A merge patch of a Service's status subresource. */
export interface ServiceStatusWrite {
  readonly namespace: string;
  readonly name: string;
  readonly patch: { status: { loadBalancer: { ingress: { ip: string }[] | null }; conditions: Condition[] | null } };
}

/** A write on a class: its status (subresource) or its finalizers. */
export type ClassWrite =
  | { readonly name: string; readonly kind: 'status'; readonly status: ClassStatus }
  | { readonly name: string; readonly kind: 'finalizers'; readonly finalizers: string[] };

/** An Event to emit. */
export interface PlannedEvent {
  readonly regarding: { apiVersion: string; kind: string; namespace?: string; name: string; uid: string };
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** Usage of one class pool (metrics with MetalLB's names). */
export interface PoolUsage {
  readonly pool: string;
  readonly total: bigint;
  readonly inUse: number;
}

/** Everything one run decides. */
export interface Plan {
  readonly serviceWrites: readonly ServiceStatusWrite[];
  readonly classWrites: readonly ClassWrite[];
  readonly events: readonly PlannedEvent[];
  /** Events over the budget in this run. */
  readonly suppressedEvents: number;
  readonly values: { readonly classes: ClassValue[]; readonly nodeSelectorTerms: NodeSelectorTerm[] };
  readonly pools: readonly PoolUsage[];
  /** Bound Services with fewer IPs than asked. */
  readonly unassigned: readonly { namespace: string; name: string; className: string; missing: number }[];
  /** Deprecated MetalLB annotations on L2 Services. */
  readonly deprecatedAnnotations: readonly { namespace: string; name: string; annotation: string }[];
  readonly cache: WriteCacheData;
}

/** The part of a Service's status we write, in comparable form (cached between runs). */
interface ServiceView {
  [key: string]: JsonValue;
  ingress: string[];
  conditions: Condition[] & JsonValue;
}

const OUR_CONDITIONS: readonly string[] = [ServiceConditions.class, ServiceConditions.assigned];

const serviceId = (s: { namespace: string; name: string }) => `${s.namespace}/${s.name}`;
const serviceKey = (s: ServiceRecord) => `svc/${s.uid || serviceId(s)}`;

function viewOf(ingress: readonly string[], conditions: readonly Condition[]): ServiceView {
  return { ingress: [...ingress], conditions: conditions.filter((c) => OUR_CONDITIONS.includes(c.type)) as Condition[] & JsonValue };
}

function sameView(a: ServiceView, b: ServiceView): boolean {
  return a.ingress.length === b.ingress.length && a.ingress.every((x, i) => x === b.ingress[i]) && sameConditions(a.conditions, b.conditions);
}

interface ServiceWork {
  readonly svc: ServiceRecord;
  /** `namespace/name`: the allocation request id (one string per Service, hashed once). */
  readonly id: string;
  /** The write cache and warning key. */
  readonly key: string;
  readonly snapshot: ServiceView;
  readonly effective: ServiceView;
  readonly pendingWrite: boolean;
  readonly choice: ClassChoice;
  readonly request: AllocationRequest | undefined;
  readonly warnings: string[];
  readonly shareNodes: string | undefined;
  readonly deprecated: readonly string[];
  /** A BGP Service: choice.className is the BGP pool (lib/bgp/choice.ts). */
  readonly bgp?: boolean;
}

/** Decides one run. */
export function plan(input: PlanInput): Plan {
  const now = input.now.toISOString();
  const cache = new WriteCache(input.cache, input.now.getTime());
  const classes = resolveClasses(input.classes, input.nodes);
  // Oldest first: on a contested address the older Service wins.
  const services = input.services
    .map((svc) => ({ svc, key: { creationTimestamp: svc.creationTimestamp, name: serviceId(svc) } }))
    .sort((a, b) => compareAge(a.key, b.key))
    .map((x) => x.svc);

  const bgpPools = resolveBgpPools(classes.ordered.map((n) => classes.byName.get(n)).flatMap((c) => (c ? [{ name: c.record.name, addresses: c.record.addressPool }] : [])), input.bgpPools ?? []);
  const bgpCtx: BgpRunContext = { pools: bgpPools, loadBalancerClass: input.settings.loadBalancerClass, classNames: new Set(classes.byName.keys()), hasDefaultClass: classes.defaultClass !== undefined, usage: bgpPoolUsage(bgpPools, services) };
  const work = services.map((svc) => prepareService(svc, classes, input.settings, cache, bgpCtx));
  const requests = work.flatMap((w) => (w.request ? [w.request] : []));
  const allocation = allocate([...[...classes.byName.values()].map((c) => c.pool), ...bgpPools.map((p) => p.spec)], requests);

  const events: PlannedEvent[] = [];
  const warningMarks: { key: string; fingerprint: string; event: PlannedEvent[] }[] = [];
  const serviceWrites: ServiceStatusWrite[] = [];
  const unassigned: { namespace: string; name: string; className: string; missing: number }[] = [];
  const deprecatedAnnotations: { namespace: string; name: string; annotation: string }[] = [];
  const bound = new Map<string, number>();

  for (const w of work) {
    const { svc } = w;
    // Built per use: most Services of a run have no Event.
    const regarding = () => ({ apiVersion: 'v1', kind: 'Service', namespace: svc.namespace, name: svc.name, uid: svc.uid });
    let desired: ServiceView | undefined;
    if (w.choice.type === 'bound') {
      const className = w.choice.className;
      if (!w.bgp) bound.set(className, (bound.get(className) ?? 0) + 1);
      const result = allocation.results.get(w.id) as AllocationResult;
      const ips = result.slots.filter((s) => s.ip).map((s) => formatIP(s.ip as IPAddress));
      const total = result.slots.length;
      const specs: ConditionSpec[] = [
        condition(ServiceConditions.class, true, w.bgp ? BGP_REASON : BOUND_REASON, className),
        condition(ServiceConditions.assigned, ips.length === total, ips.length === total ? 'AllIPsAssigned' : 'NotAllIPsAssigned', `${ips.length} of ${total} public IPs were assigned`),
      ];
      desired = { ingress: ips, conditions: specs.map((s) => withTransitionTime(s, w.effective.conditions, now)) as Condition[] & JsonValue };
      if (ips.length < total) unassigned.push({ namespace: svc.namespace, name: svc.name, className, missing: total - ips.length });
      for (const annotation of w.deprecated) deprecatedAnnotations.push({ namespace: svc.namespace, name: svc.name, annotation });
      events.push(...transitionEvents(regarding, w.bgp ? `BGP pool ${className}` : `class ${className}`, result, w.effective, desired));
    } else if (w.choice.type === 'release') {
      desired = { ingress: [], conditions: [] as Condition[] & JsonValue };
      if (w.effective.ingress.length > 0) {
        events.push({ regarding: regarding(), type: 'Normal', reason: 'IPReleased', message: `Released ${w.effective.ingress.join(', ')}: ${w.choice.why}` });
      }
    }
    if (desired) {
      const changed = !sameView(desired, w.effective) || (!w.pendingWrite && !sameView(desired, w.snapshot));
      if (changed) {
        serviceWrites.push(statusWrite(svc, desired));
        cache.remember(w.key, svc.resourceVersion, desired);
      }
    }
    const warningEvents: PlannedEvent[] = [];
    if (w.warnings.length > 0) warningEvents.push({ regarding: regarding(), type: 'Warning', reason: 'InvalidAnnotation', message: w.warnings.join('; ') });
    if (w.shareNodes) warningEvents.push({ regarding: regarding(), type: 'Warning', reason: 'IPsShareNodes', message: w.shareNodes });
    const fingerprint = warningEvents.map((e) => `${e.reason}:${e.message}`).join('\n');
    if (cache.isNewWarning(w.key, fingerprint)) warningMarks.push({ key: w.key, fingerprint, event: warningEvents });
  }

  // Warnings first (they are retried when over budget), then transitions in Service order.
  const budget = Math.max(0, input.eventBudget);
  const emitted: PlannedEvent[] = [];
  let used = 0;
  for (const m of warningMarks) {
    if (used + m.event.length > budget) continue;
    emitted.push(...m.event);
    used += m.event.length;
    cache.markReported(m.key, m.fingerprint);
  }
  const pendingWarnings = warningMarks.reduce((n, m) => n + m.event.length, 0) - used;
  const transitions = events.slice(0, Math.max(0, budget - used));
  emitted.push(...transitions);
  const suppressedEvents = pendingWarnings + events.length - transitions.length;

  const classWrites: ClassWrite[] = [];
  for (const name of [...classes.byName.keys()].sort()) {
    const cls = classes.byName.get(name);
    if (!cls) continue;
    const r = cls.record;
    const usage = { inUse: allocation.inUse.get(name) ?? 0, boundServices: bound.get(name) ?? 0 };
    const snapStatus = (r.status ?? null) as JsonValue;
    const eff = cache.effective(`class/${r.uid || name}`, r.resourceVersion, snapStatus, sameClassStatus);
    const previous = (eff.view as ClassStatus | null)?.conditions ?? [];
    const status = classStatus(cls, classes, usage, previous, now);
    const statusJson = status as unknown as JsonValue;
    if (!sameClassStatus(statusJson, eff.view) || (!eff.pendingWrite && !sameClassStatus(statusJson, snapStatus))) {
      classWrites.push({ name, kind: 'status', status });
      cache.remember(`class/${r.uid || name}`, r.resourceVersion, statusJson);
    }
    const finKey = `class-finalizers/${r.uid || name}`;
    const effFin = cache.effective(finKey, r.resourceVersion, [...r.finalizers] as JsonValue, sameJsonStrings);
    const finalizers = classFinalizers(effFin.view as string[], cls.deleting, usage.boundServices);
    if (!sameJsonStrings(finalizers, effFin.view) || (!effFin.pendingWrite && !sameJsonStrings(finalizers, [...r.finalizers]))) {
      classWrites.push({ name, kind: 'finalizers', finalizers });
      cache.remember(finKey, r.resourceVersion, finalizers);
    }
  }

  return {
    serviceWrites,
    classWrites,
    events: emitted,
    suppressedEvents,
    values: { classes: classValues(input.classes), nodeSelectorTerms: speakerNodeSelectorTerms(input.classes, input.bgpSpeakerSelector) },
    pools: [...classes.byName.values()].map((c) => ({ pool: c.record.name, total: poolSize(c.pool), inUse: allocation.inUse.get(c.record.name) ?? 0 }))
      .concat(bgpPools.map((p) => ({ pool: p.name, total: poolSize(p.spec), inUse: allocation.inUse.get(p.spec.name) ?? 0 })))
      .sort((a, b) => (a.pool < b.pool ? -1 : 1)),
    unassigned,
    deprecatedAnnotations,
    cache: cache.toData(),
  };
}

/** Class choice, effective status (write cache) and the allocation request of one Service. */
function prepareService(svc: ServiceRecord, classes: ClassSet, settings: L2Settings, cache: WriteCache, bgpCtx?: BgpRunContext): ServiceWork {
  const id = serviceId(svc);
  const key = serviceKey(svc);
  const snapshot = viewOf(svc.ingress, svc.conditions);
  const eff = cache.effective(key, svc.resourceVersion, snapshot, sameView);
  // BGP first (lib/bgp/choice.ts): it claims only what the L2 rule would not, and keeps its claims.
  const held = eff.view.ingress.map((t) => tryParseIP(t)).filter((a): a is IPAddress => a !== undefined);
  const bgp = bgpCtx ? prepareBgp(svc, bgpCtx, eff.view.conditions, held) : undefined;
  if (bgp) {
    const c = bgp.choice;
    const choice: ClassChoice = c.type === 'bound' ? { type: 'bound', className: c.pool, sticky: c.sticky } : c;
    return { svc, id, key, snapshot, effective: eff.view, pendingWrite: eff.pendingWrite, choice, request: bgp.request, warnings: [...bgp.warnings], shareNodes: undefined, deprecated: [], bgp: true };
  }
  // Decide from our newest write: the snapshot may not show it yet.
  const boundCondition = eff.view.conditions.find((c) => c.type === ServiceConditions.class);
  const choice = chooseClass(svc, classes, settings, boundCondition?.reason === BOUND_REASON ? boundCondition.message : undefined);
  const base = { svc, id, key, snapshot, effective: eff.view, pendingWrite: eff.pendingWrite, choice, request: undefined, shareNodes: undefined };
  if (choice.type === 'pending') return { ...base, warnings: [choice.problem], deprecated: [] };
  if (choice.type !== 'bound') return { ...base, warnings: [], deprecated: [] };

  const cls = classes.byName.get(choice.className);
  if (!cls) return { ...base, warnings: [], deprecated: [] };
  const wish = readServiceWish(svc);
  const families = serviceFamilies(svc, poolFamilies(cls.pool));
  const heldPerFamily = Math.max(0, ...families.map((f) => held.filter((a) => a.family === f).length));
  // An invalid count keeps what the Service holds; a new Service gets one IP.
  const count = wish.count ?? keptCount(eff.view.conditions.find((c) => c.type === ServiceConditions.assigned)?.message, families.length, heldPerFamily);
  const eligible = cls.eligibleNodes.length;
  const blockNew: AllocationFailure | undefined = eligible === 0
    ? { reason: 'NoEligibleNodes', detail: `no node of class ${cls.record.name} is eligible (nodeSelector matches none, or all are excluded)` }
    : undefined;
  const request: AllocationRequest = {
    id,
    pool: cls.record.name,
    families,
    count,
    current: held,
    pins: wish.pins,
    sharing: { key: wish.sharingKey, ports: svc.ports.map((p) => `${p.protocol || 'TCP'}/${p.port}`), backendKey: backendKey(svc.externalTrafficPolicy, svc.selector) },
    // Always present (undefined or not): objects of one shape stay fast in V8 on 10k Services.
    blockNew,
  };
  const shareNodes = eligible > 0 && count > eligible
    ? `${count} IPs per family asked, but class ${cls.record.name} has ${eligible} eligible ${eligible === 1 ? 'node' : 'nodes'}: some nodes announce several of this Service's IPs`
    : undefined;
  return { svc, id, key, snapshot, effective: eff.view, pendingWrite: eff.pendingWrite, choice, request, warnings: [...wish.problems], deprecated: wish.deprecated, shareNodes };
}

/** IPAllocated, IPReleased and AllocationFailed on changes only. */
function transitionEvents(regarding: () => PlannedEvent['regarding'], source: string, result: AllocationResult, before: ServiceView, after: ServiceView): PlannedEvent[] {
  const out: PlannedEvent[] = [];
  const added = after.ingress.filter((ip) => !before.ingress.includes(ip));
  const removed = before.ingress.filter((ip) => !after.ingress.includes(ip));
  if (removed.length > 0) out.push({ regarding: regarding(), type: 'Normal', reason: 'IPReleased', message: `Released ${removed.join(', ')} (no longer valid for ${source})` });
  if (added.length > 0) out.push({ regarding: regarding(), type: 'Normal', reason: 'IPAllocated', message: `Assigned ${added.join(', ')} from ${source}` });
  const failures = result.slots.filter((s) => s.failure);
  const assignedBefore = before.conditions.find((c) => c.type === ServiceConditions.assigned);
  const assignedAfter = after.conditions.find((c) => c.type === ServiceConditions.assigned);
  if (failures.length > 0 && (added.length > 0 || removed.length > 0 || assignedBefore?.message !== assignedAfter?.message || assignedBefore?.status !== assignedAfter?.status)) {
    const byReason = new Map<string, string[]>();
    for (const s of failures) {
      const f = s.failure as AllocationFailure;
      const list = byReason.get(f.reason) ?? [];
      const text = `IPv${s.family} index ${s.index}: ${f.detail}`;
      if (!list.includes(text)) list.push(text);
      byReason.set(f.reason, list);
    }
    for (const [reason, details] of byReason) out.push({ regarding: regarding(), type: 'Warning', reason: 'AllocationFailed', message: `${reason}: ${details.join('; ')}` });
  }
  return out;
}

function statusWrite(svc: ServiceRecord, desired: ServiceView): ServiceStatusWrite {
  const others = svc.conditions.filter((c) => !OUR_CONDITIONS.includes(c.type));
  const conditions = [...others, ...desired.conditions];
  return {
    namespace: svc.namespace,
    name: svc.name,
    patch: {
      status: {
        loadBalancer: { ingress: desired.ingress.length > 0 ? desired.ingress.map((ip) => ({ ip })) : null },
        conditions: conditions.length > 0 ? conditions : null,
      },
    },
  };
}

function sameClassStatus(a: JsonValue, b: JsonValue): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) || Array.isArray(b)) return a === b;
  const x = a as unknown as ClassStatus;
  const y = b as unknown as ClassStatus;
  return x.totalAddresses === y.totalAddresses && x.usedAddresses === y.usedAddresses && x.nodes === y.nodes &&
    (x.observedGeneration ?? null) === (y.observedGeneration ?? null) && sameConditions(x.conditions ?? [], y.conditions ?? []);
}

function sameJsonStrings(a: JsonValue, b: JsonValue): boolean {
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
}
