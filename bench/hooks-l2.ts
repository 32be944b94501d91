// One `hook run` of the l2-services hook in the built executable for 10,000 Services × 3 IPs,
// 50 classes, 500 nodes. Goal: under 1 s wall and 256 MiB peak RSS. Two runs:
//   first  - no Service holds an IP yet: 30,000 allocations, 10,000 status writes (Events capped);
//   steady - every Service shows the status the first run wrote: nothing to write.
// Peer measured in the same run: `hook run` of membership-key (the runtime's floor).
// Wall time and peak RSS come from /usr/bin/time. Appends to bench/RESULTS.md.
//   node --import tsx bench/hooks-l2.ts [iterations]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHooksExecutable } from '../test/support/addon-operator/executable.ts';
import { recordResult } from './results.ts';
import { loadWriteCache, plan, projectClass, projectNode, projectService, type ServiceRecord } from '../lib/l2/index.ts';

const SERVICES = 10_000;
const CLASSES = 50;
const NODES = 500;
const IPS = 3;
const iterations = Number(process.argv[2] ?? 5);
const exe = ensureHooksExecutable();
const dir = mkdtempSync(join(tmpdir(), 'metallb-bench-l2-'));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function hookIndex(name: string): string {
  const out = spawnSync(exe, ['hook', 'list'], { env: {} }).stdout.toString();
  const m = new RegExp(`^(\\d+) - ${name}$`, 'm').exec(out);
  if (!m) throw new Error(`hook ${name} not in: ${out}`);
  return m[1]!;
}

function classes(status: Map<string, Json>): Json[] {
  return Array.from({ length: CLASSES }, (_, i) => {
    const name = `c${String(i).padStart(2, '0')}`;
    // 198.18.0.0/15 (benchmark range) cut into /22s: 1,024 addresses per class, 600 used.
    return {
      name, uid: `uid-${name}`, resourceVersion: '1', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z',
      deletionTimestamp: '', finalizers: status.has(name) ? ['network.deckhouse.io/metal-load-balancer-class-in-use'] : [],
      isDefault: i === 0, interfaces: [], addressPool: [`198.${18 + Math.floor(i / 64)}.${(i % 64) * 4}.0/22`],
      nodeSelector: { 'example.com/zone': `z${i}` }, status: status.get(name) ?? null,
    };
  });
}

function nodes(): Json[] {
  return Array.from({ length: NODES }, (_, i) => ({ name: `node-${i}`, labels: { 'example.com/zone': `z${i % CLASSES}`, 'kubernetes.io/hostname': `node-${i}` } }));
}

function services(status: Map<string, { ingress: string[]; conditions: Json[] }>): Json[] {
  return Array.from({ length: SERVICES }, (_, i) => {
    const name = `svc-${i}`;
    const st = status.get(`ns-${i % 100}/${name}`);
    return {
      namespace: `ns-${i % 100}`, name, uid: `uid-${i}`, resourceVersion: st ? '2' : '1', creationTimestamp: `2026-01-01T00:${String(Math.floor(i / 600) % 60).padStart(2, '0')}:00Z`,
      type: 'LoadBalancer', loadBalancerClass: `c${String(i % CLASSES).padStart(2, '0')}`,
      annotations: { 'network.deckhouse.io/l2-load-balancer-external-ips-count': String(IPS) },
      ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', loadBalancerIP: '', externalTrafficPolicy: 'Cluster',
      selector: { app: name }, ports: [{ port: 80, protocol: 'TCP' }],
      ingress: st?.ingress ?? [], conditions: st?.conditions ?? [],
    };
  });
}

function writeInputs(svcs: Json[], cls: Json[]): NodeJS.ProcessEnv {
  const f = (n: string): string => join(dir, n);
  const snapshots = {
    services: svcs.map((r) => ({ filterResult: r })),
    classes: cls.map((r) => ({ filterResult: r })),
    nodes: nodes().map((r) => ({ filterResult: r })),
  };
  writeFileSync(f('ctx'), JSON.stringify([{ binding: 'services', type: 'Group', groupName: 'main', snapshots }]));
  writeFileSync(f('values'), JSON.stringify({ global: {}, metallb: { internal: {}, addressPools: [] } }));
  writeFileSync(f('config'), JSON.stringify({ global: {}, metallb: {} }));
  return {
    BINDING_CONTEXT_PATH: f('ctx'), VALUES_PATH: f('values'), CONFIG_VALUES_PATH: f('config'), VALUES_JSON_PATCH_PATH: f('vp'),
    CONFIG_VALUES_JSON_PATCH_PATH: f('cvp'), KUBERNETES_PATCH_PATH: f('kp'), METRICS_PATH: f('m'),
    METALLB_HOOKS_STATE_DIR: join(dir, 'state'), METALLB_HOOKS_FAKE_NOW: '2026-01-02T00:00:00Z',
  };
}

/**
 * Runs the hook under /usr/bin/time: wall ms, CPU ms (user + system: what the run costs when the
 * machine is shared) and peak RSS MiB. Each run starts with an empty state dir.
 */
function runOnce(index: string, env: NodeJS.ProcessEnv): { ms: number; cpuMs: number; rssMiB: number } {
  for (const n of ['vp', 'cvp', 'kp', 'm']) writeFileSync(join(dir, n), '');
  rmSync(join(dir, 'state'), { recursive: true, force: true });
  mkdirSync(join(dir, 'state'));
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', exe, 'hook', 'run', index], { env, cwd: dir, maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`hook run ${index}: exit ${r.status}: ${r.stderr.toString().slice(-2000)}`);
  const lines = r.stderr.toString().trim().split('\n');
  const [user, sys, rss] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
  return { ms, cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000, rssMiB: (rss ?? 0) / 1024 };
}

function measure(index: string, env: NodeJS.ProcessEnv): { median: number; max: number; cpu: number; rss: number } {
  runOnce(index, env); // warm-up: page cache
  const runs = Array.from({ length: iterations }, () => runOnce(index, env));
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  const cpu = runs.map((r) => r.cpuMs).sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, max: ms[ms.length - 1]!, cpu: cpu[Math.floor(cpu.length / 2)]!, rss: Math.max(...runs.map((r) => r.rssMiB)) };
}

try {
  const l2 = hookIndex('l2-services');
  const firstEnv = writeInputs(services(new Map()), classes(new Map()));
  const first = measure(l2, firstEnv);
  // Feed the first run's writes back as the cluster state for the steady run.
  const ops = readFileSync(join(dir, 'kp'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { operation: string; kind?: string; namespace?: string; name?: string; subresource?: string; mergePatch?: { status?: Json } });
  const svcStatus = new Map<string, { ingress: string[]; conditions: Json[] }>();
  const clsStatus = new Map<string, Json>();
  for (const o of ops) {
    if (o.operation !== 'MergePatch' || o.subresource !== 'status') continue;
    const st = o.mergePatch?.status as { loadBalancer?: { ingress?: { ip: string }[] }; conditions?: Json[] } | undefined;
    if (o.kind === 'Service') svcStatus.set(`${o.namespace}/${o.name}`, { ingress: (st?.loadBalancer?.ingress ?? []).map((x) => x.ip), conditions: st?.conditions ?? [] });
    else clsStatus.set(o.name!, st as Json);
  }
  const assigned = [...svcStatus.values()].reduce((n, s) => n + s.ingress.length, 0);
  if (assigned !== SERVICES * IPS) throw new Error(`first run assigned ${assigned} IPs, expected ${SERVICES * IPS}`);
  const steadyEnv = writeInputs(services(svcStatus), classes(clsStatus));
  const steady = measure(l2, steadyEnv);
  const steadyOps = readFileSync(join(dir, 'kp'), 'utf8').trim().split('\n').filter(Boolean).length;
  // The pure core alone, in this process (CPU time): what the hook costs beyond the runtime's reading.
  const corePlan = (svcs: Json[], cls: Json[]): number => {
    const input = {
      services: svcs.map((r) => projectService(r)).filter((x): x is ServiceRecord => x !== null),
      classes: cls.map((r) => projectClass(r)),
      nodes: nodes().map((r) => projectNode(r)),
      settings: { loadBalancerClass: '' },
      cache: loadWriteCache(undefined),
      now: new Date('2026-01-02T00:00:00Z'),
      eventBudget: 20,
    };
    plan(input); // warm-up
    const times = Array.from({ length: iterations }, () => {
      const c0 = process.cpuUsage();
      plan(input);
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1000;
    }).sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  };
  const coreFirst = corePlan(services(new Map()), classes(new Map()));
  const coreSteady = corePlan(services(svcStatus), classes(clsStatus));
  writeFileSync(join(dir, 'peer-ctx'), JSON.stringify([{ binding: 'beforeHelm', snapshots: { secret: [] } }]));
  const peer = measure(hookIndex('membership-key'), { ...steadyEnv, BINDING_CONTEXT_PATH: join(dir, 'peer-ctx') });
  const fmt = (x: { median: number; max: number; cpu: number; rss: number }): string => `wall median ${x.median.toFixed(0)} ms (max ${x.max.toFixed(0)}), CPU median ${x.cpu.toFixed(0)} ms, peak RSS ${x.rss.toFixed(0)} MiB`;
  const lines = [
    `first run (30,000 allocations, ${svcStatus.size} status writes): ${fmt(first)}`,
    `steady run (nothing changed, ${steadyOps} operations):          ${fmt(steady)}`,
    `peer: membership-key hook run (runtime floor):                 ${fmt(peer)}`,
    `lib/l2 plan() alone, in process: first ${coreFirst.toFixed(0)} ms CPU, steady ${coreSteady.toFixed(0)} ms CPU`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  recordResult('hooks l2-services', `One \`hook run\` of the executable: ${SERVICES} Services × ${IPS} IPs, ${CLASSES} classes, ${NODES} nodes; ${iterations} runs each after a warm-up (goal: < 1 s, < 256 MiB). CPU time is user + system of the process: on a shared machine (see the load average) wall time is inflated by waiting for a core.`, lines);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
