// The embedded Kubernetes API: an HTTPS server over the in-memory store (store.ts) speaking enough
// of kube-apiserver's REST protocol for @kubernetes/client-node informers, the hooks' imitated
// addon-operator and the real kubectl. It stands in for kube-apiserver because no kube-apiserver
// (nor etcd) can run on these machines; see README.md for what it does and does not do.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { crdType, moduleConfigCrd } from './builtin-crds.ts';
import { crdResourceType, type CrdSpec } from './crd.ts';
import { apiVersionOf, endpointsOf, groupDoc, groupList, openApiGroupVersion, openApiRoot, resourceList, type Endpoint } from './endpoints.ts';
import { badRequest, invalid, StatusError } from './errors.ts';
import { parseBody, parseJsonBody, parseTarget, queryFlag, readBody, send, sendError, unknownPaths, type Target } from './http.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, metadataListRules, type Json } from './patch.ts';
import { builtinTypes } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { ObjectStore, type KubeObject, type PatchType } from './store.ts';
import { toTable } from './table.ts';
import { kubeconfigText, makeServerTls } from './tls.ts';
import { WatchStream } from './watch.ts';

/** The repository's crds/ folder, whose CRDs the server serves by default. */
export const moduleCrdDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crds');

/** Options of `KubeApiServer.start`. */
export interface KubeApiServerOptions {
  /** Directory for ca.crt, server.crt/key and `kubeconfig` (must exist). */
  dir: string;
  /** Listening address: loopback by default, or an address inside a network namespace. */
  host?: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** YAML files with CRDs to serve; default every `*.yaml` in the module's crds/ except `doc-*`. */
  crdFiles?: string[];
  /** Store to serve (shared with an addon-operator imitation); default a new one. */
  store?: ObjectStore;
  /** Clock for timestamps and ages. */
  now?: () => Date;
  /** Bookmark period for watches that allow bookmarks; default 5 s. */
  bookmarkIntervalMs?: number;
  /** Watch history length (older versions get 410 Gone); default 1000. */
  historyLimit?: number;
}

/** Fault injection switches. */
export interface Faults {
  /** Requests get no answer (held until switched off) and watch events wait. */
  stopAnswering: boolean;
  /** Every watch event is delivered this much later. */
  watchDelayMs: number;
  /** Connections are reset as they arrive and requests on open ones fail (the API is down). */
  refuseConnections: boolean;
}

/** Default CRD files: crds/*.yaml except Deckhouse's translated documentation files (doc-*). */
export function defaultCrdFiles(dir = moduleCrdDir): string[] {
  try {
    return readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('doc-')).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** CRD documents found in a YAML file. */
export function readCrds(file: string): KubeObject[] {
  const docs = yaml.loadAll(readFileSync(file, 'utf8')) as unknown[];
  return docs.filter((d): d is KubeObject => typeof d === 'object' && d !== null && (d as { kind?: unknown }).kind === 'CustomResourceDefinition');
}

/** The embedded API server; see the file comment. */
export class KubeApiServer {
  readonly store: ObjectStore;
  /** https://host:port */
  readonly url: string;
  /** Path of the kubeconfig written for clients. */
  readonly kubeconfigPath: string;
  readonly caCertPem: string;
  readonly #server: Server;
  readonly #now: () => Date;
  readonly #bookmarkIntervalMs: number;
  readonly #watches = new Set<WatchStream>();
  readonly #sockets = new Set<Socket>();
  readonly #held: (() => void)[] = [];
  readonly #unservedCrds = new Set<string>();
  readonly #faults: Faults = { stopAnswering: false, watchDelayMs: 0, refuseConnections: false };

  private constructor(server: Server, store: ObjectStore, url: string, kubeconfigPath: string, caCertPem: string, opts: KubeApiServerOptions) {
    this.#server = server;
    this.store = store;
    this.url = url;
    this.kubeconfigPath = kubeconfigPath;
    this.caCertPem = caCertPem;
    this.#now = opts.now ?? (() => new Date());
    this.#bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 5000;
  }

  /** Generates certificates, starts listening, seeds namespaces and CRDs, writes the kubeconfig. */
  static async start(opts: KubeApiServerOptions): Promise<KubeApiServer> {
    const host = opts.host ?? '127.0.0.1';
    const tls = makeServerTls(opts.dir, [host]);
    const store = opts.store ?? new ObjectStore({ requireNamespaces: true, historyLimit: opts.historyLimit ?? 1000, ...(opts.now ? { now: opts.now } : {}) });
    const server = createServer({ cert: tls.certPem, key: tls.keyPem });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('kube-api: server has no TCP address');
    const url = `https://${isIP(host) === 6 ? `[${host}]` : host}:${addr.port}`;
    const kubeconfigPath = join(opts.dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigText(url, tls.caCertPem, 'metallb-lab'));
    const api = new KubeApiServer(server, store, url, kubeconfigPath, tls.caCertPem, opts);
    api.#seed(opts.crdFiles ?? defaultCrdFiles());
    server.on('connection', (s: Socket) => {
      if (api.#faults.refuseConnections) {
        s.destroy();
        return;
      }
      api.#sockets.add(s);
      s.on('close', () => api.#sockets.delete(s));
    });
    server.on('request', (req, res) => void api.#handle(req, res));
    return api;
  }

  #seed(crdFiles: string[]): void {
    const s = this.store;
    for (const t of builtinTypes()) if (!s.type(t.group, t.resource)) s.register(t);
    if (!s.type(crdType.group, crdType.resource)) s.register(crdType);
    // CRD objects register their kinds as they are written (the store delivers synchronously).
    s.watch(crdType, {}, (e) => {
      if (e.object instanceof StatusError) return;
      const spec = e.object.spec as CrdSpec;
      const id = `${spec.group}/${spec.names.plural}`;
      if (e.type === 'DELETED') this.#unservedCrds.add(id);
      else {
        s.register(crdResourceType({ metadata: e.object.metadata, spec }));
        this.#unservedCrds.delete(id);
      }
    });
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      if (!s.list(s.type('', 'namespaces')!, { fieldSelector: [{ path: 'metadata.name', equal: true, value: ns }] }).items.length) {
        s.create(s.type('', 'namespaces')!, { metadata: { name: ns } });
      }
    }
    const crds = [structuredClone(moduleConfigCrd) as unknown as KubeObject, ...crdFiles.flatMap(readCrds)];
    for (const crd of crds) {
      const name = crd.metadata?.name ?? '';
      try {
        s.get(crdType, undefined, name);
      } catch {
        s.create(crdType, crd);
      }
    }
  }

  /** Current fault switches. */
  faults(): Faults {
    return { ...this.#faults };
  }

  /**
   * Changes fault switches; switching stopAnswering off answers the held requests; switching
   * refuseConnections on also resets the open watches.
   */
  setFaults(f: Partial<Faults>): void {
    Object.assign(this.#faults, f);
    if (f.refuseConnections) this.dropWatches('reset');
    if (!this.#faults.stopAnswering) for (const run of this.#held.splice(0)) run();
  }

  /** Ends every open watch: cleanly (`end`, as a server-side timeout) or by resetting the connection. Returns how many. */
  dropWatches(how: 'end' | 'reset' = 'end'): number {
    const all = [...this.#watches];
    for (const w of all) {
      if (how === 'end') w.end();
      else w.reset();
    }
    return all.length;
  }

  /** Number of open watch responses. */
  watchCount(): number {
    return this.#watches.size;
  }

  /** Stops listening, ends watches and held requests, closes connections. */
  async close(): Promise<void> {
    for (const w of [...this.#watches]) w.reset();
    this.#held.length = 0;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://embedded');
      if (this.#faults.refuseConnections && url.pathname !== '/lab/faults') {
        req.socket.destroy();
        return;
      }
      const body = await readBody(req);
      if (url.pathname === '/lab/faults') return this.#faultControl(req, body, res);
      if (url.pathname === '/openapi/v2') {
        // kubectl validates `kind: List` files on the client with OpenAPI v2, which it reads as
        // protobuf only. An empty gnostic Document (zero bytes) describes no kind, and kubectl
        // skips validation of kinds the document does not describe; the server validates them.
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 0 });
        res.end();
        return;
      }
      if (this.#faults.stopAnswering) {
        this.#held.push(() => void this.#serve(req, url, body, res).catch((e: unknown) => sendError(res, e)));
        return;
      }
      await this.#serve(req, url, body, res);
    } catch (e) {
      sendError(res, e);
    }
  }

  /** `GET /lab/faults` shows, `POST /lab/faults {stopAnswering?, watchDelayMs?, refuseConnections?, dropWatches?: "end"|"reset"}` sets. */
  #faultControl(req: IncomingMessage, body: string, res: ServerResponse): void {
    if (req.method === 'POST') {
      const f = (parseJsonBody(body, {}) ?? {}) as Partial<Faults> & { dropWatches?: 'end' | 'reset' };
      if (f.dropWatches) this.dropWatches(f.dropWatches);
      const next: Partial<Faults> = {};
      if (typeof f.stopAnswering === 'boolean') next.stopAnswering = f.stopAnswering;
      if (typeof f.watchDelayMs === 'number') next.watchDelayMs = f.watchDelayMs;
      if (typeof f.refuseConnections === 'boolean') next.refuseConnections = f.refuseConnections;
      this.setFaults(next);
    }
    send(res, 200, { ...this.faults(), watches: this.watchCount() });
  }

  #endpoints(): Endpoint[] {
    return endpointsOf(this.store).filter((e) => !this.#unservedCrds.has(`${e.storage.group}/${e.storage.resource}`));
  }

  async #serve(req: IncomingMessage, url: URL, body: string, res: ServerResponse): Promise<void> {
    const seg = url.pathname.split('/').filter((s) => s !== '');
    const method = req.method ?? 'GET';
    const eps = this.#endpoints();
    const discovery = this.#discovery(seg, eps);
    if (discovery !== undefined) {
      if (method !== 'GET') throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      return send(res, 200, discovery);
    }
    const target = parseTarget(seg, eps);
    const q = url.searchParams;
    const accept = req.headers.accept ?? '';
    const table = accept.includes('as=Table');
    const { ep } = target;
    if (target.subresource !== undefined && (target.subresource !== 'status' || !ep.statusSubresource)) {
      throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const sub = target.subresource as 'status' | undefined;
    if (q.get('dryRun')) throw badRequest('dryRun is not supported by the embedded API (lab/kube-api)');
    const present = (o: KubeObject): KubeObject => (ep.fromStorage ? ep.fromStorage(o) : o);
    const asTable = (items: KubeObject[], rv?: string): unknown => toTable(ep.printer, items.map(present), this.#now(), rv, q.get('includeObject') ?? undefined);
    const selection = {
      ...(target.namespace ? { namespace: target.namespace } : {}),
      labelSelector: parseLabelSelector(q.get('labelSelector') ?? undefined),
      fieldSelector: parseFieldSelector(q.get('fieldSelector') ?? undefined, ep.storage.fieldSelectors),
    };
    if (method === 'GET' && target.name === undefined) {
      if (target.watch || queryFlag(q.get('watch'))) return this.#watch(target, q, res, table ? (o) => asTable([o]) : present);
      const list = this.store.list(ep.storage, selection, { shared: true });
      if (table) return send(res, 200, asTable(list.items, list.resourceVersion));
      // Like kube-apiserver, built-in lists carry kind and apiVersion on the list only, so code
      // that reads them from items fails here as it would in a cluster.
      const items = list.items.map(present).map((o) => {
        if (ep.custom) return o;
        const { apiVersion: _v, kind: _k, ...rest } = o;
        return rest;
      });
      return send(res, 200, { kind: `${ep.kind}List`, apiVersion: apiVersionOf(ep), metadata: { resourceVersion: list.resourceVersion }, items });
    }
    if (method === 'GET') {
      const o = this.store.get(ep.storage, target.namespace, target.name!);
      return send(res, 200, table ? asTable([o]) : present(o));
    }
    if (method === 'POST' && target.name === undefined) {
      const o = this.#incoming(target, body, req);
      const causes = ep.validateCreate ? ep.validateCreate(o) : [];
      if (causes.length > 0) throw invalid({ group: ep.group, resource: ep.resource, kind: ep.kind, name: o.metadata.name ?? '' }, causes);
      this.#strictFields(ep, o, q);
      return send(res, 201, present(this.store.create(ep.storage, ep.toStorage ? ep.toStorage(o) : o)));
    }
    if (method === 'PUT' && target.name !== undefined) {
      const o = this.#incoming(target, body, req);
      if (o.metadata.name !== target.name) throw badRequest(`the name of the object (${String(o.metadata.name)}) does not match the name on the URL (${target.name})`);
      this.#strictFields(ep, o, q);
      return send(res, 200, present(this.store.update(ep.storage, ep.toStorage ? ep.toStorage(o) : o, sub)));
    }
    if (method === 'PATCH' && target.name !== undefined) {
      return send(res, 200, present(this.#patch(target, req.headers['content-type'] ?? '', body, sub, q)));
    }
    if (method === 'DELETE') return this.#delete(target, selection, body, q, res, present);
    throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }

  #discovery(seg: string[], eps: Endpoint[]): unknown {
    const p = seg.join('/');
    if (p === 'version') return { major: '1', minor: '32', gitVersion: 'v1.32.0-metallb-lab', gitCommit: '', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' };
    if (p === 'healthz' || p === 'readyz' || p === 'livez') return 'ok';
    if (p === 'api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: new URL(this.url).host }] };
    if (p === 'api/v1') return resourceList(eps, '', 'v1');
    if (p === 'apis') return groupList(eps);
    if (seg[0] === 'apis' && seg.length === 2) {
      const e = eps.find((x) => x.group === seg[1]);
      if (!e) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      return groupDoc(e.group, e.version);
    }
    if (seg[0] === 'apis' && seg.length === 3) {
      if (!eps.some((x) => x.group === seg[1] && x.version === seg[2])) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      return resourceList(eps, seg[1]!, seg[2]!);
    }
    if (p === 'openapi/v3') return openApiRoot(eps);
    if (seg[0] === 'openapi' && seg[1] === 'v3') {
      return seg[2] === 'api' ? openApiGroupVersion(eps, '', seg[3] ?? 'v1') : openApiGroupVersion(eps, seg[3] ?? '', seg[4] ?? '');
    }
    return undefined;
  }

  #incoming(target: Target, body: string, req: IncomingMessage): KubeObject {
    const o = parseBody(body, req.headers['content-type'] ?? '') as KubeObject;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw badRequest('the request body must be an object');
    o.metadata ??= {};
    if (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata)) throw badRequest('metadata must be an object');
    if (target.ep.namespaced) {
      if (o.metadata.namespace && target.namespace && o.metadata.namespace !== target.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      o.metadata.namespace = target.namespace ?? o.metadata.namespace;
    }
    return o;
  }

  /** `fieldValidation=Strict` (kubectl's default): fields a CRD schema would prune are an error. */
  #strictFields(ep: Endpoint, o: KubeObject, q: URLSearchParams): void {
    if (q.get('fieldValidation') !== 'Strict' || !ep.storage.prepare || !ep.schema) return;
    const pruned = ep.storage.prepare(structuredClone(o));
    const unknown = unknownPaths(o, pruned as unknown as Record<string, unknown>, '');
    if (unknown.length > 0) throw badRequest(`strict decoding error: ${unknown.map((p) => `unknown field "${p}"`).join(', ')}`);
  }

  #patch(target: Target, contentType: string, body: string, sub: 'status' | undefined, q: URLSearchParams): KubeObject {
    const { ep } = target;
    const type: PatchType | undefined = contentType.startsWith('application/merge-patch+json') ? 'merge'
      : contentType.startsWith('application/json-patch+json') ? 'json'
        : contentType.startsWith('application/strategic-merge-patch+json') ? 'strategic' : undefined;
    if (!type) {
      throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (server-side apply is not supported by the embedded API)`);
    }
    const patch = parseJsonBody(body, null);
    if (!ep.toStorage || !ep.fromStorage) {
      const next = this.store.patched(ep.storage, target.namespace, target.name!, type, patch);
      this.#strictFields(ep, next, q);
      return this.store.update(ep.storage, next, sub);
    }
    // A view: patch the object as this version shows it, then store it converted back.
    const current = ep.fromStorage(this.store.get(ep.storage, target.namespace, target.name!));
    const base = current as unknown as Json;
    const patched = (type === 'merge' ? applyMergePatch(base, patch as Json)
      : type === 'json' ? applyJsonPatch(base, patch)
        : applyStrategicMergePatch(base, patch as Json, metadataListRules)) as unknown as KubeObject;
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) throw badRequest('the patch did not produce an object');
    if (typeof patched.metadata !== 'object' || patched.metadata === null) patched.metadata = {};
    patched.metadata.resourceVersion ||= current.metadata.resourceVersion;
    return this.store.update(ep.storage, ep.toStorage(patched), sub);
  }

  #delete(target: Target, selection: Parameters<ObjectStore['list']>[1], body: string, q: URLSearchParams, res: ServerResponse, present: (o: KubeObject) => KubeObject): void {
    const { ep } = target;
    const opts = (parseJsonBody(body, {}) ?? {}) as { preconditions?: { resourceVersion?: string; uid?: string } };
    const pre = { ...opts.preconditions };
    if (q.get('preconditions.resourceVersion')) pre.resourceVersion = q.get('preconditions.resourceVersion')!;
    if (q.get('preconditions.uid')) pre.uid = q.get('preconditions.uid')!;
    const names = target.name !== undefined
      ? [{ ns: target.namespace, name: target.name }]
      : this.store.list(ep.storage, selection).items.map((o) => ({ ns: o.metadata.namespace, name: o.metadata.name! }));
    let last: { object: KubeObject; deleted: boolean } | undefined;
    for (const n of names) last = this.store.delete(ep.storage, n.ns, n.name, target.name !== undefined ? pre : {});
    if (target.name !== undefined && last && !last.deleted) return send(res, 200, present(last.object));
    send(res, 200, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
      details: target.name !== undefined ? { name: target.name, group: ep.group, kind: ep.resource, uid: last?.object.metadata.uid } : { group: ep.group, kind: ep.resource },
    });
  }

  #watch(target: Target, q: URLSearchParams, res: ServerResponse, present: (o: KubeObject) => unknown): void {
    const { ep } = target;
    const timeoutSec = Number(q.get('timeoutSeconds') ?? '0');
    const stream: WatchStream = new WatchStream(res, {
      present,
      bookmark: (rv) => ({ kind: ep.kind, apiVersion: apiVersionOf(ep), metadata: { resourceVersion: rv } }),
      currentVersion: () => this.store.resourceVersion(),
      bookmarkIntervalMs: queryFlag(q.get('allowWatchBookmarks')) ? this.#bookmarkIntervalMs : undefined,
      timeoutMs: timeoutSec > 0 ? timeoutSec * 1000 : undefined,
      delayMs: () => this.#faults.watchDelayMs,
      paused: () => this.#faults.stopAnswering,
      onClose: () => this.#watches.delete(stream),
    });
    this.#watches.add(stream);
    const handle = this.store.watch(ep.storage, {
      ...(target.namespace ? { namespace: target.namespace } : {}),
      labelSelector: parseLabelSelector(q.get('labelSelector') ?? undefined),
      fieldSelector: parseFieldSelector(q.get('fieldSelector') ?? undefined, ep.storage.fieldSelectors),
      ...(q.get('resourceVersion') ? { resourceVersion: q.get('resourceVersion')! } : {}),
    }, (e) => stream.send(e));
    stream.attach(handle);
  }
}

