// A class's status (addresses, nodes, conditions) and its finalizer, decided from the resolved classes
// and the Services bound to them.
import { poolSize } from '../ipam/index.ts';
import type { ClassSet, ResolvedClass } from './classes.ts';
import { condition, withTransitionTime, type ConditionSpec } from './conditions.ts';
import { CLASS_FINALIZER, ClassConditions, EXCLUDE_LABEL, type ClassStatus, type Condition } from './types.ts';

/** The desired status of one class (times filled from `previous`). */
export function classStatus(cls: ResolvedClass, set: ClassSet, usage: { inUse: number; boundServices: number }, previous: readonly Condition[], now: string): ClassStatus {
  const { inUse, boundServices } = usage;
  const name = cls.record.name;
  const specs: ConditionSpec[] = [
    cls.overlapsWith.length > 0
      ? condition(ClassConditions.poolOverlap, true, 'AddressesOverlap', `addresses overlap ${plural(cls.overlapsWith.length, 'class', 'classes')} ${cls.overlapsWith.join(', ')}, created earlier; they are not handed out from this class`)
      : condition(ClassConditions.poolOverlap, false, 'NoOverlap', 'no address of this class belongs to another class'),
    set.defaultLosers.includes(name)
      ? condition(ClassConditions.defaultConflict, true, 'OlderDefaultClass', `class ${set.defaultClass ?? '?'} is the default: it is the oldest of several classes with isDefault`)
      : condition(ClassConditions.defaultConflict, false, 'NoConflict', cls.record.isDefault && set.defaultClass === name ? 'this class is the default' : 'no conflict'),
    cls.eligibleNodes.length === 0
      ? condition(ClassConditions.noMatchingNodes, true, 'NoEligibleNodes', `no node matches the nodeSelector (nodes labelled ${EXCLUDE_LABEL} do not count); Services get no new IPs`)
      : condition(ClassConditions.noMatchingNodes, false, 'NodesMatch', `${plural(cls.eligibleNodes.length, 'node', 'nodes')} match the nodeSelector`),
    boundServices > 0
      ? condition(ClassConditions.inUse, true, 'ServicesBound', `${plural(boundServices, 'Service is', 'Services are')} bound to this class${cls.deleting ? '; deletion waits until none is' : ''}`)
      : condition(ClassConditions.inUse, false, 'NoServicesBound', 'no Service is bound to this class'),
    cls.invalidEntries.length > 0
      ? condition(ClassConditions.invalidAddressPool, true, 'InvalidEntries', `addressPool entries ignored (not a CIDR, a first-last range or an address): ${cls.invalidEntries.join(', ')}`)
      : condition(ClassConditions.invalidAddressPool, false, 'AllEntriesValid', 'every addressPool entry is valid'),
  ];
  return {
    observedGeneration: cls.record.generation,
    totalAddresses: poolSize(cls.pool).toString(),
    usedAddresses: String(inUse),
    nodes: cls.eligibleNodes.length,
    conditions: specs.map((s) => withTransitionTime(s, previous, now)),
  };
}

/** The finalizers a class should carry: ours while Services are bound (never added during deletion). */
export function classFinalizers(current: readonly string[], deleting: boolean, boundServices: number): string[] {
  const others = current.filter((f) => f !== CLASS_FINALIZER);
  const has = current.includes(CLASS_FINALIZER);
  const want = boundServices > 0 && (has || !deleting);
  return want ? [...others, CLASS_FINALIZER] : others;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
