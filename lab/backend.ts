// Stand-in for a Service's pods on one lab node: an HTTP server answering 200 with the node's name,
// so a client can tell which node served it. Run inside the node's network namespace:
//
//   node --import tsx lab/backend.ts --node node1 [--port 80]
//
// Prints `backend ready` once listening. Every connection is closed after its response so that the
// next request is routed afresh (a failover shows up on the very next request).
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { node: { type: 'string' }, port: { type: 'string', default: '80' } } });
const node = values.node ?? 'unknown';
const port = Number(values.port);

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close', 'x-lab-node': node });
  res.end(`${node}\n`);
});
server.keepAliveTimeout = 0;
server.listen(port, () => process.stdout.write(`backend ready node=${node} port=${port}\n`));
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => server.close(() => process.exit(0)));
