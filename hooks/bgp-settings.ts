// BGP settings -> values `internal.bgp` (peers, pools with resolved communities; docs/DEVELOPMENT.md)
// and the report of every settings problem the schema cannot catch (lib/bgp/settings.ts): a Warning
// Event on ModuleConfig `metallb` when a problem appears, and the metric
// d8_metallb_bgp_settings_problems{field} (1 per problem) for the alert. The bad part is left out of
// the values; the rest keeps working. BGP pool overlaps with classes and other BGP pools are
// reported here too (the IPAM in l2-services hands contested addresses to the class / earlier pool).
import { defineHook } from './lib/index.ts';
import type { JsonValue } from './lib/index.ts';
import { compareAge, projectClass, projectNode, CLASS_FILTER, NODE_FILTER } from '../lib/l2/index.ts';
import { parseBgpSettings, resolveBgpPools, type SettingsProblem } from '../lib/bgp/index.ts';

const METRIC = 'd8_metallb_bgp_settings_problems';
const GROUP = 'bgp_settings';
const STATE_KEY = 'reported';

/** ModuleConfig `metallb` as the hook needs it (the Event's object). */
interface ModuleConfigRecord {
  readonly name: string;
  readonly uid: string;
}

export default defineHook({
  name: 'bgp-settings',
  beforeHelm: 20,
  kubernetes: {
    nodes: { apiVersion: 'v1', kind: 'Node', jqFilter: NODE_FILTER, project: projectNode },
    classes: { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', jqFilter: CLASS_FILTER, project: projectClass },
    moduleConfig: {
      apiVersion: 'deckhouse.io/v1alpha1',
      kind: 'ModuleConfig',
      nameSelector: { matchNames: ['metallb'] },
      jqFilter: '{name: .metadata.name, uid: (.metadata.uid // "")}',
      project: (r): ModuleConfigRecord => {
        const o = (r ?? {}) as { name?: unknown; uid?: unknown };
        return { name: typeof o.name === 'string' ? o.name : 'metallb', uid: typeof o.uid === 'string' ? o.uid : '' };
      },
    },
  },
  handler(input, out) {
    if (!input.hasSnapshots) return;
    const s = parseBgpSettings(input.values, input.snapshots.nodes);
    const problems: SettingsProblem[] = [...s.problems];
    const classes = [...input.snapshots.classes].sort(compareAge);
    const resolved = resolveBgpPools(classes.map((c) => ({ name: c.name, addresses: c.addressPool })), s.pools.map((p) => ({ name: p.name, addresses: p.addresses })));
    for (const r of resolved) {
      if (r.overlapsWith.length === 0) continue;
      const who = r.overlapsWith.map((o) => (o.startsWith('bgp:') ? `BGP pool ${o.slice(4)}` : `MetalLoadBalancerClass ${o}`)).join(', ');
      problems.push({ field: `addressPools[name=${r.name}].addresses`, message: `overlaps ${who}; the shared addresses are not handed out from this pool` });
    }

    out.values.set('internal.bgp.peers', s.peers as unknown as JsonValue);
    out.values.set('internal.bgp.pools', s.pools as unknown as JsonValue);

    out.metrics.expire(GROUP);
    for (const p of problems) out.metrics.set(METRIC, 1, { field: p.field }, GROUP);

    // Events on transitions only: a problem is reported when it appears (again after it was fixed).
    const before = new Set(Array.isArray(input.state.read(STATE_KEY)) ? (input.state.read(STATE_KEY) as string[]) : []);
    const now = problems.map((p) => `${p.field}: ${p.message}`);
    const mc = input.snapshots.moduleConfig[0];
    for (const text of now) {
      if (before.has(text)) continue;
      out.events.emit({
        regarding: { apiVersion: 'deckhouse.io/v1alpha1', kind: 'ModuleConfig', name: mc?.name ?? 'metallb', ...(mc?.uid ? { uid: mc.uid } : {}) },
        type: 'Warning',
        reason: 'InvalidBGPSettings',
        message: text,
      });
    }
    for (const text of now) if (!before.has(text)) input.log.warn('BGP settings problem', { problem: text });
    input.state.write(STATE_KEY, now);
  },
});
