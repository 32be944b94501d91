// Runs the embedded Kubernetes API (lab/kube-api/server.ts) as a process, for the lab's `api`
// namespace: `node --import tsx lab/api-server.ts --host 192.0.2.2 --port 6443 --dir DIR`.
// Writes DIR/kubeconfig and prints `kube-api ready <url>`; SIGTERM stops it.
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KubeApiServer } from './kube-api/server.ts';

const { values } = parseArgs({ options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '6443' }, dir: { type: 'string' } } });
if (!values.dir) {
  process.stderr.write('usage: api-server.ts --host ADDR --port N --dir DIR\n');
  process.exit(2);
}
mkdirSync(values.dir, { recursive: true });
const api = await KubeApiServer.start({ dir: values.dir, host: values.host, port: Number(values.port) });
process.stdout.write(`kube-api ready ${api.url}\n`);
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
