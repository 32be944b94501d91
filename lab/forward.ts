// A byte pipe between two endpoints (TCP host:port or a Unix socket path), used to reach the
// embedded API across network namespaces without touching the host's interfaces: a Unix socket is a
// file, visible from every network namespace. TLS passes through untouched.
//
//   node --import tsx lab/forward.ts --listen tcp:192.0.2.2:6443 --connect unix:/tmp/x/api.sock
//
// prints `forward ready` once listening.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

/** `tcp:HOST:PORT` or `unix:PATH`. */
export type Endpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** Parses `tcp:HOST:PORT` (IPv6 host in brackets) or `unix:PATH`. */
export function parseEndpoint(s: string): Endpoint {
  if (s.startsWith('unix:')) return { kind: 'unix', path: s.slice(5) };
  const m = /^tcp:(\[[^\]]+\]|[^:]+):(\d+)$/.exec(s);
  if (!m) throw new Error(`endpoint ${JSON.stringify(s)}: expected tcp:HOST:PORT or unix:PATH`);
  return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** A running forwarder. */
export interface Forwarder {
  server: Server;
  /** Stops listening and cuts every open connection. */
  close(): Promise<void>;
}

/** Listens on `listen` and pipes every connection to a new connection to `connect`. */
export function startForwarder(listen: Endpoint, connect: Endpoint): Promise<Forwarder> {
  const open = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect.kind === 'unix' ? createConnection({ path: connect.path }) : createConnection({ host: connect.host, port: connect.port });
    open.add(inbound).add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const close = (): void => { inbound.destroy(); outbound.destroy(); open.delete(inbound); open.delete(outbound); };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
  });
  const handle: Forwarder = {
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of open) s.destroy();
    }),
  };
  if (listen.kind === 'unix') rmSync(listen.path, { force: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const ready = (): void => { server.off('error', reject); resolve(handle); };
    if (listen.kind === 'unix') server.listen(listen.path, ready);
    else server.listen(listen.port, listen.host, ready);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { listen: { type: 'string' }, connect: { type: 'string' } } });
  if (!values.listen || !values.connect) {
    process.stderr.write('usage: forward.ts --listen tcp:HOST:PORT|unix:PATH --connect tcp:HOST:PORT|unix:PATH\n');
    process.exit(2);
  }
  await startForwarder(parseEndpoint(values.listen), parseEndpoint(values.connect));
  process.stdout.write(`forward ready ${values.listen} -> ${values.connect}\n`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
}
