#!/usr/bin/env node
// Builds every artefact the module ships. Each part registers its step in scripts/build/*.mjs
// (a default-exported async function taking { root }); they run in file-name order.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'scripts', 'build');
const steps = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort() : [];
const only = process.argv.slice(2);
for (const f of steps) {
  if (only.length && !only.some((o) => f.includes(o))) continue;
  const t0 = Date.now();
  const mod = await import(pathToFileURL(join(dir, f)).href);
  await mod.default({ root });
  process.stdout.write(`build ${f}: ${Date.now() - t0} ms\n`);
}
