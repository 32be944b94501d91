#!/usr/bin/env node
// Assembles the module directory as Deckhouse's module registry image carries it (the image's
// root is the module: module.yaml, Chart.yaml, .helmignore, openapi/, crds/, templates/,
// monitoring/, docs/, hooks/ with the ONE hooks executable). Sources, tests, the speaker image's
// build files and node_modules stay out; the speaker image is built separately (images/speaker).
//
//   node scripts/package.mjs [--out DIR]     default DIR: build/module (replaced)
//
// Needs the hooks executable (`node scripts/build.mjs hooks` writes hooks/metallb-hooks).
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { filesUnder } from './files.mjs';

const root = new URL('..', import.meta.url).pathname;

/** Entries copied as they are; `required` ones must exist, the others are copied when present. */
export const entries = [
  { path: 'module.yaml', required: false },
  { path: 'Chart.yaml', required: true },
  { path: '.helmignore', required: true },
  { path: 'enabled', required: false },
  { path: 'openapi', required: false },
  { path: 'crds', required: false },
  { path: 'templates', required: true },
  { path: 'monitoring', required: false },
  { path: 'docs', required: false },
  { path: 'README.md', required: false },
];

/** The hooks executable: the only file of hooks/ in the package (addon-operator runs every executable there). */
export const hooksExecutable = join('hooks', 'metallb-hooks');

/** Developer documentation in docs/ (how the repository works), not for the module's users. */
export const developerDocs = ['DEVELOPMENT.md', 'LAB.md'];

// Test files and developer notes that live beside shipped files are not part of the module.
function shipped(src) {
  const name = src.split('/').pop() ?? '';
  if (src.startsWith(join(root, 'docs')) && developerDocs.includes(name)) return false;
  return !/\.(test\.)?ts$/.test(name) && name !== 'testdata';
}

/** Writes the package into `out` and returns the list of files written (relative to `out`). */
export function packageModule({ out = join(root, 'build', 'module') } = {}) {
  const missing = entries.filter((e) => e.required && !existsSync(join(root, e.path))).map((e) => e.path);
  const exe = join(root, hooksExecutable);
  if (!existsSync(exe)) missing.push(`${hooksExecutable} (run: node scripts/build.mjs hooks)`);
  if (missing.length) throw new Error(`package: missing ${missing.join(', ')}`);
  if ((statSync(exe).mode & 0o111) === 0) throw new Error(`package: ${hooksExecutable} is not executable`);

  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'hooks'), { recursive: true });
  for (const e of entries) {
    const src = join(root, e.path);
    if (existsSync(src)) cpSync(src, join(out, e.path), { recursive: true, filter: shipped });
  }
  cpSync(exe, join(out, hooksExecutable));
  chmodSync(join(out, hooksExecutable), 0o755);
  return filesUnder(out);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? process.argv[i + 1] : undefined;
  try {
    const files = packageModule(out ? { out } : {});
    process.stdout.write(`package: ${files.length} files in ${out ?? join(root, 'build', 'module')}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
