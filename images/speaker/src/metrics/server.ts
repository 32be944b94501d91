// HTTP endpoints: /metrics (Prometheus text), /healthz (the process runs), /readyz (the desired
// state has been applied once). Plain HTTP on 127.0.0.1; kube-rbac-proxy fronts it in the cluster.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** Starts the server; resolves with it once listening (rejects with the address on failure). */
export async function startMetricsServer(opts: { address: string; port: number; registry: Registry; ready: () => boolean }): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => { res.writeHead(200, { 'content-type': opts.registry.contentType }); res.end(text); },
        (err: Error) => { res.writeHead(500); res.end(err.message); },
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else if (path === '/readyz') {
      const ok = opts.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ready\n' : 'not ready\n');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`metrics: cannot listen on ${opts.address}:${opts.port}: ${err.message}`, { cause: err })));
    server.listen(opts.port, opts.address, () => resolve());
  });
  return server;
}
