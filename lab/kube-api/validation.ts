// What kube-apiserver rejects (422 Invalid) in the fields this module writes: object names, labels,
// annotations, finalizers, metav1.Condition, Service status ingress IPs and Event fields. The rules
// and messages follow k8s.io/apimachinery/pkg/util/validation and pkg/apis/core/validation, so the
// lab cannot accept output that production would refuse.
import { isIP } from 'node:net';
import type { StatusCause } from './errors.ts';
import type { KubeObject } from './store.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** metav1.Condition.reason: CamelCase-ish identifier, see its kubebuilder pattern. */
const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

type Field = string;

function bad(field: Field, value: unknown, message: string): StatusCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${message}` };
}

function required(field: Field): StatusCause {
  return { reason: 'FieldValueRequired', field, message: 'Required value' };
}

/** Problems of a DNS-1123 label (Namespace names, port names). */
export function dns1123LabelErrors(v: string): string[] {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(v)) out.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  return out;
}

/** Problems of a DNS-1123 subdomain (most object names). */
export function dns1123SubdomainErrors(v: string): string[] {
  const out: string[] = [];
  if (v.length > 253) out.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(v)) out.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  return out;
}

/** Problems of a DNS-1035 label (Service names). */
export function dns1035LabelErrors(v: string): string[] {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1035_LABEL.test(v)) out.push("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  return out;
}

/** Problems of a qualified name (`prefix/name`: label and annotation keys, finalizers, condition types). */
export function qualifiedNameErrors(v: string, maxNameLength = 63): string[] {
  const parts = v.split('/');
  let name = v;
  const out: string[] = [];
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else for (const m of dns1123SubdomainErrors(prefix)) out.push(`prefix part ${m}`);
  } else if (parts.length > 2) {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > maxNameLength) out.push(`name part must be no more than ${maxNameLength} characters`);
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name)) {
    out.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  }
  return out;
}

/** Problems of a label value. */
export function labelValueErrors(v: string): string[] {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(v)) out.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  return out;
}

/** Which name rule a kind's metadata.name follows. */
export type NameRule = 'subdomain' | 'label' | 'dns1035';

const nameCheck: Record<NameRule, (v: string) => string[]> = {
  subdomain: dns1123SubdomainErrors,
  label: dns1123LabelErrors,
  dns1035: dns1035LabelErrors,
};

function isStringMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** ObjectMeta rules common to every kind: name, namespace, labels, annotations, finalizers. */
export function validateObjectMeta(o: KubeObject, rule: NameRule, namespaced: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const m = o.metadata;
  // Field types first: kube-apiserver refuses these when decoding; the checks below assume them.
  if (m.name !== undefined && typeof m.name !== 'string') out.push(bad('metadata.name', m.name, 'must be a string'));
  else if (m.name !== undefined) for (const e of nameCheck[rule](m.name)) out.push(bad('metadata.name', m.name, e));
  if (namespaced && m.namespace !== undefined) for (const e of dns1123LabelErrors(m.namespace)) out.push(bad('metadata.namespace', m.namespace, e));
  if (m.labels !== undefined) {
    if (!isStringMap(m.labels)) out.push(bad('metadata.labels', m.labels, 'must be a map of strings'));
    else {
      for (const [k, v] of Object.entries(m.labels)) {
        for (const e of qualifiedNameErrors(k)) out.push(bad('metadata.labels', k, e));
        if (typeof v !== 'string') out.push(bad(`metadata.labels`, v, 'must be a string'));
        else for (const e of labelValueErrors(v)) out.push(bad('metadata.labels', v, e));
      }
    }
  }
  if (m.annotations !== undefined) {
    if (!isStringMap(m.annotations)) out.push(bad('metadata.annotations', m.annotations, 'must be a map of strings'));
    else {
      let size = 0;
      for (const [k, v] of Object.entries(m.annotations)) {
        for (const e of qualifiedNameErrors(k.toLowerCase())) out.push(bad('metadata.annotations', k, e));
        if (typeof v !== 'string') out.push(bad('metadata.annotations', v, 'must be a string'));
        size += k.length + String(v).length;
      }
      if (size > 256 * 1024) out.push({ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: 'Too long: must have at most 262144 bytes' });
    }
  }
  if (m.finalizers !== undefined && !Array.isArray(m.finalizers)) out.push(bad('metadata.finalizers', m.finalizers, 'must be a list of strings'));
  else {
    for (const [i, f] of (m.finalizers ?? []).entries()) {
      if (typeof f !== 'string') out.push(bad(`metadata.finalizers[${i}]`, f, 'must be a string'));
      else for (const e of qualifiedNameErrors(f)) out.push(bad(`metadata.finalizers[${i}]`, f, e));
    }
  }
  return out;
}

/** metav1.Condition rules (type, status, reason, message, lastTransitionTime), as in ValidateConditions. */
export function validateConditions(conditions: unknown, path: string): StatusCause[] {
  if (conditions === undefined || conditions === null) return [];
  if (!Array.isArray(conditions)) return [bad(path, conditions, 'must be a list')];
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  conditions.forEach((c: Record<string, unknown>, i) => {
    const p = `${path}[${i}]`;
    const type = c?.type;
    if (typeof type !== 'string' || type === '') out.push(required(`${p}.type`));
    else {
      for (const e of qualifiedNameErrors(type, 316)) out.push(bad(`${p}.type`, type, e));
      if (seen.has(type)) out.push({ reason: 'FieldValueDuplicate', field: `${p}.type`, message: `Duplicate value: ${JSON.stringify(type)}` });
      seen.add(type);
    }
    if (!['True', 'False', 'Unknown'].includes(String(c?.status))) {
      out.push({ reason: 'FieldValueNotSupported', field: `${p}.status`, message: `Unsupported value: ${JSON.stringify(c?.status)}: supported values: "False", "True", "Unknown"` });
    }
    const reason = c?.reason;
    if (typeof reason !== 'string' || reason === '') out.push(required(`${p}.reason`));
    else {
      if (reason.length > 1024) out.push({ reason: 'FieldValueTooLong', field: `${p}.reason`, message: 'Too long: may not be more than 1024 bytes' });
      if (!CONDITION_REASON.test(reason)) out.push(bad(`${p}.reason`, reason, "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')"));
    }
    if (typeof c?.message === 'string' && c.message.length > 32768) out.push({ reason: 'FieldValueTooLong', field: `${p}.message`, message: 'Too long: may not be more than 32768 bytes' });
    if (typeof c?.lastTransitionTime !== 'string' || c.lastTransitionTime === '') out.push(required(`${p}.lastTransitionTime`));
    else if (Number.isNaN(Date.parse(c.lastTransitionTime))) out.push(bad(`${p}.lastTransitionTime`, c.lastTransitionTime, 'must be an RFC 3339 time'));
    if (c?.observedGeneration !== undefined && !(Number.isInteger(c.observedGeneration) && (c.observedGeneration as number) >= 0)) {
      out.push(bad(`${p}.observedGeneration`, c.observedGeneration, 'must be greater than or equal to zero'));
    }
  });
  return out;
}

/** Service spec and status rules that matter to this module (ports, ingress IPs, conditions). */
export function validateService(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  if (o.spec !== undefined && !isStringMap(o.spec)) return [bad('spec', o.spec, 'must be an object')];
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  const ports = spec.ports;
  if (spec.clusterIP !== 'None' && (!Array.isArray(ports) || ports.length === 0)) out.push(required('spec.ports'));
  if (Array.isArray(ports)) {
    const names = new Set<string>();
    ports.forEach((p: Record<string, unknown>, i) => {
      const port = p?.port;
      if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) out.push(bad(`spec.ports[${i}].port`, port, 'must be between 1 and 65535, inclusive'));
      if (p?.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(String(p.protocol))) {
        out.push({ reason: 'FieldValueNotSupported', field: `spec.ports[${i}].protocol`, message: `Unsupported value: ${JSON.stringify(p.protocol)}: supported values: "SCTP", "TCP", "UDP"` });
      }
      if (ports.length > 1 && (typeof p?.name !== 'string' || p.name === '')) out.push(required(`spec.ports[${i}].name`));
      if (typeof p?.name === 'string' && p.name !== '') {
        for (const e of dns1123LabelErrors(p.name)) out.push(bad(`spec.ports[${i}].name`, p.name, e));
        if (names.has(p.name)) out.push({ reason: 'FieldValueDuplicate', field: `spec.ports[${i}].name`, message: `Duplicate value: ${JSON.stringify(p.name)}` });
        names.add(p.name);
      }
    });
  }
  if (spec.type !== undefined && !['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(spec.type))) {
    out.push({ reason: 'FieldValueNotSupported', field: 'spec.type', message: `Unsupported value: ${JSON.stringify(spec.type)}: supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"` });
  }
  if (spec.externalTrafficPolicy !== undefined && !['Cluster', 'Local'].includes(String(spec.externalTrafficPolicy))) {
    out.push({ reason: 'FieldValueNotSupported', field: 'spec.externalTrafficPolicy', message: `Unsupported value: ${JSON.stringify(spec.externalTrafficPolicy)}: supported values: "Cluster", "Local"` });
  }
  const status = (o.status ?? {}) as Record<string, unknown>;
  const lb = (status.loadBalancer ?? {}) as Record<string, unknown>;
  const ingress = lb.ingress;
  if (ingress !== undefined && ingress !== null) {
    if (!Array.isArray(ingress)) out.push(bad('status.loadBalancer.ingress', ingress, 'must be a list'));
    else {
      if (ingress.length > 0 && spec.type !== 'LoadBalancer') {
        out.push({ reason: 'FieldValueForbidden', field: 'status.loadBalancer.ingress', message: 'Forbidden: may only be used when `spec.type` is \'LoadBalancer\'' });
      }
      ingress.forEach((ing: Record<string, unknown>, i) => {
        const p = `status.loadBalancer.ingress[${i}]`;
        if (ing?.ip !== undefined) {
          // ValidateLoadBalancerStatus: an IP in canonical form (no leading zeros, no zone).
          if (typeof ing.ip !== 'string' || isIP(ing.ip) === 0 || /^0\d|\.0\d/.test(ing.ip)) out.push(bad(`${p}.ip`, ing.ip, 'must be a valid IP address'));
        }
        if (ing?.hostname !== undefined) {
          if (typeof ing.hostname !== 'string') out.push(bad(`${p}.hostname`, ing.hostname, 'must be a string'));
          else {
            for (const e of dns1123SubdomainErrors(ing.hostname)) out.push(bad(`${p}.hostname`, ing.hostname, e));
            if (isIP(ing.hostname) !== 0) out.push(bad(`${p}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
          }
        }
        if (ing?.ipMode !== undefined) {
          if (!['VIP', 'Proxy'].includes(String(ing.ipMode))) out.push({ reason: 'FieldValueNotSupported', field: `${p}.ipMode`, message: `Unsupported value: ${JSON.stringify(ing.ipMode)}: supported values: "Proxy", "VIP"` });
          if (ing.ip === undefined) out.push({ reason: 'FieldValueForbidden', field: `${p}.ipMode`, message: 'Forbidden: may not be specified when `ip` is not set' });
        }
      });
    }
  }
  out.push(...validateConditions(status.conditions, 'status.conditions'));
  return out;
}

/**
 * core/v1 Event rules (legacyValidateEvent): namespace agreement with involvedObject; for new-style
 * events (eventTime set) reportingController, reportingInstance, action and reason are required and
 * bounded. `strict` adds the events.k8s.io/v1 create rules (ValidateEventCreate).
 */
export function validateEvent(o: KubeObject, strict: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const ns = o.metadata.namespace ?? '';
  const involved = (o.involvedObject ?? {}) as Record<string, unknown>;
  const involvedNs = typeof involved.namespace === 'string' ? involved.namespace : '';
  const controllerField = strict ? 'reportingController' : 'reportingComponent';
  const mismatch = bad('involvedObject.namespace', involvedNs, 'does not match event.namespace');
  const str = (k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
  if (!o.eventTime) {
    if (involvedNs === '' ? ns !== '' && ns !== 'default' : ns !== involvedNs) out.push(mismatch);
  } else {
    if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') out.push(mismatch);
    const controller = str('reportingComponent');
    if (controller === '') out.push(required(controllerField));
    else for (const e of qualifiedNameErrors(controller)) out.push(bad(controllerField, controller, e));
    if (str('reportingInstance') === '') out.push(required('reportingInstance'));
    if (str('reportingInstance').length > 128) out.push(bad('reportingInstance', '', 'can have at most 128 characters'));
    if (str('action') === '') out.push(required('action'));
    if (str('action').length > 128) out.push(bad('action', '', 'can have at most 128 characters'));
    if (str('reason') === '') out.push(required('reason'));
    if (str('reason').length > 128) out.push(bad('reason', '', 'can have at most 128 characters'));
    if (str('message').length > 1024) out.push(bad(strict ? 'note' : 'message', '', 'can have at most 1024 characters'));
  }
  if (strict) {
    if (!o.eventTime) out.push(required('eventTime'));
    if (o.type !== 'Normal' && o.type !== 'Warning') out.push(bad('type', '', `has invalid value: ${String(o.type ?? '')}`));
    if (o.firstTimestamp) out.push(bad('deprecatedFirstTimestamp', '', 'needs to be unset'));
    if (o.lastTimestamp) out.push(bad('deprecatedLastTimestamp', '', 'needs to be unset'));
    if (o.count) out.push(bad('deprecatedCount', '', 'needs to be unset'));
    const src = (o.source ?? {}) as Record<string, unknown>;
    if (src.component || src.host) out.push(bad('deprecatedSource', '', 'needs to be unset'));
  }
  return out;
}
