// L2 responder cost: ARP and NS turnaround at the node's switch port (tcpdump, request → reply)
// for a Service IP answered by the speaker vs the node's own address answered by the kernel, in
// the same run; then the speaker's RSS (main process + capture worker) with 10,000 IPs placed on
// one interface (capture ring included), split into V8 heap, pcap ring and shared Node binary.
//
//   node --import tsx bench/l2-responder.ts      (NO_RESULTS=1 to skip appending to RESULTS.md)
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { L2Topology, metricValue, type L2Scenario, type TestNode } from '../test/speaker/l2/topology.ts';
import { repoRoot } from '../test/support/tools.ts';

const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::100';
const COUNT = Number(process.env.COUNT ?? 200);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantiles(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return `p50 ${q(0.5).toFixed(0)} µs, p90 ${q(0.9).toFixed(0)} µs, p99 ${q(0.99).toFixed(0)} µs, max ${(s.at(-1) ?? NaN).toFixed(0)} µs (n=${s.length})`;
}

/** Request→reply turnarounds in µs from `tcpdump -tt` lines, paired by the address asked for. */
function turnarounds(text: string, kind: 'arp' | 'ndp'): Map<string, number[]> {
  const pending = new Map<string, number>();
  const out = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const t = Number(line.split(' ')[0]);
    const req = kind === 'arp' ? /Request who-has (\S+) tell/.exec(line) : /neighbor solicitation, who has (\S+),/.exec(line);
    const rep = kind === 'arp' ? /Reply (\S+) is-at/.exec(line) : /neighbor advertisement, tgt is (\S+),/.exec(line);
    if (req) pending.set(req[1] as string, t);
    else if (rep) {
      const ip = rep[1] as string;
      const t0 = pending.get(ip);
      if (t0 === undefined) continue;
      pending.delete(ip);
      const l = out.get(ip) ?? [];
      l.push((t - t0) * 1e6);
      out.set(ip, l);
    }
  }
  return out;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

/** Resident KiB of the mappings of `pid` whose line in /proc/PID/smaps matches `name`. */
function smapsRss(pid: number, name: RegExp): number {
  let sum = 0;
  for (const block of readFileSync(`/proc/${pid}/smaps`, 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    if (!name.test(block.split('\n')[0] ?? '')) continue;
    sum += Number(/\nRss:\s+(\d+) kB/.exec(block)?.[1] ?? 0);
  }
  return sum;
}

function workerPids(parent: number): number[] {
  try {
    return readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function capture(topo: L2Topology, filter: string[], during: () => void): Promise<string> {
  const td = topo.lab.spawn('sw', 'tcpdump', ['-i', 'n1', '-nn', '-tt', '-l', '--time-stamp-precision=micro', ...filter], { name: `td-${Date.now()}` });
  await td.waitFor('listening on');
  during();
  await sleep(300);
  await td.stop('SIGINT');
  return td.output();
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const topo = new L2Topology(1, [VIP4, VIP6], `mlbr-b${process.pid}-`);
  try {
    const node = topo.nodes[0] as TestNode;
    const small: L2Scenario = { classes: [{ name: 'c', nodes: ['node1'] }], services: [{ namespace: 'b', name: 's', class: 'c', ips: [VIP4, VIP6] }] };
    await topo.startSpeaker(node, small);
    await topo.until('VIP answered', () => topo.arpMacs(VIP4).length === 1);
    // One capture per target, the kernel first, so neither run disturbs the other's numbers.
    const arpFor = async (ip: string): Promise<number[]> =>
      turnarounds(await capture(topo, ['arp'], () => { topo.lab.exec('cl', 'arping', ['-c', String(COUNT), '-W', '0.01', '-i', 'eth0', ip]); }), 'arp').get(ip) ?? [];
    const nsFor = async (ip: string): Promise<number[]> =>
      turnarounds(await capture(topo, ['icmp6'], () => {
        for (let i = 0; i < COUNT / 4; i++) topo.lab.exec('cl', 'ndisc6', ['-1', '-n', '-r', '1', '-w', '200', ip, 'eth0']);
      }), 'ndp').get(ip) ?? [];
    lines.push(`ARP, kernel (${node.ipv4}):          ${quantiles(await arpFor(node.ipv4))}`);
    lines.push(`ARP, speaker (${VIP4}):        ${quantiles(await arpFor(VIP4))}`);
    lines.push(`NS→NA, kernel (${node.ipv6}):     ${quantiles(await nsFor(node.ipv6))}`);
    lines.push(`NS→NA, speaker (${VIP6}):   ${quantiles(await nsFor(VIP6))}`);

    // 10,000 IPs from the benchmark range on one interface (one node, so all are placed here).
    const many = Array.from({ length: 10_000 }, (_, i) => `198.18.${i >> 8}.${(i & 255) + 0}`);
    await topo.startSpeaker(node, { classes: [{ name: 'c', nodes: ['node1'] }], services: [{ namespace: 'b', name: 'many', class: 'c', ips: many }] });
    await topo.until('the 10,000th IP answered', () => topo.arpMacs(many.at(-1) as string).length === 1, 60_000);
    await sleep(2000);
    const pid = node.speaker?.pid as number;
    const workers = workerPids(pid);
    const main = rssKiB(pid);
    const w = workers.reduce((s, p) => s + rssKiB(p), 0);
    lines.push(`RSS with 10,000 IPs on eth0: speaker ${(main / 1024).toFixed(0)} MiB + capture worker ${(w / 1024).toFixed(0)} MiB = ${((main + w) / 1024).toFixed(0)} MiB`);
    // Where it goes: the speaker's V8 heap and external buffers, the worker's pcap ring, and the
    // Node binary's pages (shared between both processes, counted in each RSS).
    const metrics = topo.metrics(node);
    const mib = (name: string): string => `${(metricValue(metrics, name) / 2 ** 20).toFixed(0)} MiB`;
    const ring = workers.reduce((s, p) => s + smapsRss(p, /socket:\[/), 0);
    const nodeText = smapsRss(pid, /\/node$/);
    const pss = [pid, ...workers].reduce((s, p) => s + Number(/\nPss:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0), 0);
    lines.push(`  PSS (shared pages split between the processes): ${(pss / 1024).toFixed(0)} MiB`);
    lines.push(`  speaker: V8 heap used ${mib('nodejs_heap_size_used_bytes')} of ${mib('nodejs_heap_size_total_bytes')}, external ${mib('nodejs_external_memory_bytes')}, node binary ${(nodeText / 1024).toFixed(0)} MiB (shared); worker: pcap ring ${(ring / 1024).toFixed(0)} MiB`);
  } finally {
    await topo.cleanup();
  }
  const cpu = cpus();
  const text = `\n## L2 responder: ${new Date().toISOString()} (${cpu.length} × ${cpu[0]?.model.split(' ').slice(0, 2).join(' ')}, Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)})\n\n` +
    `Turnaround at the node's switch port (tcpdump -tt, request → reply), ${COUNT} ARP requests (arping -W 0.01) and ${COUNT / 4} NS (ndisc6) per target; ` +
    'peer: the kernel answering for the node\'s own address in the same run. Goals: p50 ≤ 2× the kernel, p99 ≤ 1 ms; RSS ≤ 100 MiB.\n\n```\n' +
    `${lines.join('\n')}\n\`\`\`\n`;
  process.stdout.write(text);
  if (process.env.NO_RESULTS !== '1') appendFileSync(join(repoRoot, 'bench/RESULTS.md'), text);
}

await main();
