// events.k8s.io/v1 Events are the same stored objects as core/v1 Events, with renamed fields
// (as kube-apiserver converts them): `regarding` = involvedObject, `note` = message,
// `reportingController` = reportingComponent, `deprecated*` = the old source/timestamps/count.
import type { KubeObject } from './store.ts';

/** events.k8s.io/v1 name → core/v1 name. */
const renames: readonly (readonly [string, string])[] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(o: KubeObject, pairs: readonly (readonly [string, string])[], apiVersion: string): KubeObject {
  const out: KubeObject = { ...o, apiVersion, kind: 'Event' };
  for (const [from, to] of pairs) {
    delete out[from];
    if (o[from] !== undefined) out[to] = o[from];
  }
  return out;
}

/** An events.k8s.io/v1 Event in its stored (core/v1) form. */
export function eventToCore(o: KubeObject): KubeObject {
  return rename(o, renames, 'v1');
}

/** A stored (core/v1) Event as events.k8s.io/v1 shows it. */
export function eventFromCore(o: KubeObject): KubeObject {
  return rename(o, renames.map(([a, b]) => [b, a] as const), 'events.k8s.io/v1');
}
