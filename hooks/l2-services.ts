// L2 control plane (DESIGN §2–§4): picks every L2 Service's IPs from its MetalLoadBalancerClass,
// writes Service and class status (subresource status, only on change), Events, the finalizer of
// classes in use, the values the templates need (classes, speaker node affinity), and pool metrics.
// All decisions are in lib/l2 (plan); this file only reads snapshots and writes the outputs.
import { defineHook } from './lib/index.ts';
import type { HookOutput, JsonObject, JsonValue } from './lib/index.ts';
import {
  CLASS_FILTER, NODE_FILTER, SERVICE_FILTER, loadWriteCache, plan, projectClass, projectNode, projectService,
  type Plan, type ServiceRecord,
} from '../lib/l2/index.ts';
import { MAX_EVENTS_PER_RUN } from './lib/collectors.ts';
import { parseBgpSettings } from '../lib/bgp/index.ts';

const CLASS_API = 'network.deckhouse.io/v1alpha1';
const CLASS_KIND = 'MetalLoadBalancerClass';
const CACHE_KEY = 'writes';

/** Metric groups (each is expired and re-filled every run). */
export const MetricGroups = {
  pools: 'l2_pools',
  services: 'l2_services',
  settings: 'l2_settings',
} as const;

function asObject(v: JsonValue | undefined): JsonObject | undefined {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

/** Names of the pools with protocol bgp. */
function bgpPoolNames(values: JsonObject): string[] {
  const pools = Array.isArray(values.addressPools) ? values.addressPools : [];
  return pools.map(asObject).filter((p) => p?.protocol === 'bgp' && typeof p.name === 'string').map((p) => p?.name as string);
}

/** settings.speaker.nodeSelector when some pool has protocol bgp (the BGP speakers join the DaemonSet). */
function bgpSpeakerSelector(values: JsonObject): Record<string, string> | undefined {
  const pools = Array.isArray(values.addressPools) ? values.addressPools : [];
  if (!pools.some((p) => asObject(p)?.protocol === 'bgp')) return undefined;
  const sel = asObject(asObject(values.speaker)?.nodeSelector) ?? {};
  return Object.fromEntries(Object.entries(sel).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function emitMetrics(out: HookOutput, p: Plan, values: JsonObject): void {
  out.metrics.expire(MetricGroups.pools);
  for (const u of p.pools) {
    out.metrics.set('metallb_allocator_addresses_total', Number(u.total), { pool: u.pool }, MetricGroups.pools);
    out.metrics.set('metallb_allocator_addresses_in_use_total', u.inUse, { pool: u.pool }, MetricGroups.pools);
  }
  out.metrics.expire(MetricGroups.services);
  for (const u of p.unassigned) {
    out.metrics.set('d8_metallb_service_unassigned_ips', u.missing, { namespace: u.namespace, name: u.name, class: u.className }, MetricGroups.services);
  }
  for (const d of p.deprecatedAnnotations) {
    out.metrics.set('d8_metallb_not_supported_service_annotations_detected', 1, { namespace: d.namespace, name: d.name, annotation: d.annotation }, MetricGroups.services);
  }
  // Settings version 2 ignores `layer2` pools (DESIGN §3): say which ones are still written there.
  out.metrics.expire(MetricGroups.settings);
  const pools = Array.isArray(values.addressPools) ? values.addressPools : [];
  for (const pool of pools) {
    const o = asObject(pool);
    if (o?.protocol === 'layer2' && typeof o.name === 'string') {
      out.metrics.set('d8_metallb_obsolete_layer2_pools_are_used', 1, { name: o.name }, MetricGroups.settings);
    }
  }
}

export default defineHook({
  name: 'l2-services',
  // Before every helm render, so the classes and the speaker affinity are in values.
  beforeHelm: 20,
  kubernetes: {
    services: {
      apiVersion: 'v1',
      kind: 'Service',
      jqFilter: SERVICE_FILTER,
      project: (r): ServiceRecord | null => projectService(r),
    },
    classes: {
      apiVersion: CLASS_API,
      kind: CLASS_KIND,
      jqFilter: CLASS_FILTER,
      project: projectClass,
    },
    nodes: {
      apiVersion: 'v1',
      kind: 'Node',
      jqFilter: NODE_FILTER,
      project: projectNode,
    },
  },
  handler(input, out) {
    if (!input.hasSnapshots) return;
    const values = input.values;
    const p = plan({
      services: input.snapshots.services.filter((s): s is ServiceRecord => s !== null),
      classes: input.snapshots.classes,
      nodes: input.snapshots.nodes,
      settings: { loadBalancerClass: typeof values.loadBalancerClass === 'string' ? values.loadBalancerClass : '', bgpPools: bgpPoolNames(values) },
      bgpSpeakerSelector: bgpSpeakerSelector(values),
      // BGP pools share this run's IPAM (lib/bgp); their settings problems are reported by bgp-settings.
      bgpPools: parseBgpSettings(values, input.snapshots.nodes).pools.map((b) => ({ name: b.name, addresses: b.addresses, autoAssign: b.autoAssign, avoidBuggyIPs: b.avoidBuggyIPs })),
      cache: loadWriteCache(input.state.read(CACHE_KEY)),
      now: input.now,
      eventBudget: MAX_EVENTS_PER_RUN,
    });
    for (const w of p.serviceWrites) {
      out.kube.mergePatch({ apiVersion: 'v1', kind: 'Service', namespace: w.namespace, name: w.name }, w.patch as unknown as JsonObject, { subresource: 'status', ignoreMissingObject: true });
    }
    for (const w of p.classWrites) {
      const ref = { apiVersion: CLASS_API, kind: CLASS_KIND, name: w.name };
      if (w.kind === 'status') out.kube.mergePatch(ref, { status: w.status as unknown as JsonObject }, { subresource: 'status', ignoreMissingObject: true });
      else out.kube.mergePatch(ref, { metadata: { finalizers: w.finalizers } }, { ignoreMissingObject: true });
    }
    for (const e of p.events) out.events.emit(e);
    if (p.suppressedEvents > 0) input.log.warn('events over the per-run cap wait for later runs', { suppressed: p.suppressedEvents });
    out.values.set('internal.l2.classes', p.values.classes as unknown as JsonValue);
    out.values.set('internal.speaker.nodeSelectorTerms', p.values.nodeSelectorTerms as unknown as JsonValue);
    emitMetrics(out, p, values);
    input.state.write(CACHE_KEY, p.cache as unknown as JsonValue);
  },
});
