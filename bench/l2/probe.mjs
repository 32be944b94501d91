// Failover probe for bench/l2-failover.ts: one UDP datagram to VIP:9000 every INTERVAL ms; every
// echo ("<node> <seq>") is printed as "<monotonic ns> <node> <seq>" (process.hrtime is
// CLOCK_MONOTONIC, the same clock the benchmark reads in another process on the same machine).
import { createSocket } from 'node:dgram';

const [vip, intervalMs = '10'] = process.argv.slice(2);
const sock = createSocket(vip.includes(':') ? 'udp6' : 'udp4');
let seq = 0;
sock.on('message', (msg) => {
  const [node, s] = msg.toString().trim().split(' ');
  process.stdout.write(`${process.hrtime.bigint()} ${node} ${s}\n`);
});
setInterval(() => sock.send(String(++seq), 9000, vip), Number(intervalMs));
process.on('SIGTERM', () => process.exit(0));
process.stdout.write('probe ready\n');
