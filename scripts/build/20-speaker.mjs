// Build step: the speaker as one CommonJS bundle, dist/speaker/main.cjs (package.json `bin`
// metallb-speaker), and its capture worker, dist/speaker/capture-worker.cjs. Native addons stay external: `cap` (libpcap) is required from node_modules at
// run time, and the speaker's own N-API shim (*.node) is loaded from its build directory.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';

export default async function buildSpeaker({ root }) {
  const outfile = join(root, 'dist', 'speaker', 'main.cjs');
  await build({
    entryPoints: [join(root, 'images', 'speaker', 'src', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    external: ['cap', '*.node'],
    // CommonJS has no import.meta; modules that resolve files next to themselves get the bundle's URL.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: '#!/usr/bin/env node\nconst __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: 'warning',
    legalComments: 'none',
  });
  chmodSync(outfile, 0o755);
  // The capture worker (one per interface, l2/capture-worker.ts) as its own small bundle.
  await build({
    entryPoints: [join(root, 'images', 'speaker', 'src', 'l2', 'capture-worker-main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: join(root, 'dist', 'speaker', 'capture-worker.cjs'),
    external: ['cap', '*.node'],
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: 'warning',
    legalComments: 'none',
  });
}
