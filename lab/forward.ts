// A byte pipe between two endpoints (TCP host:port or a Unix socket path), used to reach the
// embedded API across network namespaces without touching the host's interfaces: a Unix socket is a
// file, visible from every network namespace.
//
//   node --import tsx lab/forward.ts --listen tcp:192.0.2.2:6443 --connect unix:/tmp/x/api.sock \
//        [--tls-cert C --tls-key K --tls-ca CA --tls-verify-host 127.0.0.1]
//
// prints `forward ready` once listening. With the --tls-* options the forwarder terminates TLS
// with its own certificate (valid for the address it listens on, issued by the API's CA) and opens
// a new TLS connection to the API, verifying it against CA for --tls-verify-host: clients then see
// a certificate for the address they dialled. Without them TLS passes through untouched.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

/** `tcp:HOST:PORT` or `unix:PATH`. */
export type Endpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** TLS re-termination: the listening side's certificate, and how to verify the upstream. */
export interface ForwardTls {
  certPem: string;
  keyPem: string;
  caPem: string;
  /** Name or address the upstream certificate must be valid for. */
  verifyHost: string;
}

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

function dial(connect: Endpoint, tls: ForwardTls | undefined): Socket {
  const raw = connect.kind === 'unix' ? createConnection({ path: connect.path }) : createConnection({ host: connect.host, port: connect.port });
  if (!tls) return raw;
  return tlsConnect({ socket: raw, ca: tls.caPem, checkServerIdentity: (_host, cert) => checkServerIdentity(tls.verifyHost, cert) });
}

/** Listens on `listen` and pipes every connection to a new connection to `connect`. */
export function startForwarder(listen: Endpoint, connect: Endpoint, tls?: ForwardTls): Promise<Forwarder> {
  const open = new Set<Socket>();
  const onConnection = (inbound: Socket): void => {
    const outbound = dial(connect, tls);
    open.add(inbound).add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const close = (): void => { inbound.destroy(); outbound.destroy(); open.delete(inbound); open.delete(outbound); };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
  };
  const server: Server = tls
    ? createTlsServer({ cert: tls.certPem, key: tls.keyPem }, onConnection)
    : createServer(onConnection);
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
  const { values } = parseArgs({
    options: {
      listen: { type: 'string' }, connect: { type: 'string' },
      'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-ca': { type: 'string' }, 'tls-verify-host': { type: 'string' },
    },
  });
  if (!values.listen || !values.connect) {
    process.stderr.write('usage: forward.ts --listen tcp:HOST:PORT|unix:PATH --connect tcp:HOST:PORT|unix:PATH [--tls-cert C --tls-key K --tls-ca CA --tls-verify-host H]\n');
    process.exit(2);
  }
  const tls = values['tls-cert'] && values['tls-key'] && values['tls-ca'] ? {
    certPem: readFileSync(values['tls-cert'], 'utf8'),
    keyPem: readFileSync(values['tls-key'], 'utf8'),
    caPem: readFileSync(values['tls-ca'], 'utf8'),
    verifyHost: values['tls-verify-host'] ?? '127.0.0.1',
  } : undefined;
  await startForwarder(parseEndpoint(values.listen), parseEndpoint(values.connect), tls);
  process.stdout.write(`forward ready ${values.listen} -> ${values.connect}${tls ? ' (TLS re-terminated)' : ''}\n`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
}
