#!/usr/bin/env node
// The project's test command: type check, lint, build, then every test file through Node's own
// test runner (node:test, TypeScript loaded by tsx).
//
//   node scripts/test.mjs all        everything (what `make test` and CI run)
//   node scripts/test.mjs unit       only tests that need no root and no network namespaces
//   node scripts/test.mjs net        only the network-namespace suites
//   node scripts/test.mjs FILE...    the given test files
//
// Test files are `*.test.ts`. Files named `*.net.test.ts` build network namespaces: they need root
// and run one at a time (two cores, shared kernel state); the others run in parallel.
// The last line is `tests: N passed, N failed` over all runs.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', '.git', '.cache', 'bench']);

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out.sort();
}

function step(name, cmd, args) {
  process.stdout.write(`\n== ${name}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`\n${name} failed (exit ${r.status})\ntests: 0 passed, 1 failed\n`);
    process.exit(1);
  }
}

function runNodeTest(files, concurrency) {
  return new Promise((resolve) => {
    if (files.length === 0) return resolve({ pass: 0, fail: 0, skipped: 0 });
    // A hung test must not stall CI: every test gets at most 10 minutes.
    const args = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files];
    process.stdout.write(`\n== node ${args.slice(0, 6).join(' ')} (${files.length} files)\n`);
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      tail = (tail + d.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      const num = (k) => Number((tail.match(new RegExp(`ℹ ${k} (\\d+)`)) ?? [])[1] ?? 0);
      const res = { pass: num('pass'), fail: num('fail') + num('cancelled'), skipped: num('skipped') };
      if (code !== 0 && res.fail === 0) res.fail = 1; // the runner itself failed
      resolve(res);
    });
  });
}

const mode = process.argv[2] ?? 'all';
const all = findTests(root);
const isNet = (f) => f.endsWith('.net.test.ts');
let unit = all.filter((f) => !isNet(f));
let net = all.filter(isNet);

if (mode === 'all') {
  step('type check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  step('lint', 'npx', ['eslint', '.']);
  step('build', process.execPath, ['scripts/build.mjs']);
} else if (mode === 'unit') {
  net = [];
} else if (mode === 'net') {
  unit = [];
} else {
  const given = process.argv.slice(2);
  unit = given.filter((f) => !isNet(f));
  net = given.filter(isNet);
}

const totals = { pass: 0, fail: 0, skipped: 0 };
for (const [files, conc] of [[unit, 2], [net, 1]]) {
  const r = await runNodeTest(files, conc);
  totals.pass += r.pass; totals.fail += r.fail; totals.skipped += r.skipped;
}
process.stdout.write(`\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped\n`);
process.exit(totals.fail === 0 ? 0 : 1);
