// Fuzzes the BGP decoder and FSM with at least a million mutated messages (test/speaker/bgp/fuzz.ts)
// and checks memory stays flat. Prints the numbers and appends them to bench/RESULTS.md.
//   node --import tsx bench/bgp-fuzz.ts [messages=1000000] [firstSeed=1]
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import { fuzz } from '../test/speaker/bgp/fuzz.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const firstSeed = Number(process.argv[3] ?? 1);
const perSeed = 100_000;
const t0 = performance.now();
let messages = 0;
let rejected = 0;
let tolerated = 0;
const failures: unknown[] = [];
const heap: number[] = [];
for (let seed = firstSeed; messages < total; seed++) {
  const s = fuzz(Math.min(perSeed, total - messages), seed);
  messages += s.messages;
  rejected += s.rejected;
  tolerated += s.tolerated;
  failures.push(...s.failures);
  global.gc?.();
  heap.push(process.memoryUsage().heapUsed);
  process.stdout.write(`seed ${seed}: ${messages} messages, ${failures.length} failures, heap ${(heap.at(-1)! / 2 ** 20).toFixed(1)} MiB\n`);
}
const secs = (performance.now() - t0) / 1000;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const lines = [
  `messages: ${messages} in ${secs.toFixed(1)} s (${Math.round(messages / secs)}/s); rejected with a NOTIFICATION: ${rejected}; tolerated (RFC 7606): ${tolerated}`,
  `failures (throw, non-RFC error, wrong NOTIFICATION, re-encode mismatch): ${failures.length}`,
  `heap after each 100k: first ${mib(heap[0] ?? 0)}, last ${mib(heap.at(-1) ?? 0)}, max ${mib(Math.max(...heap))}; RSS ${mib(process.memoryUsage().rss)}`,
];
for (const l of lines) process.stdout.write(`${l}\n`);
if (failures.length) process.stdout.write(`${JSON.stringify(failures.slice(0, 5), null, 2)}\n`);
appendFileSync(
  new URL('./RESULTS.md', import.meta.url),
  `\n## BGP fuzzing: ${new Date().toISOString()} (${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version})\n\n` +
    `Mutated messages (bit flips, truncation, bad lengths, insertions, random bodies) from our own encoder and the FRR/BIRD/GoBGP captures, in random chunks through framer, decoder and FSM. Seeds ${firstSeed}..${firstSeed + Math.ceil(total / perSeed) - 1}. Goal: no failure, flat memory.\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`,
);
process.exit(failures.length ? 1 : 0);
