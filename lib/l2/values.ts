// Values for the templates (docs/DEVELOPMENT.md, `metallb.internal`): the classes and the speaker
// DaemonSet's node affinity. Nothing per Service, everything sorted.
import type { ClassRecord } from './types.ts';

/** `internal.l2.classes[]`. */
export interface ClassValue {
  name: string;
  interfaces: string[];
  nodeSelector: Record<string, string>;
}

/** One nodeSelectorTerm of a required node affinity. */
export interface NodeSelectorTerm {
  matchExpressions: { key: string; operator: 'In' | 'Exists'; values?: string[] }[];
}

/** A term matching every node: an empty term matches none in Kubernetes, so it says "has a hostname". */
export const ALL_NODES_TERM: NodeSelectorTerm = { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'Exists' }] };

/** The classes as the templates and speakers need them, sorted by name. */
export function classValues(classes: readonly ClassRecord[]): ClassValue[] {
  return [...classes]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => ({ name: c.name, interfaces: [...c.interfaces], nodeSelector: sortedRecord(c.nodeSelector) }));
}

/** A map node selector as a nodeSelectorTerm (In expressions, keys sorted); empty: all nodes. */
export function selectorTerm(selector: Readonly<Record<string, string>>): NodeSelectorTerm {
  const keys = Object.keys(selector).sort();
  if (keys.length === 0) return ALL_NODES_TERM;
  return { matchExpressions: keys.map((key) => ({ key, operator: 'In', values: [selector[key] as string] })) };
}

/**
 * The speaker DaemonSet's nodeSelectorTerms (ORed): one per class, plus the BGP speaker selector
 * when BGP pools exist; duplicates removed, sorted. Empty: no speaker is needed.
 */
export function speakerNodeSelectorTerms(classes: readonly ClassRecord[], bgpSpeakerSelector: Readonly<Record<string, string>> | undefined): NodeSelectorTerm[] {
  const terms = new Map<string, NodeSelectorTerm>();
  const add = (t: NodeSelectorTerm) => terms.set(JSON.stringify(t), t);
  for (const c of classes) add(selectorTerm(c.nodeSelector));
  if (bgpSpeakerSelector) add(selectorTerm(bgpSpeakerSelector));
  return [...terms.keys()].sort().map((k) => terms.get(k) as NodeSelectorTerm);
}

function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k] as string;
  return out;
}
