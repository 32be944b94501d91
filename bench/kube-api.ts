// The embedded Kubernetes API (lab/kube-api) at the lab's scale: 10,000 LoadBalancer Services.
// Measures a full list over HTTPS (client-node), an informer's initial sync, and the latency from
// a status patch to the informer's update event. Peer measured in the same run: a bare Node HTTPS
// server sending the same list bytes pre-serialised (the floor of TLS + JSON parse in the client).
//   node --import tsx bench/kube-api.ts [services]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { KubeApiServer } from '../lab/kube-api/server.ts';
import { recordResult } from './results.ts';

const count = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'mlbk-bench-'));
const api = await KubeApiServer.start({ dir, historyLimit: count * 2 });
const svcType = api.store.type('', 'services')!;
let t0 = performance.now();
for (let i = 0; i < count; i++) {
  api.store.create(svcType, { metadata: { name: `svc-${i}`, namespace: 'default', labels: { app: `a${i % 100}` } }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
}
const seedMs = performance.now() - t0;

const kc = new k8s.KubeConfig();
kc.loadFromFile(api.kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const listMs: number[] = [];
for (let i = 0; i < 5; i++) {
  t0 = performance.now();
  const l = await core.listNamespacedService({ namespace: 'default' });
  if (l.items.length !== count) throw new Error(`listed ${l.items.length}`);
  listMs.push(performance.now() - t0);
}

t0 = performance.now();
const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/services', () => core.listNamespacedService({ namespace: 'default' }));
await informer.start();
const syncMs = performance.now() - t0;

const eventMs: number[] = [];
for (let i = 0; i < 30; i++) {
  const name = `svc-${i}`;
  const seen = new Promise<void>((resolve) => {
    const onUpdate = (o: k8s.V1Service): void => {
      if (o.metadata?.name === name && o.status?.loadBalancer?.ingress?.length) {
        informer.off('update', onUpdate);
        resolve();
      }
    };
    informer.on('update', onUpdate);
  });
  t0 = performance.now();
  await core.patchNamespacedServiceStatus({ name, namespace: 'default', body: { status: { loadBalancer: { ingress: [{ ip: `198.18.${i >> 8}.${i & 255}` }] } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await seen;
  eventMs.push(performance.now() - t0);
}
await informer.stop();

// Peer: the same bytes from a bare HTTPS server.
const bytes = JSON.stringify(api.store.list(svcType, { namespace: 'default' }));
const caPem = api.caCertPem;
const peer = createServer({ cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')) }, (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(bytes);
});
await new Promise<void>((r) => peer.listen(0, '127.0.0.1', () => r()));
const peerPort = (peer.address() as { port: number }).port;
const peerMs: number[] = [];
for (let i = 0; i < 5; i++) {
  t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    get(`https://127.0.0.1:${peerPort}/`, { ca: caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve();
      });
    }).on('error', reject);
  });
  peerMs.push(performance.now() - t0);
}
peer.close();
await api.close();
rmSync(dir, { recursive: true, force: true });

const lines = [
  `seed ${count} Services into the store:  ${seedMs.toFixed(0)} ms`,
  `list ${count} Services (client-node):    median ${median(listMs).toFixed(0)} ms of 5`,
  `informer initial sync:                   ${syncMs.toFixed(0)} ms`,
  `status patch -> informer update:         median ${median(eventMs).toFixed(1)} ms, max ${Math.max(...eventMs).toFixed(1)} ms of 30`,
  `peer: same list bytes, bare HTTPS+fetch: median ${median(peerMs).toFixed(0)} ms of 5 (${(bytes.length / 1e6).toFixed(1)} MB)`,
];
process.stdout.write(`${lines.join('\n')}\n`);
recordResult('embedded kube-api', `${count} LoadBalancer Services in one namespace, served over HTTPS on loopback.`, lines);
