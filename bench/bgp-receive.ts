// A router sending one million routes to our speaker: received routes are only counted, so the
// speaker's memory must stay flat. The "router" is a scripted BGP peer on loopback built from our
// own codec (no namespace needed): it answers the OPEN, then sends 1,048,576 IPv4 /32
// announcements (198.18.0.0/15, eight rounds) packed ~800 per UPDATE, with backpressure.
// Prints time and memory and appends them to bench/RESULTS.md.
//   node --expose-gc --import tsx bench/bgp-receive.ts [rounds=8]
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { parseIP, type Prefix } from '../lib/net/index.ts';
import { BgpEngine, plainDialer } from '../images/speaker/src/bgp/index.ts';
import { Framer, KEEPALIVE, encodeOpen, packAnnouncements, type CodecContext } from '../images/speaker/src/bgp/codec/index.ts';

const rounds = Number(process.argv[2] ?? 8);
const PER_ROUND = 131072; // 198.18.0.0/15
const total = rounds * PER_ROUND;
const CTX: CodecContext = { fourOctetAs: true, extendedMessage: false };
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

async function blast(sock: net.Socket): Promise<void> {
  const base = Number(parseIP('198.18.0.0').value);
  for (let r = 0; r < rounds; r++) {
    for (let start = 0; start < PER_ROUND; start += 8192) {
      const prefixes: Prefix[] = Array.from({ length: 8192 }, (_, i) => ({ address: { family: 4, value: BigInt(base + start + i) }, length: 32 }));
      const attrs = { origin: 0 as const, asPath: [{ segmentType: 2, asns: [64512, 65000 + r] }], communities: [r] };
      for (const m of packAnnouncements(4, prefixes, attrs, [parseIP('192.0.2.1')], CTX)) {
        if (!sock.write(m)) await new Promise((res) => sock.once('drain', res));
      }
    }
  }
}

const server = net.createServer((sock) => {
  const framer = new Framer();
  let opened = false;
  sock.on('error', () => undefined);
  sock.on('data', (chunk: Buffer) => {
    for (const f of framer.push(chunk)) {
      if (f instanceof Error) return;
      if (f.type === 1 && !opened) {
        opened = true;
        sock.write(encodeOpen({ type: 'open', version: 4, myAs: 64512, holdTimeSec: 90, bgpId: 0xc0000201, capabilities: [{ type: 'multiprotocol', afi: 1, safi: 1 }, { type: 'fourOctetAs', asn: 64512 }] }));
        sock.write(KEEPALIVE);
      } else if (f.type === 4 && opened) {
        opened = false; // only once
        void blast(sock);
      }
    }
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as net.AddressInfo).port;

gc();
const before = process.memoryUsage();
const engine = new BgpEngine({ nodeName: 'bench', dialer: plainDialer });
let established = 0;
engine.on('state', (_peer: string, state: string) => {
  if (state === 'Established') established = performance.now();
});
engine.set([{ spec: { address: parseIP('127.0.0.1'), port, asn: 64512, myAsn: 64601 }, advertisements: [] }]);
const session = engine.session('127.0.0.1:' + port);
const heap: number[] = [];
let lastSample = 0;
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const n = session?.status().receivedPrefixes ?? 0;
    if (n >= lastSample + 131072) {
      lastSample += 131072;
      gc();
      heap.push(process.memoryUsage().heapUsed);
    }
    if (n >= total) {
      clearInterval(tick);
      resolve();
    }
  }, 20);
});
const secs = (performance.now() - established) / 1000;
const stateAtEnd = session?.state;
gc();
const after = process.memoryUsage();
await engine.stop();
server.close();
const lines = [
  `${total} routes received in ${secs.toFixed(2)} s (${Math.round(total / secs)}/s), session ${stateAtEnd} at the end`,
  `heap: before ${mib(before.heapUsed)}, sampled during the run ${heap.map(mib).join(' ')}, after ${mib(after.heapUsed)}`,
  `RSS: before ${mib(before.rss)}, after ${mib(after.rss)} (this process also runs the sending peer and its encoder)`,
];
for (const l of lines) process.stdout.write(`${l}\n`);
appendFileSync(
  new URL('./RESULTS.md', import.meta.url),
  `\n## BGP receive ${total} routes: ${new Date().toISOString()} (${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load ${os.loadavg()[0]?.toFixed(1)})\n\n` +
    'A scripted peer on loopback (our codec) sends 198.18.0.0/15 as /32s eight times, ~800 per UPDATE; the engine decodes, validates and counts them (RFC 7606) and keeps nothing. Goal: memory flat.\n\n```\n' +
    `${lines.join('\n')}\n\`\`\`\n`,
);
