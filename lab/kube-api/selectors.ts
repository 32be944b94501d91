// Label and field selectors in their query-string syntax (`?labelSelector=a=b,c in (x),!d`,
// `?fieldSelector=metadata.name=web`), parsed once into requirements and matched against objects.
import { matchesRequirement, parseSelectorString, SelectorError, type SelectorRequirement } from '../../lib/kube/labels.ts';
import { badRequest } from './errors.ts';

/** A parsed label selector: all requirements must hold (an empty list selects everything). */
export type LabelSelector = readonly SelectorRequirement[];

/**
 * Parses the string form of a label selector (`a=b,c!=d,e in (x,y),f notin (z),g,!h`) with the
 * shared parser of lib/kube/labels.ts; a bad selector is a 400 naming the requirement.
 */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text) return [];
  try {
    return parseSelectorString(text);
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(`unable to parse requirement: ${e.message}`);
    throw e;
  }
}

/** Whether `labels` satisfy every requirement (`!=` and `notin` also match an absent key). */
export function matchLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => matchesRequirement(l, r));
}

/** One field requirement: `path` (dotted) equals or differs from `value`. */
export interface FieldRequirement {
  path: string;
  equal: boolean;
  value: string;
}

/** A parsed field selector: all requirements must hold. */
export type FieldSelector = readonly FieldRequirement[];

/**
 * Parses `a=b,c==d,e!=f`. `supported` lists the field paths the resource accepts beyond
 * metadata.name and metadata.namespace; others are rejected with 400 as kube-apiserver does.
 */
export function parseFieldSelector(text: string | undefined, supported: readonly string[] = []): FieldSelector {
  if (!text) return [];
  // Field selector values cannot hold commas (kube-apiserver has no escaping beyond `\\,`).
  return text.split(',').map((p) => p.trim()).filter((p) => p !== '').map((part) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const path = m[1]!.trim();
    if (path !== 'metadata.name' && path !== 'metadata.namespace' && !supported.includes(path)) {
      throw badRequest(`field label not supported: ${path}`);
    }
    return { path, equal: m[2] !== '!=', value: m[3]!.trim() };
  });
}

/** Reads a dotted path as the string the field selector compares (absent = ""). */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : String(cur);
}

/** Whether `obj` satisfies every field requirement. */
export function matchFieldSelector(selector: FieldSelector, obj: unknown): boolean {
  return selector.every((r) => (fieldValue(obj, r.path) === r.value) === r.equal);
}
