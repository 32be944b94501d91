// Stand-in for "kube-proxy DNAT to a pod" on a test node: HTTP on [::]:80 answers the node name,
// UDP on [::]:9000 echoes "<node> <payload>" (the failover probe). Usage: node backend.mjs NODE
import { createServer } from 'node:http';
import { createSocket } from 'node:dgram';

const node = process.argv[2] ?? 'node';
const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(`${node}\n`);
});
const udp = createSocket({ type: 'udp6', ipv6Only: false });
udp.on('message', (msg, from) => udp.send(Buffer.concat([Buffer.from(`${node} `), msg]), from.port, from.address));
let pending = 2;
const ready = () => { if (--pending === 0) process.stdout.write(`backend ready ${node}\n`); };
http.listen({ port: 80, host: '::', ipv6Only: false }, ready);
udp.bind(9000, '::', ready);
process.on('SIGTERM', () => process.exit(0));
