// Renders the module's chart (templates/) with the real helm binary, as Deckhouse does after the
// hooks ran: `helm template` with the module's values under `metallb` and Deckhouse's globals.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { repoRoot, toolPath } from '../test/support/tools.ts';
import type { KubeObject } from './scenario.ts';

/** Deckhouse's global values for the lab: images by (made-up) digest, no optional modules. */
export function labGlobalValues(): Record<string, unknown> {
  return {
    enabledModules: [],
    modulesImages: {
      registry: { base: 'registry.lab.invalid/deckhouse/modules' },
      digests: { metallb: { speaker: `sha256:${'0'.repeat(64)}` }, common: { kubeRbacProxy: `sha256:${'0'.repeat(64)}` } },
    },
  };
}

/** Renders the chart with `{ global, metallb }` values; throws with helm's stderr on failure. */
export async function renderModule(metallbValues: Record<string, unknown>, global = labGlobalValues()): Promise<KubeObject[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mlbl-helm-'));
  try {
    const file = join(dir, 'values.yaml');
    writeFileSync(file, yaml.dump({ global, metallb: metallbValues }));
    const { stdout } = await promisify(execFile)(toolPath('helm'), ['template', 'metallb', repoRoot, '--namespace', 'd8-metallb', '-f', file], { maxBuffer: 64 << 20 })
      .catch((err: Error & { stderr?: string }) => { throw new Error(`helm template failed: ${err.stderr ?? err.message}`, { cause: err }); });
    return yaml.loadAll(stdout).filter((d): d is KubeObject => d !== null && typeof d === 'object');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `renderModule`, synchronously (the addon-operator imitation's helm step is synchronous). */
export function renderModuleSync(metallbValues: Record<string, unknown>, global = labGlobalValues()): KubeObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'mlbl-helm-'));
  try {
    const file = join(dir, 'values.yaml');
    writeFileSync(file, yaml.dump({ global, metallb: metallbValues }));
    let stdout: string;
    try {
      stdout = execFileSync(toolPath('helm'), ['template', 'metallb', repoRoot, '--namespace', 'd8-metallb', '-f', file], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      throw new Error(`helm template failed: ${String((err as { stderr?: string }).stderr ?? err)}`, { cause: err });
    }
    return yaml.loadAll(stdout).filter((d): d is KubeObject => d !== null && typeof d === 'object');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
