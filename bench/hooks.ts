// Wall time of the hooks executable: `hook config` (addon-operator calls it at every module start)
// and one `hook run` (membership-key on a beforeHelm context with addon-operator's files). Goal:
// under 150 ms each. Peer measured in the same run: a bare `node -e 0` start, the floor any
// Node-based hook pays. Prints the numbers and appends them to bench/RESULTS.md.
//   node --import tsx bench/hooks.ts [iterations]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHooksExecutable } from '../test/support/addon-operator/executable.ts';
import { recordResult } from './results.ts';

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

interface Stats { median: number; p90: number; min: number }

/** Runs the commands interleaved (so load changes hit all alike); wall time per command. */
function measure(cmds: { cmd: string; args: string[]; env: () => NodeJS.ProcessEnv }[]): Stats[] {
  const times: number[][] = cmds.map(() => []);
  for (let i = 0; i < iterations + 2; i++) {
    cmds.forEach(({ cmd, args, env }, j) => {
      const e = env();
      const t0 = performance.now();
      const r = spawnSync(cmd, args, { env: e, cwd: dir });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.toString()}`);
      if (i >= 2) times[j]!.push(ms); // two warm-up rounds fill the page cache
    });
  }
  return times.map((t) => {
    t.sort((a, b) => a - b);
    const at = (q: number): number => t[Math.min(t.length - 1, Math.floor(q * t.length))]!;
    return { median: at(0.5), p90: at(0.9), min: t[0]! };
  });
}

try {
  const [config, run, peer] = measure([
    { cmd: exe, args: ['hook', 'config'], env: () => ({}) },
    { cmd: exe, args: ['hook', 'run', '0'], env: files },
    { cmd: process.execPath, args: ['-e', '0'], env: () => ({}) },
  ]) as [Stats, Stats, Stats];
  const fmt = (x: Stats): string => `median ${x.median.toFixed(0)} ms, p90 ${x.p90.toFixed(0)} ms, min ${x.min.toFixed(0)} ms`;
  const lines = [
    `hook config:            ${fmt(config)}`,
    `hook run 0 (beforeHelm): ${fmt(run)}`,
    `peer: node -e 0:        ${fmt(peer)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  recordResult('hooks executable', `${iterations} rounds (the three commands interleaved) after 2 warm-up rounds; wall time of the process (goal: < 150 ms each).`, lines);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
