// Test helper run inside a network namespace: runs BFD sessions on the real UDP transport and the
// system clock, printing one JSON line per state change, so bfd.net.test.ts can drive FRR bfdd
// against it. SIGTERM closes the sessions (AdminDown) before exiting; SIGKILL leaves them silent.
//
//   bfd-peer.ts '[{"label":"v4","local":"192.0.2.11","peer":"192.0.2.1",...BfdSessionOptions}]'
import { BfdSession, UdpBfdTransport, systemClock, type BfdSessionOptions } from '../index.ts';

const print = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const specs = JSON.parse(process.argv[2] ?? '[]') as (BfdSessionOptions & { label: string })[];
const transport = new UdpBfdTransport();
const sessions = specs.map(({ label, ...o }) => {
  const s = new BfdSession(o, transport, systemClock);
  s.on('stateChange', (c) => print({ label, event: 'stateChange', ...c }));
  s.on('up', () => print({ label, event: 'up' }));
  s.on('down', (e) => print({ label, event: 'down', ...e }));
  // Drop counters, printed when they change (the TTL test waits for them).
  let last = '';
  setInterval(() => {
    const now = JSON.stringify(s.counters.dropped);
    if (now !== last) print({ label, event: 'dropped', ...s.counters.dropped });
    last = now;
  }, 100).unref();
  return s;
});
print({ event: 'ready' });
process.on('SIGTERM', () => {
  for (const s of sessions) s.close();
  transport.close();
  print({ event: 'closed' });
  process.exit(0);
});
