// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which is what
// `kubectl get` shows: kube-apiserver's printers for Services and Namespaces, the CRDs'
// additionalPrinterColumns, and Name + Age for everything else.
import type { PrinterColumn } from './crd.ts';
import type { KubeObject } from './store.ts';

/** metav1.TableColumnDefinition. */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** metav1.Table. */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string };
  columnDefinitions: TableColumn[];
  rows: { cells: unknown[]; object: unknown }[];
}

/** How a kind prints: columns and a row function. */
export interface Printer {
  columns: TableColumn[];
  cells: (o: KubeObject, now: Date) => unknown[];
}

function col(name: string, type: string, description: string, priority = 0, format = ''): TableColumn {
  return { name, type, format, description, priority };
}

/** duration.HumanDuration of apimachinery: `45s`, `3m20s`, `15m`, `5h3m`, `3d4h`, `2y30d`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

function age(o: KubeObject, now: Date): string {
  const t = Date.parse(o.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now.getTime() - t);
}

const nameColumn = col('Name', 'string', 'Name must be unique within a namespace.', 0, 'name');
const ageColumn = col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

/** Name + Age, for kinds without a printer of their own. */
export const defaultPrinter: Printer = {
  columns: [nameColumn, ageColumn],
  cells: (o, now) => [o.metadata.name, age(o, now)],
};

type Rec = Record<string, unknown>;

/** getServiceExternalIP of pkg/printers/internalversion (server-side printing is always wide). */
export function serviceExternalIP(o: KubeObject): string {
  const spec = (o.spec ?? {}) as Rec;
  const externalIPs = Array.isArray(spec.externalIPs) ? (spec.externalIPs as string[]) : [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'ExternalName':
      return String(spec.externalName ?? '');
    case 'LoadBalancer': {
      const ingress = (((o.status ?? {}) as Rec).loadBalancer as Rec | undefined)?.ingress;
      // loadBalancerStatusStringer: a sorted set of IPs (or hostnames), comma-joined.
      const set = new Set<string>();
      for (const i of Array.isArray(ingress) ? (ingress as Rec[]) : []) {
        if (i.ip) set.add(String(i.ip));
        else if (i.hostname) set.add(String(i.hostname));
      }
      const lb = [...set].sort();
      if (externalIPs.length > 0) return [...lb, ...externalIPs].join(',');
      return lb.length > 0 ? lb.join(',') : '<pending>';
    }
    default:
      return '<unknown>';
  }
}

function servicePorts(o: KubeObject): string {
  const ports = ((o.spec ?? {}) as Rec).ports;
  if (!Array.isArray(ports) || ports.length === 0) return '<none>';
  return (ports as Rec[]).map((p) => (p.nodePort ? `${String(p.port)}:${String(p.nodePort)}/${String(p.protocol ?? 'TCP')}` : `${String(p.port)}/${String(p.protocol ?? 'TCP')}`)).join(',');
}

function selectorText(sel: unknown): string {
  if (typeof sel !== 'object' || sel === null || Object.keys(sel).length === 0) return '<none>';
  return Object.entries(sel as Rec).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${String(v)}`).join(',');
}

/** kube-apiserver's Service printer: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR. */
export const servicePrinter: Printer = {
  columns: [
    nameColumn,
    col('Type', 'string', 'type determines how the Service is exposed.'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn,
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells: (o, now) => {
    const spec = (o.spec ?? {}) as Rec;
    return [o.metadata.name, spec.type ?? 'ClusterIP', spec.clusterIP || '<none>', serviceExternalIP(o), servicePorts(o), age(o, now), selectorText(spec.selector)];
  },
};

/** kube-apiserver's Namespace printer: NAME STATUS AGE. */
export const namespacePrinter: Printer = {
  columns: [nameColumn, col('Status', 'string', 'The status of the namespace'), ageColumn],
  cells: (o, now) => [o.metadata.name, ((o.status ?? {}) as Rec).phase ?? '', age(o, now)],
};

/**
 * Evaluates the simple JSONPath of printer columns (`.spec.type`, `.status.conditions[0].type`,
 * `.spec.addressPool[*]`); returns the values found.
 */
export function evalJsonPath(obj: unknown, path: string): unknown[] {
  const tokens = path.replace(/^\{|\}$/g, '').match(/\.[^.[\]]+|\[[^\]]*\]/g) ?? [];
  let cur: unknown[] = [obj];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (t.startsWith('.')) {
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
          const x = (v as Rec)[t.slice(1)];
          if (x !== undefined) next.push(x);
        }
      } else if (Array.isArray(v)) {
        const inner = t.slice(1, -1).trim();
        if (inner === '*') next.push(...v);
        else if (/^-?\d+$/.test(inner)) {
          const i = Number(inner);
          const x = v[i < 0 ? v.length + i : i];
          if (x !== undefined) next.push(x);
        }
      }
    }
    cur = next;
  }
  return cur;
}

/** The table printer of a CRD: Name, then its additionalPrinterColumns (or Age when it has none). */
export function crdPrinter(columns: readonly PrinterColumn[]): Printer {
  if (columns.length === 0) return defaultPrinter;
  return {
    columns: [nameColumn, ...columns.map((c) => col(c.name, c.type, c.description ?? '', c.priority ?? 0, c.format ?? ''))],
    cells: (o, now) => [
      o.metadata.name,
      ...columns.map((c) => {
        const vals = evalJsonPath(o, c.jsonPath);
        if (vals.length === 0) return null;
        const v = vals.length === 1 ? vals[0] : vals;
        if (c.type === 'date' && typeof v === 'string') {
          const t = Date.parse(v);
          return Number.isNaN(t) ? v : humanDuration(now.getTime() - t);
        }
        if (typeof v === 'object' && v !== null) return JSON.stringify(v);
        return v;
      }),
    ],
  };
}

/** Builds a Table; rows carry PartialObjectMetadata unless `includeObject` is `Object`. */
export function toTable(printer: Printer, items: KubeObject[], now: Date, resourceVersion: string | undefined, includeObject: string | undefined): Table {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: resourceVersion ? { resourceVersion } : {},
    columnDefinitions: printer.columns,
    rows: items.map((o) => ({
      cells: printer.cells(o, now),
      object: includeObject === 'Object' ? o
        : includeObject === 'None' ? null
          : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

function condition(o: KubeObject, type: string): Rec | undefined {
  const conds = ((o.status ?? {}) as Rec).conditions;
  return Array.isArray(conds) ? (conds as Rec[]).find((c) => c.type === type) : undefined;
}

/** kube-apiserver's Node printer: NAME STATUS ROLES AGE VERSION (+ INTERNAL-IP wide). */
export const nodePrinter: Printer = {
  columns: [
    nameColumn,
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageColumn,
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 'List of addresses reachable to the node', 1),
  ],
  cells: (o, now) => {
    const ready = condition(o, 'Ready')?.status;
    let status = ready === 'True' ? 'Ready' : ready === 'False' ? 'NotReady' : 'Unknown';
    if (((o.spec ?? {}) as Rec).unschedulable === true) status += ',SchedulingDisabled';
    const roles = Object.keys(o.metadata.labels ?? {})
      .filter((k) => k.startsWith('node-role.kubernetes.io/'))
      .map((k) => k.slice('node-role.kubernetes.io/'.length)).filter((r) => r !== '').sort();
    const status_ = (o.status ?? {}) as Rec;
    const addresses = Array.isArray(status_.addresses) ? (status_.addresses as Rec[]) : [];
    const internal = addresses.filter((a) => a.type === 'InternalIP').map((a) => String(a.address));
    const version = ((status_.nodeInfo ?? {}) as Rec).kubeletVersion;
    return [o.metadata.name, status, roles.length ? roles.join(',') : '<none>', age(o, now), version ?? '', internal.length ? internal.join(',') : '<none>'];
  },
};

/** kube-apiserver's core/v1 Event printer: LAST SEEN TYPE REASON OBJECT MESSAGE. */
export const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'string', 'Time when last event was observed'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
    col('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for this event being generated.'),
    col('Object', 'string', 'Object this event is about.'),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    { ...nameColumn, priority: 1 },
  ],
  cells: (o, now) => {
    const series = (o.series ?? {}) as Rec;
    const last = [o.lastTimestamp, series.lastObservedTime, o.eventTime, o.metadata.creationTimestamp].find((t) => typeof t === 'string' && t !== '') as string | undefined;
    const involved = (o.involvedObject ?? {}) as Rec;
    const t = Date.parse(last ?? '');
    return [
      Number.isNaN(t) ? '<unknown>' : humanDuration(now.getTime() - t),
      o.type ?? '', o.reason ?? '',
      `${String(involved.kind ?? '').toLowerCase()}/${String(involved.name ?? '')}`,
      String(o.message ?? '').trim(), o.metadata.name,
    ];
  },
};
