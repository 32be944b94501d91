// Build step: the speaker as CommonJS bundles in dist/speaker/ (package.json `bin` metallb-speaker):
//   main.cjs            the entry: static mode, L2, BGP, metrics
//   kube-adapter.cjs    the Kubernetes adapter (@kubernetes/client-node, ~4 MB of the 6 MB), required
//                       by main.cjs only in Kubernetes mode: the static mode and `--version` do not
//                       parse and evaluate it (start-up measured in bench/RESULTS.md)
//   capture-worker.cjs  the pcap capture worker (one process per interface)
// Native addons stay external: `cap` (libpcap) is required from node_modules at run time, and the
// speaker's own N-API shim (*.node) is loaded from its build directory.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['cap', '*.node'],
  // CommonJS has no import.meta; modules that resolve files next to themselves get the bundle's URL.
  define: { 'import.meta.url': '__bundleUrl' },
  logLevel: 'warning',
  legalComments: 'none',
};
const bundleUrl = 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;';

/** main.ts's `import('./kube/adapter.ts')` becomes `require('./kube-adapter.cjs')`, next to main.cjs. */
const kubeAdapterApart = {
  name: 'kube-adapter-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/kube\/adapter\.ts$/ }, (args) =>
      args.importer.endsWith(join('src', 'main.ts')) ? { path: './kube-adapter.cjs', external: true } : undefined,
    );
  },
};

export default async function buildSpeaker({ root }) {
  const src = join(root, 'images', 'speaker', 'src');
  const out = join(root, 'dist', 'speaker');
  const outfile = join(out, 'main.cjs');
  await build({
    ...common,
    entryPoints: [join(src, 'main.ts')],
    outfile,
    plugins: [kubeAdapterApart],
    banner: { js: `#!/usr/bin/env node\n${bundleUrl}` },
  });
  chmodSync(outfile, 0o755);
  await build({ ...common, entryPoints: [join(src, 'kube', 'adapter.ts')], outfile: join(out, 'kube-adapter.cjs'), banner: { js: bundleUrl } });
  // The capture worker (one per interface, l2/capture-worker.ts) as its own small bundle.
  await build({ ...common, entryPoints: [join(src, 'l2', 'capture-worker-main.ts')], outfile: join(out, 'capture-worker.cjs'), banner: { js: bundleUrl } });
}
