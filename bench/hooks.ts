// Wall time of the hooks executable: `hook config` (addon-operator calls it at every module start)
// and one `hook run` (membership-key on a beforeHelm context with addon-operator's files). Goal:
// under 150 ms each. Peer measured in the same run: a bare `node -e 0` start, the floor any
// Node-based hook pays. Prints the numbers and appends them to bench/RESULTS.md.
//   node --import tsx bench/hooks.ts [iterations]
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHooksExecutable } from '../test/support/addon-operator/executable.ts';
import { repoRoot } from '../test/support/tools.ts';

const iterations = Number(process.argv[2] ?? 30);
const exe = ensureHooksExecutable();
const dir = mkdtempSync(join(tmpdir(), 'metallb-bench-hooks-'));

function files(): NodeJS.ProcessEnv {
  const f = (n: string): string => join(dir, n);
  writeFileSync(f('ctx'), JSON.stringify([{ binding: 'beforeHelm', snapshots: { secret: [] } }]));
  writeFileSync(f('values'), JSON.stringify({ global: {}, metallb: { internal: {} } }));
  writeFileSync(f('config'), JSON.stringify({ global: {}, metallb: {} }));
  for (const n of ['vp', 'cvp', 'kp', 'm']) writeFileSync(f(n), '');
  return {
    BINDING_CONTEXT_PATH: f('ctx'), VALUES_PATH: f('values'), CONFIG_VALUES_PATH: f('config'), VALUES_JSON_PATCH_PATH: f('vp'),
    CONFIG_VALUES_JSON_PATCH_PATH: f('cvp'), KUBERNETES_PATCH_PATH: f('kp'), METRICS_PATH: f('m'), METALLB_HOOKS_STATE_DIR: dir,
  };
}

function measure(cmd: string, args: string[], env: () => NodeJS.ProcessEnv): { median: number; p90: number; min: number } {
  const times: number[] = [];
  for (let i = 0; i < iterations + 2; i++) {
    const e = env();
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { env: e, cwd: dir });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.toString()}`);
    if (i >= 2) times.push(ms); // two warm-up runs fill the page cache
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { median: at(0.5), p90: at(0.9), min: times[0]! };
}

try {
  const config = measure(exe, ['hook', 'config'], () => ({}));
  const run = measure(exe, ['hook', 'run', '0'], files);
  const peer = measure(process.execPath, ['-e', '0'], () => ({}));
  const fmt = (x: { median: number; p90: number; min: number }): string => `median ${x.median.toFixed(0)} ms, p90 ${x.p90.toFixed(0)} ms, min ${x.min.toFixed(0)} ms`;
  const lines = [
    `hook config:            ${fmt(config)}`,
    `hook run 0 (beforeHelm): ${fmt(run)}`,
    `peer: node -e 0:        ${fmt(peer)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const machine = `${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`;
  appendFileSync(join(repoRoot, 'bench', 'RESULTS.md'), [
    '',
    `## hooks executable: ${new Date().toISOString()} (${machine})`,
    '',
    `${iterations} runs each after 2 warm-up runs; wall time of the process (goal: < 150 ms each).`,
    '',
    '```',
    ...lines,
    '```',
    '',
  ].join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
