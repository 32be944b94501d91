// The built hooks executable for tests: rebuilt when a hook source is newer (the test command
// builds first anyway; this keeps `node scripts/test.mjs test/hooks/x.test.ts` honest).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../tools.ts';

/** Path of hooks/metallb-hooks. */
export const HOOKS_EXECUTABLE = join(repoRoot, 'hooks', 'metallb-hooks');

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (name.endsWith('.ts')) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

/** Builds hooks/metallb-hooks if it is missing or older than a source under hooks/ or lib/; returns its path. */
export function ensureHooksExecutable(): string {
  const stale = !existsSync(HOOKS_EXECUTABLE)
    || statSync(HOOKS_EXECUTABLE).mtimeMs < Math.max(newestSource(join(repoRoot, 'hooks')), newestSource(join(repoRoot, 'lib')));
  if (stale) execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), 'hooks'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  return HOOKS_EXECUTABLE;
}
