// metav1.Condition helpers: build a condition keeping the old lastTransitionTime while its status
// does not change (Kubernetes convention), and compare conditions without the time.
import type { Condition } from './types.ts';

/** A condition without its time: what the decision produced. */
export type ConditionSpec = Omit<Condition, 'lastTransitionTime'>;

/** Fills lastTransitionTime: kept from `previous` of the same type and status, else `now`. */
export function withTransitionTime(spec: ConditionSpec, previous: readonly Condition[], now: string): Condition {
  const old = previous.find((c) => c.type === spec.type);
  const time = old && old.status === spec.status ? old.lastTransitionTime : now;
  // A literal, not a spread: one object shape for every condition (10k Services a run).
  const c: Condition = { type: spec.type, status: spec.status, reason: spec.reason, message: spec.message, lastTransitionTime: time };
  return spec.observedGeneration === undefined ? c : { ...c, observedGeneration: spec.observedGeneration };
}

/** Whether two condition lists say the same (type, status, reason, message, observedGeneration), in order. */
export function sameConditions(a: readonly ConditionSpec[], b: readonly ConditionSpec[]): boolean {
  return a.length === b.length && a.every((x, i) => {
    const y = b[i] as ConditionSpec;
    return x.type === y.type && x.status === y.status && x.reason === y.reason && x.message === y.message &&
      x.observedGeneration === y.observedGeneration;
  });
}

/** A True/False condition. */
export function condition(type: string, isTrue: boolean, reason: string, message: string): ConditionSpec {
  return { type, status: isTrue ? 'True' : 'False', reason, message };
}
