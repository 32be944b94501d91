// Client-observed L2 failover: our speaker and keepalived (VRRP, Debian package) side by side in
// the same run, same topology (test/speaker/l2/topology.ts: client + 3 nodes on a bridge), same
// probe (a UDP datagram every 10 ms to the IP, echoed by the node that receives it).
//
//   node --import tsx bench/l2-failover.ts        TRIALS=20 by default, per mode and setting
//
// Modes: SIGKILL of the announcing node's speaker (the node stays up), its switch port going down
// (node lost), SIGTERM (graceful). For each trial: `move` = first reply from another node − fault
// time; `gap` = longest silence seen by the client from the fault to that reply. Appends to
// bench/RESULTS.md.
import { appendFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { L2Topology, type L2Scenario, type TestNode } from '../test/speaker/l2/topology.ts';
import { repoRoot } from '../test/support/tools.ts';
import type { NsProcess } from '../test/support/netns.ts';

const TRIALS = Number(process.env.TRIALS ?? 20);
const VIP = '192.0.2.100';
const KA_VIP = '192.0.2.200';
const MODES = ['SIGKILL', 'link down', 'SIGTERM'] as const;
let failbackTimeouts = 0;
type Mode = (typeof MODES)[number];

interface Reply { t: bigint; node: string }
interface Trial { move: number; gap: number }

/** Reads a probe's replies as they arrive. */
class ProbeReader {
  #pos = 0;
  replies: Reply[] = [];
  constructor(readonly proc: NsProcess) {}
  poll(): Reply[] {
    const out = this.proc.output();
    const end = out.lastIndexOf('\n') + 1;
    for (const line of out.slice(this.#pos, end).split('\n')) {
      const m = /^(\d+) (\S+) /.exec(line);
      if (m) this.replies.push({ t: BigInt(m[1] as string), node: m[2] as string });
    }
    this.#pos = end;
    if (this.replies.length > 20000) this.replies = this.replies.slice(-5000);
    return this.replies;
  }
  /** The node that answered the last `n` replies, if it is one node and the last is recent. */
  steadyHolder(n = 15): string | undefined {
    const r = this.poll().slice(-n);
    if (r.length < n || Number(process.hrtime.bigint() - (r.at(-1) as Reply).t) > 50e6) return undefined;
    const node = r[0]?.node;
    return r.every((x) => x.node === node) ? node : undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

/** One trial: fault at T0, wait for a reply from another node, measure. */
async function trial(probe: ProbeReader, holder: string, fault: () => void): Promise<Trial> {
  await sleep(Math.random() * 100); // random phase against heartbeat/advert timers
  probe.poll();
  const t0 = process.hrtime.bigint();
  fault();
  await until('a reply from another node', () => probe.poll().some((r) => r.t > t0 && r.node !== holder), 30_000);
  const rs = probe.replies;
  const moveAt = (rs.find((r) => r.t > t0 && r.node !== holder) as Reply).t;
  // Silence counts from the last reply before the fault, but at most one probe interval before it.
  const lastBefore = [...rs].reverse().find((r) => r.t <= t0)?.t ?? t0;
  let prev = lastBefore > t0 - 10_000_000n ? lastBefore : t0 - 10_000_000n;
  let gap = 0;
  for (const r of rs) {
    if (r.t <= t0 || r.t > moveAt) continue;
    gap = Math.max(gap, Number(r.t - prev) / 1e6);
    prev = r.t;
  }
  return { move: Number(moveAt - t0) / 1e6, gap };
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
  const f = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
  return `p50 ${f(q(0.5))}, p99 ${f(q(0.99))}, max ${f(s.at(-1) as number)} (n=${s.length})`;
}

// ---------------------------------------------------------------- our speaker
async function runSpeaker(topo: L2Topology, label: string, interval: string, multiplier: number): Promise<Map<Mode, Trial[]>> {
  const scenario: L2Scenario = {
    classes: [{ name: 'bench', nodes: topo.nodes.map((n) => n.name) }],
    services: [{ namespace: 'bench', name: 'svc', class: 'bench', ips: [VIP] }],
    interval, multiplier,
  };
  await Promise.all(topo.nodes.map((n) => topo.startSpeaker(n, scenario)));
  // Right after a restart of every speaker the IP may sit briefly on a non-preferred node; a trial
  // started then would wait for a fail-back to a node that never was the owner.
  await sleep(2000);
  const probe = new ProbeReader(topo.lab.spawn('cl', process.execPath, [join(repoRoot, 'bench/l2/probe.mjs'), VIP, '10'], { name: `probe-${label}` }));
  const results = new Map<Mode, Trial[]>();
  for (const mode of MODES) {
    const trials: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) {
      await until('steady holder', () => probe.steadyHolder() !== undefined);
      const holder = topo.nodes.find((n) => n.name === probe.steadyHolder()) as TestNode;
      const port = topo.nodes.indexOf(holder) + 1;
      const t = await trial(probe, holder.name, () => {
        if (mode === 'SIGKILL') holder.speaker?.kill('SIGKILL');
        else if (mode === 'SIGTERM') holder.speaker?.kill('SIGTERM');
        else topo.lab.setLink('sw', `n${port}`, false);
      });
      trials.push(t);
      process.stdout.write(`speaker ${label} ${mode} #${i + 1}: move ${t.move.toFixed(1)} ms, gap ${t.gap.toFixed(1)} ms\n`);
      if (mode === 'link down') topo.lab.setLink('sw', `n${port}`, true);
      else await topo.startSpeaker(holder, scenario);
      try {
        await until('fail-back', () => probe.steadyHolder() === holder.name);
      } catch {
        // Reported, not hidden: the run goes on from a clean restart of every speaker.
        failbackTimeouts++;
        process.stderr.write(`speaker ${label} ${mode} #${i + 1}: no fail-back within 20 s (last replies: ${probe.poll().slice(-5).map((r) => r.node).join(' ')}); restarting all speakers\n`);
        await Promise.all(topo.nodes.map((n) => topo.startSpeaker(n, scenario)));
      }
      await sleep(300); // let the returning speaker finish starting before the next fault
    }
    results.set(mode, trials);
  }
  await probe.proc.stop();
  for (const n of topo.nodes) await n.speaker?.stop('SIGKILL');
  return results;
}

// ---------------------------------------------------------------- keepalived
function keepalivedConf(n: TestNode, prio: number, version: 2 | 3, advert: string): string {
  return `global_defs {\n  router_id mlb2-${n.name}\n  vrrp_version ${version}\n}\n` +
    `vrrp_instance VI_1 {\n  state ${prio === 150 ? 'MASTER' : 'BACKUP'}\n  interface eth0\n  virtual_router_id 51\n  priority ${prio}\n  advert_int ${advert}\n` +
    `  virtual_ipaddress {\n    ${KA_VIP}/24 dev eth0\n  }\n}\n`;
}

async function runKeepalived(topo: L2Topology, label: string, version: 2 | 3, advert: string): Promise<Map<Mode, Trial[]>> {
  const prios = [150, 100, 50];
  const procs = new Map<string, NsProcess>();
  const start = (n: TestNode): void => {
    const i = topo.nodes.indexOf(n);
    const dir = topo.lab.workDir;
    const conf = join(dir, `ka-${n.name}.conf`);
    writeFileSync(conf, keepalivedConf(n, prios[i] as number, version, advert));
    // -n no fork, -P VRRP only, -l console log, -G no syslog; pid files per node.
    procs.set(n.name, topo.lab.spawn(n.ns, 'keepalived', ['-n', '-P', '-l', '-G', '-f', conf, '-p', join(dir, `ka-${n.name}.pid`), '-r', join(dir, `ka-${n.name}-vrrp.pid`)], { name: `ka-${n.name}-${Date.now()}` }));
  };
  const vrrpPid = (n: TestNode): number | undefined => {
    try { return Number((topo.lab.exec(n.ns, 'cat', [join(topo.lab.workDir, `ka-${n.name}-vrrp.pid`)]).stdout.trim())) || undefined; } catch { return undefined; }
  };
  const killAll = (n: TestNode, sig: NodeJS.Signals): void => {
    const child = vrrpPid(n);
    // SIGKILL both processes: a VRRP child orphaned by SIGKILL of the parent gets SIGTERM (PDEATHSIG)
    // and would send a priority-0 advert, turning a crash into a clean handover.
    if (sig === 'SIGKILL' && child) try { process.kill(child, 'SIGKILL'); } catch { /* gone */ }
    procs.get(n.name)?.kill(sig);
  };
  // A VIP left on an interface by an earlier SIGKILL would answer by itself: start clean.
  for (const n of topo.nodes) topo.lab.exec(n.ns, 'ip', ['addr', 'del', `${KA_VIP}/24`, 'dev', 'eth0']);
  for (const n of topo.nodes) start(n);
  const probe = new ProbeReader(topo.lab.spawn('cl', process.execPath, [join(repoRoot, 'bench/l2/probe.mjs'), KA_VIP, '10'], { name: `probe-ka-${label}` }));
  const master = topo.nodes[0] as TestNode;
  const results = new Map<Mode, Trial[]>();
  for (const mode of MODES) {
    const trials: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) {
      await until('keepalived master steady', () => probe.steadyHolder() === master.name, 60_000);
      await sleep(300);
      const child = vrrpPid(master) ?? -1;
      const t = await trial(probe, master.name, () => {
        if (mode === 'SIGKILL') killAll(master, 'SIGKILL');
        else if (mode === 'SIGTERM') killAll(master, 'SIGTERM');
        else topo.lab.setLink('sw', 'n1', false);
      });
      trials.push(t);
      process.stdout.write(`keepalived ${label} ${mode} #${i + 1}: move ${t.move.toFixed(1)} ms, gap ${t.gap.toFixed(1)} ms\n`);
      if (mode === 'link down') topo.lab.setLink('sw', 'n1', true);
      else {
        await procs.get(master.name)?.exited;
        // keepalived refuses to start while the old VRRP child's pid file names a live process.
        await until('old VRRP child gone', () => { try { process.kill(child, 0); return false; } catch { return true; } }, 5000);
        topo.lab.exec(master.ns, 'ip', ['addr', 'del', `${KA_VIP}/24`, 'dev', 'eth0']);
        start(master);
      }
    }
    results.set(mode, trials);
  }
  await probe.proc.stop();
  for (const n of topo.nodes) {
    const child = vrrpPid(n) ?? -1;
    killAll(n, 'SIGKILL');
    await procs.get(n.name)?.exited;
    // An orphaned child may linger as a zombie where PID 1 does not reap: wait a little, never fail.
    await until('VRRP child gone', () => { try { process.kill(child, 0); return false; } catch { return true; } }, 2000).catch(() => undefined);
    topo.lab.exec(n.ns, 'ip', ['addr', 'del', `${KA_VIP}/24`, 'dev', 'eth0']);
  }
  return results;
}

async function main(): Promise<void> {
  const topo = new L2Topology(3, [VIP], `mlb2b-${process.pid}-`);
  const sections: string[] = [];
  try {
    await topo.startBackends();
    const runs: [string, () => Promise<Map<Mode, Trial[]>>][] = [
      ['speaker default (50ms x 6)', () => runSpeaker(topo, 'default', '50ms', 6)],
      ['speaker fast (20ms x 5)', () => runSpeaker(topo, 'fast', '20ms', 5)],
      ['keepalived default (VRRPv2, advert_int 1)', () => runKeepalived(topo, 'default', 2, '1')],
      ['keepalived fastest (VRRPv3, advert_int 0.01)', () => runKeepalived(topo, 'fastest', 3, '0.01')],
    ];
    const only = process.env.ONLY;
    for (const [label, run] of runs) {
      if (only && !label.includes(only)) continue;
      const r = await run();
      for (const mode of MODES) {
        const ts = r.get(mode) ?? [];
        sections.push(`${`${label}, ${mode}:`.padEnd(58)} move ${stats(ts.map((t) => t.move))}; gap ${stats(ts.map((t) => t.gap))}`);
      }
    }
  } finally {
    await topo.cleanup();
  }
  const cpu = cpus();
  const text = `\n## L2 failover, client-observed: ${new Date().toISOString()} (${cpu.length} × ${cpu[0]?.model.split(' ').slice(0, 2).join(' ')}, Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)})\n\n` +
    `Client probe: UDP every 10 ms to the IP, echoed by the receiving node. ${TRIALS} trials per row, same run, same topology (client + 3 nodes on a bridge, namespaces). ` +
    '`move` = fault → first reply from another node; `gap` = longest silence the client saw in that window ' +
    '(after SIGKILL/SIGTERM the node itself still serves until the new owner\'s announcements move the client). Peers: keepalived in the same run.\n\n```\n' +
    `${sections.join('\n')}\n\`\`\`\n${failbackTimeouts ? `\nFail-back did not happen within 20 s in ${failbackTimeouts} trial(s) (all speakers were restarted).\n` : ''}`;
  process.stdout.write(text);
  if (process.env.NO_RESULTS !== '1') appendFileSync(join(repoRoot, 'bench/RESULTS.md'), text);
}

await main();
