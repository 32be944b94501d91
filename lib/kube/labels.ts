// Kubernetes label selectors: the map form (Service/class `nodeSelector`), the structured form
// (`matchLabels` + `matchExpressions`, BGP peers' `node-selector`) and the string form used in
// list/watch requests (`a=b,c!=d,e in (x,y),!f`). One matcher for all three.

export type Labels = Readonly<Record<string, string>>;

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values?: readonly string[];
}

/** metav1.LabelSelector. An empty selector matches everything. */
export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly SelectorRequirement[];
}

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
  constructor(message: string, readonly input: string) {
    super(`${message}: ${JSON.stringify(input)}`);
  }
}

/** Requirements of a structured selector (matchLabels become `In [value]`). */
export function selectorRequirements(sel: LabelSelector | Labels | undefined): SelectorRequirement[] {
  if (!sel) return [];
  if (!isStructured(sel)) return Object.entries(sel).map(([key, v]) => ({ key, operator: 'In', values: [v] }));
  const reqs: SelectorRequirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({
    key,
    operator: 'In',
    values: [v],
  }));
  return reqs.concat(sel.matchExpressions ?? []);
}

function isStructured(sel: LabelSelector | Labels): sel is LabelSelector {
  const keys = Object.keys(sel);
  return keys.length > 0 && keys.every((k) => k === 'matchLabels' || k === 'matchExpressions') &&
    typeof (sel as Record<string, unknown>)[keys[0] as string] === 'object';
}

/** Problems with a requirement, as the API server words them; empty when valid. */
export function requirementErrors(r: SelectorRequirement): string[] {
  const n = r.values?.length ?? 0;
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      return n === 0 ? [`${r.key}: values must be non-empty for operator ${r.operator}`] : [];
    case 'Exists':
    case 'DoesNotExist':
      return n > 0 ? [`${r.key}: values must be empty for operator ${r.operator}`] : [];
    default:
      return [`${r.key}: unknown operator ${JSON.stringify(r.operator)}`];
  }
}

export function matchesRequirement(labels: Labels, r: SelectorRequirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(labels[r.key] as string);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(labels[r.key] as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/** Whether `labels` satisfy every requirement of the selector (map or structured form). */
export function matchesSelector(labels: Labels | undefined, sel: LabelSelector | Labels | undefined): boolean {
  const l = labels ?? {};
  return selectorRequirements(sel).every((r) => matchesRequirement(l, r));
}

/**
 * Parses the string form of a selector (`labelSelector=` in list/watch):
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas.
 */
export function parseSelectorString(s: string): SelectorRequirement[] {
  const out: SelectorRequirement[] = [];
  const text = s.trim();
  if (text === '') return out;
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      const values = (m[3] as string).split(',').map((v) => v.trim()).filter((v, i, a) => v !== '' || a.length === 1);
      out.push({ key: m[1] as string, operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(p))) {
      out.push({ key: m[1] as string, operator: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3] as string] });
    } else if ((m = /^!\s*([^\s!=(),]+)$/.exec(p))) {
      out.push({ key: m[1] as string, operator: 'DoesNotExist' });
    } else if ((m = /^([^\s!=(),]+)$/.exec(p))) {
      out.push({ key: m[1] as string, operator: 'Exists' });
    } else {
      throw new SelectorError('unable to parse requirement', p);
    }
  }
  return out;
}
