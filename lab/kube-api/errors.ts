// Errors of the embedded Kubernetes API, shaped as the real API server's `Status` objects so that
// clients (kubectl, @kubernetes/client-node) print and branch on them exactly as against a cluster.

/** The `reason` values of metav1.StatusReason that this API produces. */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'Forbidden'
  | 'Gone'
  | 'Expired'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'ServiceUnavailable'
  | 'InternalError';

/** One field problem of an `Invalid` error, as metav1.StatusCause. */
export interface StatusCause {
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueDuplicate' | 'FieldValueTooLong';
  message: string;
  field: string;
}

/** The wire form of a metav1.Status failure. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

/** A request failure carrying the HTTP code and Kubernetes reason; thrown by the store and the server. */
export class StatusError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusBody['details'];

  constructor(code: number, reason: StatusReason, message: string, details?: StatusBody['details']) {
    super(message);
    this.name = 'StatusError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  /** The metav1.Status body the server sends for this error. */
  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) body.details = this.details;
    return body;
  }
}

/** Identifies an object in error messages: `services "web"` as kube-apiserver words it. */
export interface ErrorSubject {
  group: string;
  resource: string;
  kind: string;
  name: string;
}

function qualified(s: ErrorSubject): string {
  return s.group ? `${s.resource}.${s.group}` : s.resource;
}

/** 404 for a missing object. */
export function notFound(s: ErrorSubject): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(s)} "${s.name}" not found`, {
    name: s.name, group: s.group, kind: s.resource,
  });
}

/** 409 AlreadyExists for a create of an existing name. */
export function alreadyExists(s: ErrorSubject): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualified(s)} "${s.name}" already exists`, {
    name: s.name, group: s.group, kind: s.resource,
  });
}

/** 409 Conflict for a write based on a stale resourceVersion (optimistic concurrency). */
export function conflict(s: ErrorSubject, why: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(s)} "${s.name}": ${why}`,
    { name: s.name, group: s.group, kind: s.resource },
  );
}

/** 422 Invalid listing every field problem, worded like kube-apiserver. */
export function invalid(s: ErrorSubject, causes: StatusCause[]): StatusError {
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const what = s.group ? `${s.kind}.${s.group}` : s.kind;
  return new StatusError(422, 'Invalid', `${what} "${s.name}" is invalid: ${causes.length > 1 ? `[${list}]` : list}`, {
    name: s.name, group: s.group, kind: s.kind, causes,
  });
}

/** 400 BadRequest with a free-form message. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** 410 Gone (reason Expired) for a watch or list from a compacted resourceVersion. */
export function gone(rv: string, oldest: string): StatusError {
  return new StatusError(410, 'Expired', `too old resource version: ${rv} (${oldest})`);
}
