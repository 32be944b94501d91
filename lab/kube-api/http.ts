// HTTP plumbing of the embedded API (server.ts): URL → endpoint resolution as kube-apiserver lays
// out its paths, request bodies, and JSON/Status responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import type { Endpoint } from './endpoints.ts';
import { badRequest, StatusError } from './errors.ts';

/** `true`/`1` query flags (`watch=1`, `allowWatchBookmarks=true`). */
export function queryFlag(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/** What a resource URL addresses. */
export interface Target {
  ep: Endpoint;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  watch: boolean;
}

/** Paths present in `given` but absent after pruning (`spec.foo`). */
export function unknownPaths(given: unknown, kept: unknown, prefix: string): string[] {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return [];
  const k = (typeof kept === 'object' && kept !== null ? kept : {}) as Record<string, unknown>;
  const out: string[] = [];
  for (const [key, v] of Object.entries(given as Record<string, unknown>)) {
    if (prefix === '' && (key === 'metadata' || key === 'apiVersion' || key === 'kind')) continue;
    const p = prefix ? `${prefix}.${key}` : key;
    if (!(key in k)) out.push(p);
    else out.push(...unknownPaths(v, k[key], p));
  }
  return out;
}

/** Resolves `/api/v1/...` and `/apis/g/v/...` paths (with the legacy `/watch/` prefix). */
export function parseTarget(seg: string[], eps: Endpoint[]): Target {
  let group: string;
  let version: string;
  let rest: string[];
  const notFound = (): StatusError => new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  if (seg[0] === 'api' && seg.length >= 3) {
    group = '';
    version = seg[1]!;
    rest = seg.slice(2);
  } else if (seg[0] === 'apis' && seg.length >= 4) {
    group = seg[1]!;
    version = seg[2]!;
    rest = seg.slice(3);
  } else throw notFound();
  let watch = false;
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }
  const inGv = eps.filter((e) => e.group === group && e.version === version);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && inGv.some((e) => e.namespaced && e.resource === rest[2])) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const ep = inGv.find((e) => e.resource === rest[0]);
  if (!ep || rest.length > 3) throw notFound();
  if (!ep.namespaced && namespace !== undefined) throw notFound();
  if (ep.namespaced && namespace === undefined && rest.length > 1) throw notFound();
  return { ep, namespace, name: rest[1], subresource: rest[2], watch };
}

/** The whole request body as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A JSON (or YAML) request body; protobuf and CBOR are refused with 415. */
export function parseBody(body: string, contentType: string): unknown {
  if (contentType.includes('protobuf') || contentType.includes('cbor')) {
    // kubectl's typed-client commands (`create configmap`, `create secret`...) send protobuf.
    throw new StatusError(415, 'UnsupportedMediaType', `the embedded API (lab/kube-api) speaks JSON only, not ${contentType}: use kubectl apply -f`);
  }
  try {
    if (contentType.includes('yaml')) return yaml.load(body);
    return JSON.parse(body);
  } catch (e) {
    throw badRequest(`the request body could not be decoded: ${(e as Error).message}`);
  }
}

/** A JSON body that may be empty (`empty` then); text that is not JSON is a 400, as kube-apiserver answers. */
export function parseJsonBody(body: string, empty: unknown): unknown {
  if (body === '') return empty;
  try {
    return JSON.parse(body);
  } catch (e) {
    throw badRequest(`the request body could not be decoded: ${(e as Error).message}`);
  }
}

/** Sends JSON (or plain text for strings). */
export function send(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends a StatusError as its Status, anything else as a 500 InternalError. */
export function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof StatusError) return send(res, e.code, e.toStatus());
  const err = new StatusError(500, 'InternalError', `Internal error occurred: ${e instanceof Error ? e.message : String(e)}`);
  send(res, 500, err.toStatus());
}
