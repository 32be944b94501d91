// A client that keeps asking every Service IP, to see a failover as a user would. Run inside the
// client namespace:
//
//   node --import tsx lab/probe.ts --interval 10 --timeout 150 198.51.100.100:8000 198.51.100.101:8000
//
// One fresh TCP connection per request. Prints a JSON line when a target's answer changes
// (`{"t":<epoch ms>,"target":"ip:port","ok":true,"node":"node2"}`; ok false = no 200 within the
// timeout) and, on SIGTERM, a summary line `{"summary":{"ip:port":{"ok":n,"fail":n}}}`.
import { request } from 'node:http';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { interval: { type: 'string', default: '10' }, timeout: { type: 'string', default: '150' } },
});
const intervalMs = Number(values.interval);
const timeoutMs = Number(values.timeout);

/** One probe's outcome: the node that answered, or '' when none did. */
function probe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (node: string): void => { if (!done) { done = true; clearTimeout(timer); req.destroy(); resolve(node); } };
    const req = request({ host, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => finish(res.statusCode === 200 ? body.trim() : ''));
      res.on('error', () => finish(''));
    });
    const timer = setTimeout(() => finish(''), timeoutMs);
    req.on('error', () => finish(''));
    req.end();
  });
}

const counts: Record<string, { ok: number; fail: number }> = {};
let stopping = false;

async function run(target: string): Promise<void> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const c = (counts[target] = { ok: 0, fail: 0 });
  let last: string | undefined;
  while (!stopping) {
    const started = Date.now();
    const node = await probe(host, port);
    if (node) c.ok++; else c.fail++;
    if (node !== last) {
      process.stdout.write(`${JSON.stringify({ t: Date.now(), target, ok: node !== '', node })}\n`);
      last = node;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
  }
}

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    stopping = true;
    process.stdout.write(`${JSON.stringify({ summary: counts })}\n`);
    process.exit(0);
  });
}
process.stdout.write('probe ready\n');
await Promise.all(positionals.map(run));
