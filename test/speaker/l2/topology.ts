// The L2 test topology, shared by the speaker's network tests and the failover benchmark:
//
//   mlb2-<pid>-cl (client)   mlb2-<pid>-n1 .. nN (speaker nodes), switch mlb2-<pid>-sw
//   192.0.2.1          192.0.2.11 .. 192.0.2.1N        2001:db8::1 / 2001:db8::1N
//   02:00:00:00:00:01  02:00:00:00:00:11 ..
//         \___________ mlb2-sw: bridge br0 ___________/
//
// Every node runs a backend (HTTP :80, UDP echo :9000) and accepts traffic for the Service IPs
// through an nftables DNAT to its own address, as kube-proxy would; nothing configures the IPs on
// an interface, so only the speaker (never the kernel) answers ARP/NDP for them.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { NetnsLab, type NsProcess } from '../../support/netns.ts';
import { repoRoot } from '../../support/tools.ts';

/** A speaker node of the topology. */
export interface TestNode {
  name: string;
  ns: string;
  ipv4: string;
  ipv6: string;
  mac: string;
  speaker?: NsProcess;
}

export const CLIENT = { ipv4: '192.0.2.1', ipv6: '2001:db8::1', mac: '02:00:00:00:00:01' };
export const KEY = 'mlb2-test-key';

/** Static config fragments for `writeConfig`. */
export interface L2Scenario {
  classes: { name: string; nodes: string[]; interfaces?: string[] }[];
  services: { namespace: string; name: string; class: string; ips: string[]; externalTrafficPolicy?: 'Cluster' | 'Local'; endpointNodes?: string[] }[];
  interval?: string;
  multiplier?: number;
}

/** Builds the switch, the client and `count` nodes with backends and DNAT for `serviceIps`. */
export class L2Topology {
  readonly lab: NetnsLab;
  readonly nodes: TestNode[] = [];
  #serviceIps: string[];

  /** `prefix` names the namespaces; the pid in the default keeps concurrent runs (CI, benches) apart. */
  constructor(count: number, serviceIps: string[], prefix = `mlb2-${process.pid}-`) {
    this.lab = new NetnsLab(prefix);
    this.#serviceIps = serviceIps;
    const lab = this.lab;
    lab.addSwitch('sw');
    lab.addHost('cl', 'sw', { mac: CLIENT.mac, addrs: [`${CLIENT.ipv4}/24`, `${CLIENT.ipv6}/64`] });
    for (let i = 1; i <= count; i++) {
      const name = `node${i}`;
      const hex = (0x10 + i).toString(16);
      const n: TestNode = { name, ns: lab.ns(`n${i}`), ipv4: `192.0.2.${10 + i}`, ipv6: `2001:db8::${10 + i}`, mac: `02:00:00:00:00:${hex}` };
      lab.addHost(`n${i}`, 'sw', { mac: n.mac, addrs: [`${n.ipv4}/24`, `${n.ipv6}/64`], portName: `n${i}` });
      this.nodes.push(n);
      this.#acceptServiceIps(n);
    }
  }

  /** Starts the backends and waits until they listen. */
  async startBackends(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.lab.spawn(n.ns, process.execPath, [join(repoRoot, 'test/speaker/l2/backend.mjs'), n.name], { name: `backend-${n.name}` }).waitFor('backend ready')));
  }

  /** nft DNAT of the Service IPs to the node's own address (the kube-proxy stand-in). */
  #acceptServiceIps(n: TestNode): void {
    const v4 = this.#serviceIps.filter((ip) => !ip.includes(':'));
    const v6 = this.#serviceIps.filter((ip) => ip.includes(':'));
    const rules = [
      'table inet mlb2nat {',
      '  chain pre { type nat hook prerouting priority dstnat;',
      v4.length ? `    ip daddr { ${v4.join(', ')} } dnat ip to ${n.ipv4}` : '',
      v6.length ? `    ip6 daddr { ${v6.join(', ')} } dnat ip6 to ${n.ipv6}` : '',
      '  }',
      '}',
    ];
    this.lab.nft(n.ns, rules.join('\n'));
  }

  /** Writes node `n`'s static config for a scenario and returns its path. */
  writeConfig(n: TestNode, s: L2Scenario): string {
    const cfg = {
      node: n.name,
      membership: {
        key: KEY, address: n.ipv4, interval: s.interval ?? '50ms', multiplier: s.multiplier ?? 6,
        peers: this.nodes.filter((p) => p !== n).map((p) => ({ node: p.name, address: p.ipv4 })),
      },
      l2: { classes: s.classes, services: s.services },
    };
    const path = join(this.lab.workDir, `${n.name}.yaml`);
    writeFileSync(path, dump(cfg));
    return path;
  }

  /** Starts (or restarts) node `n`'s speaker from the built bundle; resolves once it runs. */
  async startSpeaker(n: TestNode, s: L2Scenario): Promise<NsProcess> {
    if (n.speaker) await n.speaker.stop('SIGKILL');
    const cfg = this.writeConfig(n, s);
    // --optimize-for-size as in the image's ENTRYPOINT (images/speaker/Dockerfile), so memory is measured as deployed.
    n.speaker = this.lab.spawn(n.ns, process.execPath, ['--optimize-for-size', speakerBundle(), '--config', cfg], { name: `speaker-${n.name}-${Date.now()}` });
    await n.speaker.waitFor('speaker started', 60_000);
    return n.speaker;
  }

  /** MACs that answered ARP for `ip` (the client sends `count` broadcast requests). */
  arpMacs(ip: string, count = 2): string[] {
    // -W: 150 ms between requests; -w: give up after 1 s. Every reply is printed (duplicates too).
    const r = this.lab.exec('cl', 'arping', ['-c', String(count), '-W', '0.15', '-w', '1', '-i', 'eth0', ip]);
    return unique([...r.stdout.matchAll(/bytes from ([0-9a-f:]{17}) \(/g)].map((m) => m[1] as string));
  }

  /** MACs that answered a Neighbor Solicitation for `ip` (ndisc6, all responses). */
  ndpMacs(ip: string): string[] {
    const r = this.lab.exec('cl', 'ndisc6', ['-m', '-n', '-r', '2', '-w', '400', ip, 'eth0']);
    return unique([...r.stdout.matchAll(/Target link-layer address: ([0-9A-Fa-f:]{17})/g)].map((m) => (m[1] as string).toLowerCase()));
  }

  /** MACs answering for `ip`, by family. */
  macsFor(ip: string): string[] {
    return ip.includes(':') ? this.ndpMacs(ip) : this.arpMacs(ip);
  }

  /** The node whose MAC is `mac`. */
  nodeByMac(mac: string | undefined): TestNode | undefined {
    return this.nodes.find((n) => n.mac === mac);
  }

  /** Polls until `check` returns true (each poll is a real arping/ndisc6 exchange). */
  async until(what: string, check: () => boolean, timeoutMs = 8000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for: ${what}`);
  }

  /** HTTP GET from the client; returns the body ("nodeN") or the error text. */
  curl(ip: string): string {
    const host = ip.includes(':') ? `[${ip}]` : ip;
    const r = this.lab.exec('cl', 'curl', ['-s', '-m', '3', `http://${host}/`]);
    return r.stdout.trim() || `curl exit ${r.code}`;
  }

  /** Text of node `n`'s /metrics. */
  metrics(n: TestNode): string {
    return this.lab.exec(n.ns, 'curl', ['-s', '-m', '2', 'http://127.0.0.1:4231/metrics']).stdout;
  }

  async cleanup(): Promise<void> {
    await this.lab.cleanup();
  }
}

/** Path of the built speaker bundle, building it if needed (the test runs what ships). */
export function speakerBundle(): string {
  const out = join(repoRoot, 'dist/speaker/main.cjs');
  if (!speakerBuilt) {
    execFileSync(process.execPath, [join(repoRoot, 'scripts/build.mjs'), '20-speaker'], { stdio: 'ignore' });
    speakerBuilt = true;
  }
  return out;
}
let speakerBuilt = false;

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Reads a counter/gauge value from Prometheus text (sum over series matching `labels`). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z0-9_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
