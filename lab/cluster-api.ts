// The embedded Kubernetes API (lab/kube-api/) as the lab runs it: a process in the `api` namespace
// listening on the scenario's API address inside the switch network, so that speakers in node
// namespaces reach it as pods reach a real API server. The lab itself (operator loop, kubectl
// run by the user) lives in the host's namespace and reaches the same API through a Unix socket
// (a file, visible from every network namespace):
//
//   host: 127.0.0.1:<port> --(in-process forwarder)--> <work>/api.sock
//   api ns: forward.ts listens on <work>/api.sock --> <api address>:6443 (the API)
//
// Nothing is added to the host's interfaces. The API's certificate is valid for both addresses.
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { NsProcess } from '../test/support/netns.ts';
import { KubeClient } from './kube-client.ts';
import { parseEndpoint, startForwarder } from './forward.ts';
import { labScript, type Topology } from './topology.ts';

/** Port of the embedded API inside the switch network. */
export const API_PORT = 6443;

/** The running embedded API and how to reach it. */
export interface LabApi {
  /** Kubeconfig file for clients in the host namespace (kubectl, the operator loop). */
  hostKubeconfigPath: string;
  /** Kubeconfig text for clients inside node namespaces (the speakers). */
  nodeKubeconfig: string;
  client: KubeClient;
  process: NsProcess;
  stop(): Promise<void>;
}

/** The kubeconfig (YAML or JSON text) with every cluster's server URL replaced. */
export function withServer(kubeconfig: string, server: string): string {
  const doc = yaml.load(kubeconfig) as { clusters?: { cluster?: { server?: string } }[] };
  for (const c of doc.clusters ?? []) if (c.cluster) c.cluster.server = server;
  return JSON.stringify(doc, null, 2);
}

/** Starts the embedded API in the topology's `api` namespace and the bridge to the host. */
export async function startLabApi(topo: Topology): Promise<LabApi> {
  const lab = topo.netns;
  const apiAddress = topo.scenario.network.api;
  const dir = join(lab.workDir, 'kube-api');
  const nodeKubeconfigPath = join(dir, 'kubeconfig');
  const proc = lab.spawn('api', ...spawnArgs('api-server.ts', ['--host', apiAddress, '--port', String(API_PORT), '--dir', dir]), { name: 'kube-api' });
  await proc.waitFor('kube-api ready', 60_000);
  const nodeKubeconfig = readFileSync(nodeKubeconfigPath, 'utf8');

  const sock = join(lab.workDir, 'api.sock');
  const fwd = lab.spawn('api', ...spawnArgs('forward.ts', ['--listen', `unix:${sock}`, '--connect', `tcp:${apiAddress}:${API_PORT}`]), { name: 'api-forward' });
  await fwd.waitFor('forward ready', 30_000);
  const local = await startForwarder(parseEndpoint('tcp:127.0.0.1:0'), parseEndpoint(`unix:${sock}`));
  const port = (local.server.address() as AddressInfo).port;
  const hostKubeconfigPath = join(lab.workDir, 'kubeconfig');
  writeFileSync(hostKubeconfigPath, withServer(nodeKubeconfig, `https://127.0.0.1:${port}`), { mode: 0o600 });
  return {
    hostKubeconfigPath,
    nodeKubeconfig,
    client: new KubeClient(hostKubeconfigPath),
    process: proc,
    async stop() {
      await local.close();
      await fwd.stop();
      await proc.stop();
    },
  };
}

function spawnArgs(script: string, extra: string[]): [string, string[]] {
  const { cmd, args } = labScript(script);
  return [cmd, [...args, ...extra]];
}
