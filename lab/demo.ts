// `make demo`: the README example end to end on this machine, in network namespaces, then the BGP
// variant.
//
//   node --import tsx lab/demo.ts [--scenario lab/scenarios/l2-demo.yaml] [--keep] [--verbose]
//
// L2 (lab/scenarios/l2-demo.yaml): the real `kubectl get svc` with the three IPs, a request to each
// IP from the client, then the node holding one IP is powered off and that IP answers from another
// node after the measured failover time while the other IPs never stop.
// BGP (lab/scenarios/bgp-demo.yaml): FRR's ECMP route over the speakers, a request through the
// router, and the route losing exactly the powered-off node's next hop.
// --keep leaves the (last) lab running until Ctrl-C (try kubectl with the printed kubeconfig).
// Ctrl-C or an error at any point removes every namespace and process it made.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../test/support/tools.ts';
import { failover, ingressIPs, startLab, steadyAnswers, waitUntil, type Lab } from './lab.ts';

const PORT = 8000;
const say = (s: string): void => { process.stdout.write(`${s}\n`); };
const step = (s: string): void => say(`\n\x1b[1m== ${s}\x1b[0m`);

/** Name of the first Service the scenario applies. */
function serviceName(lab: Lab): string {
  const svc = lab.topo.scenario.objects.find((o) => o.kind === 'Service');
  if (!svc) throw new Error('the scenario has no Service');
  return svc.metadata.name;
}

async function waitForIPs(lab: Lab, name: string, count: number): Promise<string[]> {
  return waitUntil(`Service ${name} to get ${count} IP(s)`, 60_000, async () => {
    const got = ingressIPs(await lab.api.client.get('v1', 'Service', 'default', name));
    return got.length >= count ? got : undefined;
  });
}

async function l2Flow(lab: Lab): Promise<string[]> {
  const name = serviceName(lab);
  const ips = await waitForIPs(lab, name, 3);
  step('kubectl get svc');
  say((await lab.kubectl(['get', 'svc', name])).trimEnd());
  step('kubectl get metalloadbalancerclasses');
  say((await lab.kubectl(['get', 'metalloadbalancerclasses'])).trimEnd());
  step('Requests from the client');
  for (const a of await steadyAnswers(lab, ips, PORT)) {
    say(`  curl http://${a.ip}:${PORT}/  ->  200  (served by ${a.node}; ARP answered by ${[...new Set(a.macs)].map((m) => `${m} = ${lab.topo.nodeByMac(m)?.name ?? '?'}`).join(', ')})`);
  }
  const lostIp = ips[1]!;
  step(`Failover: powering off the node that holds ${lostIp}`);
  const f = await failover(lab, ips, lostIp, PORT);
  say(`  ${f.oldNode} is off (processes killed, link down)`);
  say(`  ${lostIp} answered again from ${f.newNode ?? '?'} after ${f.failoverMs} ms (client probing every 10 ms, 150 ms timeout)`);
  for (const [target, evs] of Object.entries(f.others)) {
    say(`  ${target}: ${evs.length === 0 ? 'never stopped answering, same node' : `interrupted: ${JSON.stringify(evs)}`}`);
  }
  step('kubectl get svc (the IPs stay; only their announcing node changed)');
  say((await lab.kubectl(['get', 'svc', name])).trimEnd());
  return ips;
}

async function bgpFlow(lab: Lab): Promise<string[]> {
  const router = lab.topo.router!;
  const name = serviceName(lab);
  const ips = await waitForIPs(lab, name, 1);
  const ip = ips[0]!;
  step('kubectl get svc');
  say((await lab.kubectl(['get', 'svc', name])).trimEnd());
  const speakers = lab.loop.speakers().size;
  await waitUntil(`FRR to install ${ip}/32 over ${speakers} next hops`, 60_000, async () => (router.fibNexthops(`${ip}/32`).length === speakers ? true : undefined));
  step(`FRR (router ${lab.topo.scenario.router!.address}): vtysh -c 'show ip route ${ip}/32'`);
  say(router.vtysh(`show ip route ${ip}/32`).trimEnd());
  step('Request from the client (through the router)');
  const r = await waitUntil(`${ip} to answer`, 30_000, async () => { const x = await lab.topo.httpGet(ip, PORT, 2); return x.status === 200 ? x : undefined; });
  say(`  curl http://${ip}:${PORT}/  ->  ${r.status}  (served by ${r.node})`);
  const victim = [...lab.loop.speakers().keys()].sort()[0]!;
  const victimAddress = lab.topo.node(victim).address;
  step(`Powering off ${victim} (${victimAddress}): FRR drops its next hop at the BGP hold time`);
  const t0 = Date.now();
  await lab.topo.stopNode(victim);
  const hops = await waitUntil(`${victimAddress} to leave the route`, 60_000, async () => {
    const h = router.fibNexthops(`${ip}/32`);
    return h.length > 0 && !h.includes(victimAddress) ? h : undefined;
  });
  say(`  after ${Date.now() - t0} ms the route has ${hops.length} next hops: ${hops.join(', ')}`);
  say(router.vtysh(`show ip route ${ip}/32`).trimEnd());
  const r2 = await waitUntil(`${ip} to answer`, 30_000, async () => { const x = await lab.topo.httpGet(ip, PORT, 2); return x.status === 200 ? x : undefined; });
  say(`  curl http://${ip}:${PORT}/  ->  ${r2.status}  (served by ${r2.node})`);
  return ips;
}

function whatWasReal(lab: Lab): void {
  step('What was real in this run');
  say(`  hooks      ${lab.module.description}`);
  say('  templates  real helm; DaemonSet, RBAC, PDB are not served by the embedded API and stay in the lab');
  say('  speakers   Kubernetes mode, as the DaemonSet runs them (argv, env, mounted ConfigMap/Secret), watching the embedded API');
  if (lab.topo.router) {
    say('  router     real FRR (zebra, bgpd) in its own namespace' +
      (lab.topo.scenario.router?.password !== undefined ? ', requiring TCP-MD5: the speakers took the password from the rendered Secret' : ''));
  }
}

/** The lab being shown, for the signal handler. */
let running: Lab | undefined;

/**
 * Ctrl-C / SIGTERM at any point: the namespace fixture kills every process it started and deletes
 * its namespaces (test/support/netns.ts, also on exit); this stops the loop, the API and the
 * imitated addon-operator of the running lab, then exits.
 */
function exitOnSignal(): void {
  const handler = (): void => {
    // The namespace fixture re-raises the signal after its own cleanup; it must not end the
    // process before the lab has closed.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', () => {});
    const lab = running;
    void (lab ? lab.close() : Promise.resolve()).finally(() => {
      say('\ninterrupted: namespaces and processes removed');
      process.exit(130);
    });
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

async function runScenario(path: string, opts: { keep: boolean; verbose: boolean }): Promise<boolean> {
  step(`Starting the lab for ${path.replace(`${repoRoot}/`, '')} (topology, API, operator loop)`);
  const lab = await startLab(path, 'mlbl-', (l) => { if (opts.verbose || /failed|exited|pod not started|no Kubernetes mode/.test(l)) say(`  [loop] ${l}`); });
  running = lab;
  try {
    const ips = lab.topo.router ? await bgpFlow(lab) : await l2Flow(lab);
    whatWasReal(lab);
    if (opts.keep) {
      step('The lab keeps running; Ctrl-C removes it');
      say(`  kubectl --kubeconfig ${lab.api.hostKubeconfigPath} get svc,metalloadbalancerclasses`);
      say(`  ip netns exec mlbl-client curl http://${ips[0]}:${PORT}/`);
      await new Promise(() => {});
    }
    return true;
  } catch (err) {
    say(`\ndemo failed: ${(err as Error).message}`);
    return false;
  } finally {
    running = undefined;
    step('Cleaning up');
    await lab.close();
    say('  namespaces and processes removed');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scenario: { type: 'string' }, keep: { type: 'boolean', default: false }, verbose: { type: 'boolean', default: false } } });
  if (process.getuid?.() !== 0) throw new Error('the demo builds network namespaces: run it as root');
  exitOnSignal();
  const scenarios = values.scenario ? [values.scenario] : ['l2-demo.yaml', 'bgp-demo.yaml'].map((f) => join(repoRoot, 'lab', 'scenarios', f));
  step('What runs here');
  say('  hooks      the real hooks executable hooks/metallb-hooks, run as addon-operator runs it');
  say('  templates  templates/ rendered by the real helm, objects applied to the API');
  say('  speakers   the speaker image tree, started from the rendered DaemonSet in each selected node namespace');
  say('  kubectl    the real kubectl;  BGP router: the real FRR');
  say('  API        an embedded, in-memory Kubernetes API (lab/kube-api: no kube-apiserver binary here)');
  say('  network    namespaces mlbl-*: a switch, a client, the nodes; kube-proxy stand-in = nftables DNAT');
  for (const [i, path] of scenarios.entries()) {
    const ok = await runScenario(path, { keep: values.keep && i === scenarios.length - 1, verbose: values.verbose });
    if (!ok) {
      process.exitCode = 1;
      return;
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    process.stderr.write(`demo failed: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  });
}
