// Classes as the IPAM uses them: pools with overlaps resolved (the older class owns contested
// addresses), the effective default (the oldest of several), and the eligible nodes (DESIGN §4).
import { matchesRequirement, matchesSelector, selectorRequirements } from '../kube/labels.ts';
import { resolvePools, type PoolSpec } from '../ipam/index.ts';
import { EXCLUDE_LABEL, type ClassRecord, type NodeRecord } from './types.ts';

/** One class after resolution. */
export interface ResolvedClass {
  readonly record: ClassRecord;
  readonly pool: PoolSpec;
  /** Older classes whose pools overlap this one's (their addresses are not handed out here). */
  readonly overlapsWith: readonly string[];
  /** Pool entries that are neither CIDR, range nor address. */
  readonly invalidEntries: readonly string[];
  /** Names of the eligible nodes, sorted. */
  readonly eligibleNodes: readonly string[];
  readonly deleting: boolean;
}

/** All classes after resolution, and the default class. */
export interface ClassSet {
  readonly byName: ReadonlyMap<string, ResolvedClass>;
  /** Names in precedence order (oldest first, then by name). */
  readonly ordered: readonly string[];
  /** The default class for Services that name none: the oldest class with isDefault, not being deleted. */
  readonly defaultClass: string | undefined;
  /** Other classes with isDefault (condition DefaultConflict). */
  readonly defaultLosers: readonly string[];
}

/** Orders by creation time, then name: the older class wins conflicts. */
export function compareAge(a: { creationTimestamp: string; name: string }, b: { creationTimestamp: string; name: string }): number {
  if (a.creationTimestamp !== b.creationTimestamp) return a.creationTimestamp < b.creationTimestamp ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Whether a node is eligible for a class: matches its selector (empty: all) and is not excluded. */
export function isEligible(node: NodeRecord, cls: ClassRecord): boolean {
  return !Object.hasOwn(node.labels, EXCLUDE_LABEL) && matchesSelector(node.labels, cls.nodeSelector);
}

/** Names of the eligible nodes of a class, sorted (the selector is read once, not per node). */
function eligibleNodes(nodes: readonly NodeRecord[], cls: ClassRecord): string[] {
  const reqs = selectorRequirements(cls.nodeSelector);
  return nodes
    .filter((n) => !Object.hasOwn(n.labels, EXCLUDE_LABEL) && reqs.every((r) => matchesRequirement(n.labels, r)))
    .map((n) => n.name)
    .sort();
}

/** Resolves pools, defaults and eligible nodes of every class. */
export function resolveClasses(classes: readonly ClassRecord[], nodes: readonly NodeRecord[]): ClassSet {
  const ordered = [...classes].sort(compareAge);
  const pools = resolvePools(ordered.map((c) => ({ name: c.name, addresses: c.addressPool })));
  const byName = new Map<string, ResolvedClass>();
  ordered.forEach((record, i) => {
    const p = pools[i];
    if (!p) return;
    byName.set(record.name, {
      record,
      pool: p.spec,
      overlapsWith: p.overlapsWith,
      invalidEntries: p.invalidEntries,
      eligibleNodes: eligibleNodes(nodes, record),
      deleting: record.deletionTimestamp !== '',
    });
  });
  const defaults = ordered.filter((c) => c.isDefault && c.deletionTimestamp === '').map((c) => c.name);
  return { byName, ordered: ordered.map((c) => c.name), defaultClass: defaults[0], defaultLosers: defaults.slice(1) };
}
