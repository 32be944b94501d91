// Runs the benchmarks one after another (they share two cores and the kernel's network state, so
// never in parallel). Each appends a dated entry to bench/RESULTS.md with the peer measured in the
// same run. Not part of the test command: they take long and their numbers are goals, not asserts.
//
//   make bench                                   all of them
//   node --import tsx bench/run.ts hooks bfd     the named ones (file names without .ts)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/support/tools.ts';

const benchDir = join(repoRoot, 'bench');
const all = readdirSync(benchDir).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.slice(0, -3)).sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  process.stdout.write(`\n== bench ${name}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`)], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`bench ${name} failed (exit ${r.status})\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
