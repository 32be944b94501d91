// Label and field selectors in their query-string syntax (`?labelSelector=a=b,c in (x),!d`,
// `?fieldSelector=metadata.name=web`), parsed once into requirements and matched against objects.
import { badRequest } from './errors.ts';

/** One label requirement, as labels.Requirement in apimachinery. */
export interface LabelRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values: string[];
}

/** A parsed label selector: all requirements must hold (an empty list selects everything). */
export type LabelSelector = readonly LabelRequirement[];

/** Splits at commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * Parses the string form of a label selector (`a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3`).
 * Throws a 400 StatusError naming the bad requirement.
 */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text) return [];
  return splitTopLevel(text).map((part): LabelRequirement => {
    let m = /^([^\s!=<>(),]+)\s+(in|notin)\s+\((.*)\)$/.exec(part);
    if (m) {
      const values = (m[3] ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
      return { key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values };
    }
    m = /^([^\s!=<>(),]+)\s*(==|=|!=|>|<)\s*([^\s,()]*)$/.exec(part);
    if (m) {
      const op = m[2];
      const v = m[3] ?? '';
      if (op === '>' || op === '<') {
        if (!/^-?\d+$/.test(v)) throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: "${part}"`);
        return { key: m[1]!, operator: op === '>' ? 'Gt' : 'Lt', values: [v] };
      }
      return { key: m[1]!, operator: op === '!=' ? 'NotIn' : 'In', values: [v] };
    }
    m = /^(!?)\s*([^\s!=<>(),]+)$/.exec(part);
    if (m) return { key: m[2]!, operator: m[1] ? 'DoesNotExist' : 'Exists', values: [] };
    throw badRequest(`unable to parse requirement: found '${part}'`);
  });
}

/** Whether `labels` satisfy every requirement (`!=` and `notin` also match an absent key). */
export function matchLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.operator) {
      case 'In': return has && r.values.includes(v!);
      case 'NotIn': return !has || !r.values.includes(v!);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      case 'Gt': return has && /^-?\d+$/.test(v!) && Number(v) > Number(r.values[0]);
      case 'Lt': return has && /^-?\d+$/.test(v!) && Number(v) < Number(r.values[0]);
    }
    return false;
  });
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
  return splitTopLevel(text).map((part) => {
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
