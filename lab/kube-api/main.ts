// CLI of the embedded Kubernetes API, so that it can run inside a network namespace:
//   ip netns exec mlbk-api node --import tsx lab/kube-api/main.ts --dir /tmp/api --host 192.0.2.1 --port 6443
// Prints one JSON line `{"url":...,"kubeconfig":...}` once it listens; stops on SIGTERM/SIGINT.
// Faults: POST https://<host>:<port>/lab/faults {"stopAnswering":true} | {"watchDelayMs":500} | {"refuseConnections":true} |
// {"dropWatches":"end"|"reset"} (see server.ts).
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KubeApiServer } from './server.ts';

const usage = 'usage: main.ts --dir DIR [--host ADDR] [--port N] [--crd FILE]... [--bookmark-interval-ms N]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      crd: { type: 'string', multiple: true },
      'bookmark-interval-ms': { type: 'string' },
    },
    strict: true,
  });
  if (!values.dir) throw new Error(`--dir is required\n${usage}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${values.port}`);
  mkdirSync(values.dir, { recursive: true });
  const server = await KubeApiServer.start({
    dir: values.dir,
    host: values.host,
    port,
    ...(values.crd ? { crdFiles: values.crd } : {}),
    ...(values['bookmark-interval-ms'] ? { bookmarkIntervalMs: Number(values['bookmark-interval-ms']) } : {}),
  });
  process.stdout.write(`${JSON.stringify({ url: server.url, kubeconfig: server.kubeconfigPath })}\n`);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`kube-api: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
