// The lab's machines as network namespaces (built with test/support/netns.ts):
//
//     <p>client 192.0.2.1      <p>api 192.0.2.2       <p>node1 .11  <p>node2 .12  ...  [<p>router]
//        eth0                     eth0                   eth0         eth0
//          \________________________|_____________________|____________|_______________/
//                                 br0 in <p>sw (the switch)
//
// Each node runs an HTTP backend (lab/backend.ts, the Service's pods) and a kube-proxy stand-in
// (lab/kube-proxy.ts: nftables DNAT from Service IP:port to the backend). Service IPs are on no
// interface, so only a speaker can make them answer. The client routes the scenario's `onLink`
// prefixes (where Service IPs live) on-link, so it ARPs for them as a host on the segment would.
// The `api` namespace is where the embedded Kubernetes API is reachable from the nodes.
import { join } from 'node:path';
import { NetnsLab, type NsProcess } from '../test/support/netns.ts';
import { repoRoot } from '../test/support/tools.ts';
import type { Scenario, ScenarioNode } from './scenario.ts';
import { proxyRuleset, type ProxiedService } from './kube-proxy.ts';
import { startFrr, type FrrRouter } from './frr.ts';
import { formatPrefix } from '../lib/net/index.ts';

/** Port the backends listen on inside every node (the Service's targetPort in the scenarios). */
export const BACKEND_PORT = 80;

/** The result of one HTTP request from the client. */
export interface HttpResult {
  /** HTTP status, or 0 when no response came (timeout, refused). */
  status: number;
  /** Node name the backend reported (empty without a response). */
  node: string;
}

/** `node --import tsx <lab script>` for scripts started inside namespaces. */
export function labScript(script: string): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: ['--import', import.meta.resolve('tsx'), join(repoRoot, 'lab', script)] };
}

/** A running lab topology; `down()` removes every namespace and process it made. */
export class Topology {
  readonly netns: NetnsLab;
  readonly scenario: Scenario;
  #backends = new Map<string, NsProcess>();
  /** FRR, when the scenario has a router. */
  router: FrrRouter | undefined;
  #stopped = new Set<string>();

  private constructor(scenario: Scenario, prefix: string) {
    this.scenario = scenario;
    this.netns = new NetnsLab(prefix);
  }

  /** Builds the namespaces, links, addresses and backends of `scenario`. */
  static async up(scenario: Scenario, prefix = 'mlbl-'): Promise<Topology> {
    const t = new Topology(scenario, prefix);
    try {
      await t.#build();
      return t;
    } catch (err) {
      await t.down();
      throw err;
    }
  }

  async #build(): Promise<void> {
    const { network, nodes, router } = this.scenario;
    const len = network.prefixLength;
    const lab = this.netns;
    lab.addSwitch('sw');
    lab.addHost('client', 'sw', { mac: network.clientMac, addrs: [`${network.client}/${len}`] });
    for (const p of network.onLink) lab.ip('client', ['route', 'add', p, 'dev', 'eth0']);
    for (const r of network.routes) lab.ip('client', ['route', 'add', r.prefix, 'via', r.via]);
    lab.addHost('api', 'sw', { mac: network.apiMac, addrs: [`${network.api}/${len}`] });
    for (const n of nodes) {
      lab.addHost(n.name, 'sw', { mac: n.mac, addrs: [`${n.address}/${len}`] });
      this.syncProxy(n.name, []);
    }
    await Promise.all(nodes.map((n) => this.#startBackend(n)));
    if (router) {
      lab.addHost(router.name, 'sw', { mac: router.mac, addrs: [`${router.address}/${len}`] });
      lab.exec(router.name, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      this.router = await startFrr(lab, router.name, router, formatPrefix(network.subnet));
    }
  }

  async #startBackend(n: ScenarioNode): Promise<void> {
    const { cmd, args } = labScript('backend.ts');
    const p = this.netns.spawn(n.name, cmd, [...args, '--node', n.name, '--port', String(BACKEND_PORT)], { name: `${n.name}-backend` });
    this.#backends.set(n.name, p);
    await p.waitFor('backend ready', 30_000);
  }

  /** The scenario node called `name`; throws for an unknown name. */
  node(name: string): ScenarioNode {
    const n = this.scenario.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`lab has no node ${name}`);
    return n;
  }

  /** Node whose MAC is `mac` (as seen in ARP replies), if any. */
  nodeByMac(mac: string): ScenarioNode | undefined {
    return this.scenario.nodes.find((n) => n.mac === mac.toLowerCase());
  }

  /** Replaces node `name`'s kube-proxy rules with `services` (what kube-proxy does on a change). */
  syncProxy(name: string, services: readonly ProxiedService[]): void {
    if (this.#stopped.has(name)) return;
    this.netns.nft(name, proxyRuleset(this.node(name).address, services));
  }

  /**
   * Powers node `name` off as far as the network can tell: every process the lab started in it is
   * killed (SIGKILL, no goodbye) and its link goes down.
   */
  async stopNode(name: string): Promise<void> {
    const ns = this.netns.ns(name);
    this.#stopped.add(name);
    this.netns.setLink(name, 'eth0', false);
    await Promise.all(this.netns.processes().filter((p) => p.ns === ns).map((p) => p.stop('SIGKILL', 0)));
  }

  /**
   * Powers node `name` back on: link up and its backend started again (the operator loop starts
   * its speaker again, as the kubelet would).
   */
  async startNode(name: string): Promise<void> {
    if (!this.#stopped.has(name)) return;
    this.netns.setLink(name, 'eth0', true);
    await this.#startBackend(this.node(name));
    this.#stopped.delete(name);
  }

  /** Whether node `name` is powered off (`stopNode`). */
  isStopped(name: string): boolean {
    return this.#stopped.has(name);
  }

  /** One HTTP GET from the client to `ip:port` with a fresh connection. */
  async httpGet(ip: string, port: number, timeoutSec = 2): Promise<HttpResult> {
    const r = await this.netns.execAsync('client', 'curl', ['-s', '-o', '-', '-w', '\n%{http_code}', '--max-time', String(timeoutSec), `http://${ip}:${port}/`]);
    const lines = r.stdout.trim().split('\n');
    const status = Number(lines.at(-1) ?? 0) || 0;
    return { status, node: status === 200 ? (lines[0] ?? '').trim() : '' };
  }

  /** MACs answering ARP for `ip` on the segment, one entry per reply (`arping` from the client). */
  async arpResponders(ip: string, count = 2): Promise<string[]> {
    this.netns.exec('client', 'ip', ['neigh', 'flush', 'to', ip, 'dev', 'eth0']);
    const r = await this.netns.execAsync('client', 'arping', ['-c', String(count), '-i', 'eth0', ip]);
    return [...r.stdout.matchAll(/bytes from ([0-9a-f:]{17})/g)].map((m) => m[1]!);
  }

  /** Kills every lab process and removes every namespace. */
  async down(): Promise<void> {
    await this.netns.cleanup();
  }
}
