// The whole lab for one scenario, as the demo and the e2e tests use it: topology, embedded API,
// module runtime (addon-operator imitation + helm) and operator loop, plus what a client observes
// (steady answers, failover).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, toolPath } from '../test/support/tools.ts';
import { startLabApi, type LabApi } from './cluster-api.ts';
import { analyseFailover, parseProbeOutput, type FailoverReport } from './failover.ts';
import { addonOperatorRuntime, type ModuleRuntime } from './module-runtime.ts';
import { ObjectStore } from './kube-api/store.ts';
import { OperatorLoop } from './operator-loop.ts';
import { loadScenario, type KubeObject } from './scenario.ts';
import { labScript, Topology } from './topology.ts';

/**
 * Builds the speaker image's file tree (scripts/image-tree.mjs: the bundle, its addons and node, as
 * the Dockerfile assembles them) and returns the image paths the speaker container uses, mapped to
 * that tree.
 */
export async function speakerImagePaths(outDir: string): Promise<Record<string, string>> {
  // Without a bundle (a fresh clone without `make build`), build it first.
  const build = existsSync(join(repoRoot, 'dist', 'speaker', 'main.cjs')) ? [] : ['--build'];
  await promisify(execFile)(process.execPath, [join(repoRoot, 'scripts', 'image-tree.mjs'), '--out', outDir, ...build])
    .catch((err: Error & { stderr?: string }) => { throw new Error(`speaker image tree: ${err.stderr ?? err.message}`, { cause: err }); });
  return { '/opt/metallb-speaker': join(outDir, 'opt', 'metallb-speaker'), '/usr/bin/node': join(outDir, 'usr', 'bin', 'node') };
}




/** Polls `check` every 100 ms until it returns a value; throws `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < until) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

/** The running lab: topology, API and operator loop. `close()` tears everything down. */
export interface Lab {
  topo: Topology;
  api: LabApi;
  module: ModuleRuntime;
  loop: OperatorLoop;
  /** Runs the real kubectl against the lab's API (async: the API bridge lives in this process). */
  kubectl(args: string[]): Promise<string>;
  close(): Promise<void>;
}

/** Starts topology, API and operator loop for a scenario. */
export async function startLab(scenarioPath: string, prefix: string, log: (l: string) => void): Promise<Lab> {
  const scenario = loadScenario(scenarioPath);
  const topo = await Topology.up(scenario, prefix);
  let api: LabApi | undefined;
  let loop: OperatorLoop | undefined;
  let module: ModuleRuntime | undefined;
  const close = async (): Promise<void> => {
    await loop?.stop().catch(() => {});
    module?.stop();
    await api?.stop().catch(() => {});
    await topo.down();
  };
  try {
    // One store: the API serves it and the addon-operator imitation watches and writes it.
    const store = new ObjectStore({ requireNamespaces: true });
    api = await startLabApi(topo, store);
    module = addonOperatorRuntime(store, scenario.moduleConfig.settings);
    log(`hooks: ${module.description}`);
    loop = new OperatorLoop({
      client: api.client, topology: topo, module, speakerKubeconfig: api.nodeKubeconfig,
      imagePaths: await speakerImagePaths(join(topo.netns.workDir, 'image-speaker')), log,
    });
    await loop.start();
  } catch (err) {
    await close();
    throw err;
  }
  const kubeconfig = api.hostKubeconfigPath;
  return {
    topo, api, loop, module: module!,
    kubectl: async (args) => {
      const r = await promisify(execFile)(toolPath('kubectl'), ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' })
        .catch((err: Error & { stderr?: string }) => { throw new Error(`kubectl ${args.join(' ')}: ${err.stderr ?? err.message}`, { cause: err }); });
      return r.stdout;
    },
    close,
  };
}

/** The IPs in a Service's status, in index order. */
export function ingressIPs(svc: KubeObject | undefined): string[] {
  const ingress = (svc?.status as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress ?? [];
  return ingress.flatMap((i) => (i.ip ? [i.ip] : []));
}

/** Who answers for a Service IP, as the client sees it. */
export interface Answer {
  ip: string;
  /** Node whose backend served the HTTP request. */
  node: string;
  /** MACs that answered ARP (one reply per request sent). */
  macs: string[];
}

/**
 * Waits until every IP answers HTTP 200 and exactly one MAC answers its ARP, that MAC's node
 * being the one that served the request, on distinct nodes: the placement after the speakers'
 * membership has settled (right after start they may briefly see fewer peers and hold more IPs).
 */
export async function steadyAnswers(lab: Lab, ips: string[], port: number, timeoutMs = 60_000): Promise<Answer[]> {
  return waitUntil('every Service IP answered by exactly one node, distinct nodes', timeoutMs, async () => {
    const answers: Answer[] = [];
    for (const ip of ips) {
      const r = await lab.topo.httpGet(ip, port, 1);
      const macs = await lab.topo.arpResponders(ip, 2);
      if (r.status !== 200 || new Set(macs).size !== 1 || lab.topo.nodeByMac(macs[0]!)?.name !== r.node) return undefined;
      answers.push({ ip, node: r.node, macs });
    }
    return new Set(answers.map((a) => a.node)).size === ips.length ? answers : undefined;
  });
}

/** How the client probes during a failover. */
export interface ProbeOptions {
  intervalMs: number;
  /** A request without an answer within this time counts as a failure. */
  timeoutMs: number;
}

/** Stops the node holding `ip` while the probe runs; returns what the client saw. */
export async function failover(lab: Lab, ips: string[], ip: string, port: number, probeOpts: ProbeOptions = { intervalMs: 10, timeoutMs: 150 }): Promise<FailoverReport & { oldNode: string; summary: string }> {
  const { topo } = lab;
  const first = await topo.httpGet(ip, port);
  if (first.status !== 200) throw new Error(`${ip}:${port} does not answer before the failover`);
  const { cmd, args } = labScript('probe.ts');
  const probe = topo.netns.spawn('client', cmd, [...args, '--interval', String(probeOpts.intervalMs), '--timeout', String(probeOpts.timeoutMs), ...ips.map((i) => `${i}:${port}`)], { name: 'probe' });
  try {
    await probe.waitFor('probe ready', 30_000);
    await waitUntil('the probe to see every IP', 10_000, async () => (ips.every((i) => probe.output().includes(`"target":"${i}:${port}","ok":true`)) ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await topo.stopNode(first.node);
    const lost = `${ip}:${port}`;
    await waitUntil(`${ip} to answer from another node`, 30_000, async () => (analyseFailover(parseProbeOutput(probe.output()), t0, lost, first.node).failoverMs !== undefined ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    await probe.stop('SIGTERM', 2000);
    const out = probe.output();
    return { ...analyseFailover(parseProbeOutput(out), t0, lost, first.node), oldNode: first.node, summary: out.split('\n').find((l) => l.startsWith('{"summary"')) ?? '' };
  } finally {
    await probe.stop('SIGKILL', 0);
  }
}

