// The embedded Kubernetes API (lab/kube-api/) as the lab runs it. The API server runs inside the
// lab's own process on 127.0.0.1, over the same object store as the addon-operator imitation (so
// hooks read and write exactly what the API serves), and the user's kubectl uses its kubeconfig
// directly. Speakers in node namespaces reach it at the scenario's API address inside the switch
// network, as pods reach a real API server, through a forwarder in the `api` namespace and a Unix
// socket (a file, visible from every network namespace):
//
//   speaker (node ns) --TLS--> 192.0.2.2:6443 forward.ts (api ns; certificate for 192.0.2.2 from
//   the API's CA) --TLS over <work>/api.sock--> in-process pipe --> 127.0.0.1:<port> the API
//
// Nothing is added to the host's interfaces.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { NsProcess } from '../test/support/netns.ts';
import { KubeApiServer } from './kube-api/server.ts';
import type { ObjectStore } from './kube-api/store.ts';
import { makeServerTls } from './kube-api/tls.ts';
import { KubeClient } from './kube-client.ts';
import { parseEndpoint, startForwarder } from './forward.ts';
import { labScript, type Topology } from './topology.ts';

/** Port of the embedded API inside the switch network. */
export const API_PORT = 6443;

/** The running embedded API and how to reach it. */
export interface LabApi {
  server: KubeApiServer;
  /** Kubeconfig file for clients in the host namespace (kubectl, the operator loop). */
  hostKubeconfigPath: string;
  /** Kubeconfig text for clients inside node namespaces (the speakers). */
  nodeKubeconfig: string;
  client: KubeClient;
  forwarder: NsProcess;
  stop(): Promise<void>;
}

/** The kubeconfig (YAML or JSON text) with every cluster's server URL replaced. */
export function withServer(kubeconfig: string, server: string): string {
  const doc = yaml.load(kubeconfig) as { clusters?: { cluster?: { server?: string } }[] };
  for (const c of doc.clusters ?? []) if (c.cluster) c.cluster.server = server;
  return JSON.stringify(doc, null, 2);
}

/** Starts the embedded API over `store` and makes it reachable at the scenario's API address. */
export async function startLabApi(topo: Topology, store?: ObjectStore): Promise<LabApi> {
  const lab = topo.netns;
  const apiAddress = topo.scenario.network.api;
  const dir = join(lab.workDir, 'kube-api');
  mkdirSync(dir, { recursive: true });
  const server = await KubeApiServer.start({ dir, host: '127.0.0.1', port: 0, ...(store ? { store } : {}) });
  const port = Number(new URL(server.url).port);

  // A certificate for the in-switch address, issued by the API's own CA (which clients trust).
  const nodeTlsDir = join(lab.workDir, 'kube-api-switch');
  mkdirSync(nodeTlsDir, { recursive: true });
  for (const f of ['ca.crt', 'ca.key']) copyFileSync(join(dir, f), join(nodeTlsDir, f));
  makeServerTls(nodeTlsDir, [apiAddress]);

  const sock = join(lab.workDir, 'api.sock');
  const local = await startForwarder(parseEndpoint(`unix:${sock}`), parseEndpoint(`tcp:127.0.0.1:${port}`));
  const { cmd, args } = labScript('forward.ts');
  const forwarder = lab.spawn('api', cmd, [...args,
    '--listen', `tcp:${apiAddress}:${API_PORT}`, '--connect', `unix:${sock}`,
    '--tls-cert', join(nodeTlsDir, 'server.crt'), '--tls-key', join(nodeTlsDir, 'server.key'),
    '--tls-ca', join(dir, 'ca.crt'), '--tls-verify-host', '127.0.0.1',
  ], { name: 'api-forward' });
  try {
    await forwarder.waitFor('forward ready', 30_000);
  } catch (err) {
    await local.close();
    await server.close();
    throw err;
  }
  const hostKubeconfigPath = server.kubeconfigPath;
  return {
    server,
    hostKubeconfigPath,
    nodeKubeconfig: withServer(readFileSync(hostKubeconfigPath, 'utf8'), `https://${apiAddress}:${API_PORT}`),
    client: new KubeClient(hostKubeconfigPath),
    forwarder,
    async stop() {
      await forwarder.stop();
      await local.close();
      await server.close();
    },
  };
}
