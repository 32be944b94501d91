// A small Kubernetes REST client for the lab's operator loop: it talks to whatever API the
// kubeconfig names (the embedded API in the lab) over HTTPS, finds resources through discovery and
// does get/list/create/patch/delete with JSON. Kept apart from @kubernetes/client-node's typed
// clients because the loop handles arbitrary rendered kinds (apply what the chart rendered) and must
// say clearly which kinds the API does not serve.
import { request, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from './scenario.ts';

/** A served resource, as discovery describes it. */
export interface ApiResource {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** An HTTP error from the API, with its status and the API's message. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly code = 'LAB_KUBE_API';
  constructor(readonly status: number, readonly method: string, readonly path: string, readonly body: string) {
    super(`${method} ${path}: HTTP ${status}: ${messageOf(body)}`);
  }
}

function messageOf(body: string): string {
  try {
    return String((JSON.parse(body) as { message?: unknown }).message ?? body).slice(0, 500);
  } catch {
    return body.slice(0, 500);
  }
}

/** A Kubernetes list response. */
export interface KubeList {
  items: KubeObject[];
  metadata?: { resourceVersion?: string };
}

/** REST client bound to one kubeconfig. */
export class KubeClient {
  #kc = new KubeConfig();
  #server: URL;
  #resources = new Map<string, ApiResource | null>();

  constructor(kubeconfigPath: string) {
    this.#kc.loadFromFile(kubeconfigPath);
    const cluster = this.#kc.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig ${kubeconfigPath} has no current cluster`);
    this.#server = new URL(cluster.server);
  }

  /** Sends one request and parses the JSON answer; throws KubeApiError on a non-2xx status. */
  async call<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const opts: RequestOptions = {
      method,
      hostname: this.#server.hostname.replace(/^\[|\]$/g, ''),
      port: this.#server.port || 443,
      path,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': contentType }) },
      timeout: 10_000,
    };
    await this.#kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(opts, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', (err) => reject(new Error(`${method} ${this.#server.host}${path}: ${err.message}`, { cause: err })));
      req.end(payload);
    });
    if (status < 200 || status > 299) throw new KubeApiError(status, method, path, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The resource serving `kind` in `apiVersion`, or undefined when the API does not serve it. */
  async resource(apiVersion: string, kind: string): Promise<ApiResource | undefined> {
    const key = `${apiVersion}/${kind}`;
    if (!this.#resources.has(key)) {
      const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      try {
        const list = await this.call<{ resources: { name: string; kind: string; namespaced: boolean }[] }>('GET', base);
        for (const r of list.resources) {
          if (r.name.includes('/')) continue; // subresources
          this.#resources.set(`${apiVersion}/${r.kind}`, { apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced });
        }
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 404)) throw err;
      }
      if (!this.#resources.has(key)) this.#resources.set(key, null);
    }
    return this.#resources.get(key) ?? undefined;
  }

  async #path(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string> {
    const r = await this.resource(apiVersion, kind);
    if (!r) throw new Error(`the API does not serve ${kind} ${apiVersion}`);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = r.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
    return `${base}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  /** Lists a kind across all namespaces (or in one). */
  async list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]> {
    const r = await this.resource(apiVersion, kind);
    if (!r) throw new Error(`the API does not serve ${kind} ${apiVersion}`);
    const path = namespace ? await this.#path(apiVersion, kind, namespace) : `${apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`}/${r.plural}`;
    const list = await this.call<KubeList>('GET', path);
    return list.items.map((o) => ({ ...o, apiVersion, kind }));
  }

  /** The object, or undefined when it does not exist. */
  async get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.call<KubeObject>('GET', await this.#path(apiVersion, kind, namespace, name));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Creates the object, or merge-patches it when it exists (what `kubectl apply` amounts to here). */
  async apply(o: KubeObject): Promise<KubeObject> {
    const { apiVersion, kind, metadata } = o;
    const existing = await this.get(apiVersion, kind, metadata.namespace, metadata.name);
    if (!existing) return this.call<KubeObject>('POST', await this.#path(apiVersion, kind, metadata.namespace), o);
    const { status: _status, ...spec } = o;
    return this.call<KubeObject>('PATCH', await this.#path(apiVersion, kind, metadata.namespace, metadata.name), spec, 'application/merge-patch+json');
  }

  /** Merge-patches the status subresource. */
  async patchStatus(apiVersion: string, kind: string, namespace: string | undefined, name: string, status: unknown): Promise<KubeObject> {
    return this.call<KubeObject>('PATCH', `${await this.#path(apiVersion, kind, namespace, name)}/status`, { status }, 'application/merge-patch+json');
  }

  /** Deletes the object; true when it existed. */
  async delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<boolean> {
    try {
      await this.call('DELETE', await this.#path(apiVersion, kind, namespace, name));
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return false;
      throw err;
    }
  }
}
