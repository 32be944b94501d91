// The module package (scripts/package.mjs): the directory the registry image carries. The packaged
// hooks executable runs from the package (module-sdk batch protocol, a real hook run whose values
// feed the chart), the packaged chart renders with the real helm, and `helm package` of it holds
// only what Helm needs (the release Secret is limited to 1 MiB).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, toolPath } from '../support/tools.ts';
import { docL2Class, find, moduleValues, renderChart, type KubeObject } from '../templates/chart.ts';

interface PackageScript {
  packageModule(opts: { out: string }): string[];
}

let dir = '';
let pkg = '';
let files: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metallb-package-'));
  pkg = join(dir, 'module');
  if (!existsSync(join(repoRoot, 'hooks', 'metallb-hooks'))) {
    const build = (await import(pathToFileURL(join(repoRoot, 'scripts', 'build', '10-hooks.mjs')).href)) as {
      default: (o: { root: string }) => Promise<void>;
    };
    await build.default({ root: repoRoot });
  }
  const script = (await import(pathToFileURL(join(repoRoot, 'scripts', 'package.mjs')).href)) as PackageScript;
  files = script.packageModule({ out: pkg });
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the package holds the module and nothing of the sources', () => {
  for (const f of ['module.yaml', 'Chart.yaml', '.helmignore', 'hooks/metallb-hooks', 'templates/_helpers.tpl', 'openapi/config-values.yaml', 'openapi/values.yaml']) {
    assert.ok(files.includes(f), `${f} packaged`);
  }
  assert.ok(files.some((f) => f.startsWith('crds/')), 'CRDs packaged');
  assert.ok(files.some((f) => f.startsWith('monitoring/prometheus-rules/')), 'alert rules packaged');
  assert.deepEqual(files.filter((f) => f.startsWith('hooks/')), ['hooks/metallb-hooks'], 'hooks/ holds only the executable');
  assert.deepEqual(files.filter((f) => /\.(ts|mjs|cjs|js)$/.test(f) || f.includes('node_modules') || f.startsWith('images/')), []);
  assert.deepEqual(files.filter((f) => ['docs/DEVELOPMENT.md', 'docs/LAB.md'].includes(f)), [], 'developer docs stay in the repository');
  assert.ok((statSync(join(pkg, 'hooks', 'metallb-hooks')).mode & 0o111) !== 0, 'the hooks file is executable');
});

function runHooks(args: string[], env: Record<string, string> = {}): string {
  // An empty environment and cwd /: no node_modules, no Node.js from PATH, as in the hook chroot.
  return execFileSync(join(pkg, 'hooks', 'metallb-hooks'), args, { env, cwd: '/', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('the packaged hooks executable answers the batch protocol', () => {
  const list = runHooks(['hook', 'list']);
  assert.match(list, /^Found [1-9]\d* items:\n/);
  const config = JSON.parse(runHooks(['hook', 'config'])) as { version: string; hooks: unknown[] };
  assert.equal(config.version, 'v1');
  assert.equal(config.hooks.length, Number(/^Found (\d+)/.exec(list)?.[1]));
});

/** Applies addon-operator's values JSON patch (RFC 6902 add/replace/remove) to a values tree. */
function applyValuesPatch(values: Record<string, unknown>, ndjson: string): void {
  for (const line of ndjson.split('\n').filter(Boolean)) {
    const op = JSON.parse(line) as { op: string; path: string; value?: unknown };
    const keys = op.path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop() as string;
    let node = values;
    for (const k of keys) node = (node[k] ??= {}) as Record<string, unknown>;
    if (op.op === 'remove') delete node[last];
    else node[last] = op.value;
  }
}

test('a packaged hook run feeds the packaged chart: the membership key reaches the speaker Secret', () => {
  const index = /(\d+) - membership-key\n/.exec(runHooks(['hook', 'list']))?.[1];
  assert.ok(index, 'membership-key hook listed');
  const io = join(dir, 'hook-io');
  execFileSync('mkdir', ['-p', io]);
  const path = (n: string): string => join(io, n);
  writeFileSync(path('context.json'), JSON.stringify([{ binding: 'beforeHelm', snapshots: { secret: [] } }]));
  writeFileSync(path('values.json'), JSON.stringify({ global: {}, metallb: { internal: {} } }));
  writeFileSync(path('config.json'), JSON.stringify({ global: {}, metallb: {} }));
  runHooks(['hook', 'run', index], {
    BINDING_CONTEXT_PATH: path('context.json'),
    VALUES_PATH: path('values.json'),
    CONFIG_VALUES_PATH: path('config.json'),
    VALUES_JSON_PATCH_PATH: path('values.patch'),
    CONFIG_VALUES_JSON_PATCH_PATH: path('config.patch'),
    KUBERNETES_PATCH_PATH: path('kube.patch'),
    METRICS_PATH: path('metrics'),
    METALLB_HOOKS_STATE_DIR: io,
  });
  const values = moduleValues({ classes: [docL2Class] }) as unknown as Record<string, unknown>;
  delete ((values.metallb as Record<string, unknown>).internal as Record<string, unknown>).membership;
  applyValuesPatch(values, readFileSync(path('values.patch'), 'utf8'));
  const key = (((values.metallb as Record<string, unknown>).internal as Record<string, unknown>).membership as { key: string }).key;
  assert.match(key, /^[A-Za-z0-9+/]{43}=$/);

  const objects = renderChart(values, pkg);
  const secret = find(objects, 'Secret', 'speaker-secrets') as KubeObject & { data: Record<string, string> };
  assert.equal(Buffer.from(secret.data['membership-key'] as string, 'base64').toString('utf8'), key);
  find(objects, 'DaemonSet', 'metallb-speaker');
});

test('helm package of the packaged module holds only the chart and stays far below 1 MiB', () => {
  const out = join(dir, 'chart');
  execFileSync(toolPath('helm'), ['package', pkg, '--destination', out], { stdio: 'pipe' });
  const tgz = join(out, 'metallb-0.1.0.tgz');
  const listing = execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' }).split('\n').filter((l) => l && !l.endsWith('/'));
  const outside = listing.filter((l) => !/^metallb\/(Chart\.yaml|\.helmignore|templates\/|monitoring\/)/.test(l));
  assert.deepEqual(outside, [], 'files in the Helm chart besides Chart.yaml, templates/ and monitoring/');
  assert.ok(statSync(tgz).size < 256 * 1024, `chart archive ${statSync(tgz).size} bytes`);
});

test('the DaemonSet runs what the image holds: command = Dockerfile ENTRYPOINT = image-tree paths', async () => {
  const tree = (await import(pathToFileURL(join(repoRoot, 'scripts', 'image-tree.mjs')).href)) as { NODE_PATH: string; NODE_FLAGS: string[]; SPEAKER_DIR: string };
  const expected = [tree.NODE_PATH, ...tree.NODE_FLAGS, `${tree.SPEAKER_DIR}/main.cjs`];
  const ds = find(renderChart(moduleValues({ classes: [docL2Class] })), 'DaemonSet', 'metallb-speaker') as KubeObject & {
    spec: { template: { spec: { containers: { name: string; command?: string[] }[] } } };
  };
  assert.deepEqual(ds.spec.template.spec.containers.find((c) => c.name === 'speaker')?.command, expected);
  const dockerfile = readFileSync(join(repoRoot, 'images', 'speaker', 'Dockerfile'), 'utf8');
  const entrypoint = /^ENTRYPOINT (.*)$/m.exec(dockerfile)?.[1];
  assert.deepEqual(JSON.parse(entrypoint ?? 'null'), expected);
});

test('the chart version is the package version', () => {
  const chart = readFileSync(join(repoRoot, 'Chart.yaml'), 'utf8');
  const pkgJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.equal(/^version:\s*(\S+)$/m.exec(chart)?.[1], pkgJson.version);
});

const DOC_CLUSTER = `
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Node
metadata: {name: frontend-1, labels: {node-role.kubernetes.io/loadbalancer: "", kubernetes.io/hostname: frontend-1}}
---
apiVersion: v1
kind: Node
metadata: {name: frontend-2, labels: {node-role.kubernetes.io/loadbalancer: "", kubernetes.io/hostname: frontend-2}}
---
apiVersion: v1
kind: Node
metadata: {name: frontend-3, labels: {node-role.kubernetes.io/loadbalancer: "", kubernetes.io/hostname: frontend-3}}
---
apiVersion: v1
kind: Node
metadata: {name: worker-1, labels: {node-role.kubernetes.io/worker: "", kubernetes.io/hostname: worker-1}}
---
apiVersion: v1
kind: Node
metadata: {name: router-1, labels: {node-role.deckhouse.io/metallb: "", kubernetes.io/hostname: router-1}}
---
apiVersion: network.deckhouse.io/v1alpha1
kind: MetalLoadBalancerClass
metadata: {name: ingress}
spec:
  type: L2
  addressPool: [192.168.2.100-192.168.2.150]
  nodeSelector: {node-role.kubernetes.io/loadbalancer: ""}
---
apiVersion: v1
kind: Service
metadata:
  name: nginx-deployment
  namespace: default
  annotations: {network.deckhouse.io/l2-load-balancer-external-ips-count: "3"}
spec:
  type: LoadBalancer
  loadBalancerClass: ingress
  ports: [{port: 80, protocol: TCP, targetPort: 80}]
`;

/** The configuration example's BGP settings (addresses are data only). */
const BGP_SETTINGS = {
  bgpPeers: [{ 'peer-address': '172.18.18.10', 'peer-asn': 64601, 'my-asn': 64600, 'hold-time': '3s' }],
  addressPools: [{ name: 'mypool', protocol: 'bgp', addresses: ['192.168.219.100-192.168.219.200'] }],
  speaker: { nodeSelector: { 'node-role.deckhouse.io/metallb': '' } },
};

async function nodesOfSpeakerFromPackage(configValues: Record<string, unknown>): Promise<string[]> {
  const { AddonOperator, clusterFromYaml } = await import('../support/addon-operator/index.ts');
  const { nodeMatchesAffinity } = await import('../templates/policy.ts');
  const { globalValues } = await import('../templates/chart.ts');
  const store = clusterFromYaml(DOC_CLUSTER);
  // The imitated cluster serves no DaemonSets: keep what the last helm step rendered.
  let rendered: KubeObject[] = [];
  const op = await AddonOperator.start({
    store,
    executable: join(pkg, 'hooks', 'metallb-hooks'),
    moduleDir: pkg,
    configValues: configValues as never,
    helm: (values) => {
      rendered = renderChart({ global: globalValues(), metallb: values }, pkg);
      return rendered as never;
    },
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  try {
    const ds = find(rendered, 'DaemonSet', 'metallb-speaker') as unknown as {
      spec: { template: { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } } } };
    };
    const terms = ds.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    return store.list(store.resolve('Node', '')!).items
      .filter((n) => nodeMatchesAffinity((n.metadata as { labels?: Record<string, string> }).labels ?? {}, terms))
      .map((n) => (n.metadata as { name: string }).name)
      .sort();
  } finally {
    op.dispose();
  }
}

test('the documentation example through the packaged hooks and chart: the speaker runs exactly on the labelled nodes; BGP adds node-role.deckhouse.io/metallb', async () => {
  assert.deepEqual(await nodesOfSpeakerFromPackage({}), ['frontend-1', 'frontend-2', 'frontend-3']);
  assert.deepEqual(await nodesOfSpeakerFromPackage(BGP_SETTINGS), ['frontend-1', 'frontend-2', 'frontend-3', 'router-1']);
});

test('the Dockerfile copies every source the speaker bundle is built from', async () => {
  const { build } = await import('esbuild');
  const dockerfile = readFileSync(join(repoRoot, 'images', 'speaker', 'Dockerfile'), 'utf8');
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] as string).split(/\s+/));
  const inputs = new Set<string>();
  for (const entry of ['main.ts', join('l2', 'capture-worker-main.ts')]) {
    const r = await build({
      entryPoints: [join(repoRoot, 'images', 'speaker', 'src', entry)], bundle: true, platform: 'node', target: 'node20',
      format: 'cjs', external: ['cap', '*.node'], write: false, metafile: true, logLevel: 'silent',
      define: { 'import.meta.url': '__bundleUrl' },
    });
    for (const f of Object.keys(r.metafile.inputs)) inputs.add(f);
  }
  const missing = [...inputs].filter((f) => !f.startsWith('node_modules/') && !copied.some((c) => c.endsWith('/') ? f.startsWith(c) : f === c));
  assert.deepEqual(missing, [], `sources outside the Dockerfile's COPY lines (${copied.join(' ')})`);
});
