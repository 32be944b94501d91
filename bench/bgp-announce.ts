// 10,000 IPv4 /32 (198.18.0.0/15) and 10,000 IPv6 /128 (2001:db8:1000::/64) announced to FRR 8.4
// by our speaker (the real bundle, dist/speaker/main.cjs --config), then by BIRD 2 and GoBGP 3 in
// the same run. Measures, polling FRR every 50 ms: start → Established, Established → all prefixes
// in bgpd's RIB and in the kernel FIB, withdraw-all → RIB and FIB empty, and each speaker's RSS.
// Prints the numbers and appends them to bench/RESULTS.md. Needs root; namespaces are mlbs-<pid>-*.
//   node --import tsx bench/bgp-announce.ts [count=10000]
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { NetnsLab } from '../test/support/netns.ts';
import { Bird, Frr, GoBgp, waitUntil } from '../test/speaker/bgp/routers.ts';
// The V8 flags of the DaemonSet command (templates/speaker/daemonset.yaml): measure what runs.
const { NODE_FLAGS } = (await import(new URL('../scripts/image-tree.mjs', import.meta.url).href)) as { NODE_FLAGS: string[] };

const N = Number(process.argv[2] ?? 10000);
const repo = new URL('..', import.meta.url).pathname;
const v4 = (i: number) => `198.18.${(i >> 8) & 255}.${i & 255}`;
const v6 = (i: number) => `2001:db8:1000::${(i + 1).toString(16)}`;

const FRR_CONF = `hostname frr
router bgp 64512
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
${[['192.0.2.11', 64601], ['2001:db8:0:1::11', 64601], ['192.0.2.2', 64513], ['2001:db8:0:1::2', 64513], ['192.0.2.21', 64621], ['2001:db8:0:1::21', 64621]]
  .map(([a, as]) => ` neighbor ${a} remote-as ${as}\n neighbor ${a} timers 3 9`).join('\n')}
 address-family ipv4 unicast
  neighbor 192.0.2.11 activate
  neighbor 192.0.2.2 activate
  neighbor 192.0.2.21 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:0:1::11 activate
  neighbor 2001:db8:0:1::2 activate
  neighbor 2001:db8:0:1::21 activate
 exit-address-family
`;

interface Result {
  name: string;
  /** Engine only: from the desired state applied to both sessions Established (process start excluded). */
  appliedToEstablished?: number;
  /** Our binary, from its own log: process start to its first TCP connect, and to both sessions Established. */
  firstConnect?: number;
  ownEstablished?: number;
  established: number;
  rib4: number;
  fib4: number;
  rib6: number;
  fib6: number;
  withdrawRib: number;
  withdrawFib: number;
  rssMiB: number;
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** One vtysh call per poll: BGP summary (state, pfxRcd) and zebra's RIB/FIB counts for both families. */
function snapshot(frr: Frr, peer4: string, peer6: string): { up4: boolean; up6: boolean; rib4: number; rib6: number; fib4: number; fib6: number } {
  const out = frr.vtysh('show bgp summary json', 'show ip route summary json', 'show ipv6 route summary json') ?? '';
  // vtysh prints the three JSON documents one after the other.
  const docs = out.split(/\n(?=\{)/).map((d) => JSON.parse(d) as Record<string, unknown>);
  const bgp = docs[0] as { ipv4Unicast?: { peers?: Record<string, { state?: string; pfxRcd?: number }> }; ipv6Unicast?: { peers?: Record<string, { state?: string; pfxRcd?: number }> } };
  const p4 = bgp.ipv4Unicast?.peers?.[peer4];
  const p6 = bgp.ipv6Unicast?.peers?.[peer6];
  // zebra's FIB count: routes the kernel accepted (checked against `ip route` at the end).
  const fib = (d: unknown) =>
    ((d as { routes?: { type: string; fib: number }[] })?.routes ?? []).filter((r) => /^[ei]?bgp$/.test(r.type)).reduce((n, r) => n + r.fib, 0);
  return { up4: p4?.state === 'Established', up6: p6?.state === 'Established', rib4: p4?.pfxRcd ?? 0, rib6: p6?.pfxRcd ?? 0, fib4: fib(docs[1]), fib6: fib(docs[2]) };
}

/** Polls FRR until both sessions of `peer4`/`peer6` are up and all prefixes are in RIB and FIB. */
async function measureAnnounce(frr: Frr, peer4: string, peer6: string, t0: number): Promise<Omit<Result, 'name' | 'withdrawRib' | 'withdrawFib' | 'rssMiB' | 'appliedToEstablished'>> {
  const m: Record<string, number> = {};
  await waitUntil(`${peer4}/${peer6}: all prefixes in RIB and FIB`, 120000, () => {
    const snap = snapshot(frr, peer4, peer6);
    const now = performance.now();
    if (process.env.BENCH_DEBUG) process.stdout.write(`${JSON.stringify(snap)}\n`);
    if (m.est4 === undefined && snap.up4) m.est4 = now;
    if (m.est6 === undefined && snap.up6) m.est6 = now;
    for (const k of ['rib4', 'rib6', 'fib4', 'fib6'] as const) if (m[k] === undefined && m[`est${k.slice(3)}`] !== undefined && snap[k] >= N) m[k] = now;
    return ['rib4', 'rib6', 'fib4', 'fib6'].every((k) => m[k] !== undefined);
  });
  if (frr.kernelRouteCount(4) < N || frr.kernelRouteCount(6) < N) throw new Error('zebra counted routes the kernel does not have');
  const e4 = m.est4 ?? 0;
  const e6 = m.est6 ?? 0;
  return { established: Math.max(e4, e6) - t0, rib4: (m.rib4 ?? 0) - e4, fib4: (m.fib4 ?? 0) - e4, rib6: (m.rib6 ?? 0) - e6, fib6: (m.fib6 ?? 0) - e6 };
}

async function measureWithdraw(frr: Frr, peer4: string, peer6: string, t0: number): Promise<{ withdrawRib: number; withdrawFib: number }> {
  const marks: Record<string, number> = {};
  await waitUntil('all prefixes withdrawn', 120000, () => {
    const snap = snapshot(frr, peer4, peer6);
    const now = performance.now();
    if (marks.rib === undefined && snap.rib4 === 0 && snap.rib6 === 0) marks.rib = now;
    if (marks.fib === undefined && snap.fib4 === 0 && snap.fib6 === 0) marks.fib = now;
    return marks.rib !== undefined && marks.fib !== undefined;
  });
  return { withdrawRib: (marks.rib ?? 0) - t0, withdrawFib: (marks.fib ?? 0) - t0 };
}

function speakerYaml(withRoutes: boolean): string {
  const list = (f: (i: number) => string, len: number) => Array.from({ length: N }, (_, i) => `      - ${JSON.stringify(`${f(i)}/${len}`)}`).join('\n');
  return `node: n1
bgp:
  peers:
    - {address: 192.0.2.1, asn: 64512, myASN: 64601, holdTime: 9s}
    - {address: "2001:db8:0:1::1", asn: 64512, myASN: 64601, holdTime: 9s}
${withRoutes ? `  advertisements:\n    - prefixes:\n${list(v4, 32)}\n${list(v6, 128)}\n` : '  advertisements: []\n'}`;
}

async function ours(lab: NetnsLab, frr: Frr): Promise<Result> {
  execFileSync(process.execPath, [join(repo, 'scripts/build.mjs'), 'speaker'], { stdio: 'inherit' });
  const cfg = join(lab.workDir, 'n1.yaml');
  writeFileSync(cfg, speakerYaml(true));
  const t0 = performance.now();
  const wall0 = Date.now();
  const p = lab.spawn('n1', process.execPath, [...NODE_FLAGS, join(repo, 'dist/speaker/main.cjs'), '--config', cfg], { name: 'n1-speaker', env: { ...process.env, LOG_LEVEL: 'debug' } });
  const a = await measureAnnounce(frr, '192.0.2.11', '2001:db8:0:1::11', t0);
  // The speaker's own log (pino, ms since the epoch): when it dialed first and saw Established.
  const logged = p.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { time: number; msg: string; to?: string });
  const firstConnect = logged.find((l) => l.to === 'Connect')?.time;
  const lastUp = logged.filter((l) => l.msg === 'session established').map((l) => l.time);
  if (firstConnect !== undefined) a.firstConnect = firstConnect - wall0;
  if (lastUp.length === 2) a.ownEstablished = Math.max(...lastUp) - wall0;
  const rss = rssMiB(p.pid);
  process.stdout.write(`ours: ${JSON.stringify(a)} RSS ${rss.toFixed(1)} MiB\n`);
  writeFileSync(cfg, speakerYaml(false));
  const t1 = performance.now();
  p.kill('SIGHUP');
  const w = await measureWithdraw(frr, '192.0.2.11', '2001:db8:0:1::11', t1);
  await p.stop('SIGTERM');
  return { name: 'our speaker (bin)', ...a, ...w, rssMiB: rss };
}

/** The BGP engine alone (test/speaker/bgp/speaker-proc.ts bundled with esbuild): the engine's own cost. */
async function engineOnly(lab: NetnsLab, frr: Frr): Promise<Result> {
  const out = join(lab.workDir, 'bgp-engine.cjs');
  await build({
    entryPoints: [join(repo, 'test/speaker/bgp/speaker-proc.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: out,
    external: ['cap', '*.node'], define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' }, logLevel: 'warning',
  });
  const cfg = join(lab.workDir, 'engine.json');
  const peers = (routes: boolean) => [
    { address: '192.0.2.1', asn: 64512, myAsn: 64601, holdTimeSec: 9, advertisements: routes ? Array.from({ length: N }, (_, i) => ({ prefix: `${v4(i)}/32` })) : [] },
    { address: '2001:db8:0:1::1', asn: 64512, myAsn: 64601, holdTimeSec: 9, routerId: '192.0.2.11', advertisements: routes ? Array.from({ length: N }, (_, i) => ({ prefix: `${v6(i)}/128` })) : [] },
  ];
  writeFileSync(cfg, JSON.stringify({ node: 'n1', peers: peers(true) }));
  const t0 = performance.now();
  const p = lab.spawn('n1', process.execPath, [out, cfg], { name: 'n1-engine', env: { ...process.env, METALLB_NATIVE_ADDON: join(repo, 'dist/speaker/metallb_native.node') } });
  const a = await measureAnnounce(frr, '192.0.2.11', '2001:db8:0:1::11', t0);
  const rss = rssMiB(p.pid);
  const events = p.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; state?: string; t?: number });
  const applied = events.find((e) => e.event === 'applied')?.t ?? 0;
  const established = Math.max(...events.filter((e) => e.state === 'Established').map((e) => e.t ?? 0));
  writeFileSync(cfg, JSON.stringify({ node: 'n1', peers: peers(false) }));
  const t1 = performance.now();
  p.kill('SIGHUP');
  const w = await measureWithdraw(frr, '192.0.2.11', '2001:db8:0:1::11', t1);
  await p.stop('SIGTERM');
  return { name: 'our BGP engine', ...a, ...w, rssMiB: rss, appliedToEstablished: established - applied };
}

async function bird(lab: NetnsLab, frr: Frr): Promise<Result> {
  const routes = (f: (i: number) => string, len: number) => Array.from({ length: N }, (_, i) => `  route ${f(i)}/${len} blackhole;`).join('\n');
  const conf = `router id 192.0.2.2;
protocol device { }
protocol static s4 { ipv4;\n${routes(v4, 32)}\n}
protocol static s6 { ipv6;\n${routes(v6, 128)}\n}
protocol bgp r4 { local 192.0.2.2 as 64513; neighbor 192.0.2.1 as 64512; hold time 9; keepalive time 3; ipv4 { import none; export where proto = "s4"; }; }
protocol bgp r6 { local 2001:db8:0:1::2 as 64513; neighbor 2001:db8:0:1::1 as 64512; hold time 9; keepalive time 3; ipv6 { import none; export where proto = "s6"; }; }
`;
  const t0 = performance.now();
  const b = new Bird(lab, 'bird', conf);
  const a = await measureAnnounce(frr, '192.0.2.2', '2001:db8:0:1::2', t0);
  const rss = rssMiB(b.proc.pid);
  const t1 = performance.now();
  b.birdc('disable', 's4');
  b.birdc('disable', 's6');
  const w = await measureWithdraw(frr, '192.0.2.2', '2001:db8:0:1::2', t1);
  await b.proc.stop('SIGTERM');
  return { name: 'BIRD 2.0 (peer)', ...a, ...w, rssMiB: rss };
}

/** MRT TABLE_DUMP_V2 (RFC 6396) for `gobgp mrt inject`; IPv6 uses GoBGP < 3.17's full MP_REACH form. */
function mrt(family: 4 | 6, pad: number): Buffer {
  const ts = Math.floor(Date.now() / 1000);
  const rec = (subtype: number, body: Buffer) => {
    const h = Buffer.alloc(12);
    h.writeUInt32BE(ts, 0);
    h.writeUInt16BE(13, 4);
    h.writeUInt16BE(subtype, 6);
    h.writeUInt32BE(body.length, 8);
    return Buffer.concat([h, body]);
  };
  const peerIndex = Buffer.concat([Buffer.alloc(4), Buffer.from([0, 0, 0, 1, 0x02]), Buffer.alloc(12)]);
  const parts = [rec(1, peerIndex)];
  const origin = Buffer.from([0x40, 1, 1, 0]);
  const aspath = Buffer.from([0x40, 2, 0]);
  const nh = family === 4 ? Buffer.from([0x40, 3, 4, 0, 0, 0, 0]) : Buffer.concat([Buffer.from([0x80, 14, 21, 0, 2, 1, 16]), Buffer.alloc(17)]);
  const attrs = Buffer.concat([origin, aspath, nh]);
  const ids = [...Array.from({ length: N }, (_, i) => i), ...Array.from({ length: Math.min(pad, N) }, (_, i) => i)];
  ids.forEach((i, seq) => {
    const addr = family === 4 ? Buffer.from(v4(i).split('.').map(Number)) : Buffer.from(v6(i).replace('::', ':0:0:0:0:').split(':').filter((x) => x !== '').map((g) => parseInt(g, 16)).flatMap((g) => [g >> 8, g & 255]));
    const entry = Buffer.alloc(8);
    entry.writeUInt16BE(0, 0);
    entry.writeUInt32BE(ts, 2);
    entry.writeUInt16BE(attrs.length, 6);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(seq, 0);
    head[4] = family === 4 ? 32 : 128;
    parts.push(rec(family === 4 ? 2 : 4, Buffer.concat([head, addr, Buffer.from([0, 1]), entry, attrs])));
  });
  return Buffer.concat(parts);
}

async function gobgp(lab: NetnsLab, frr: Frr): Promise<Result> {
  const neighbor = (a: string, fam: string) => `[[neighbors]]
  [neighbors.config]
    neighbor-address = "${a}"
    peer-as = 64512
    admin-down = true
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "${fam}"
`;
  const g = new GoBgp(lab, 'g1', `[global.config]\n  as = 64621\n  router-id = "192.0.2.21"\n  port = -1\n${neighbor('192.0.2.1', 'ipv4-unicast')}${neighbor('2001:db8:0:1::1', 'ipv6-unicast')}`);
  await waitUntil('gobgpd API', 15000, () => g.cli('global') !== '');
  // `gobgp mrt inject` (CLI < 4.0) drops the tail of its stream: pad, then re-inject what is missing.
  for (const fam of [4, 6] as const) {
    const file = join(lab.workDir, `bench${fam}.mrt`);
    writeFileSync(file, mrt(fam, 1000));
    const count = () => Number(/Destination: (\d+)/.exec(g.cli('global', 'rib', 'summary', '-a', `ipv${fam}`))?.[1] ?? 0);
    for (let tries = 0; count() < N && tries < 10; tries++) {
      const have = count();
      lab.exec('g1', 'gobgp', ['-u', '127.0.0.1', 'mrt', 'inject', 'global', file, String(N + 1000 - have), String(have)]);
      let prev = -1;
      await waitUntil('GoBGP RIB count stable', 30000, async () => {
        const c = count();
        const stable = c === prev;
        prev = c;
        await new Promise((r) => setTimeout(r, 300));
        return stable;
      });
    }
  }
  const t0 = performance.now();
  g.cli('neighbor', '192.0.2.1', 'enable');
  g.cli('neighbor', '2001:db8:0:1::1', 'enable');
  const a = await measureAnnounce(frr, '192.0.2.21', '2001:db8:0:1::21', t0);
  const rss = rssMiB(g.proc.pid);
  const t1 = performance.now();
  g.cli('global', 'rib', '-a', 'ipv4', 'del', 'all');
  g.cli('global', 'rib', '-a', 'ipv6', 'del', 'all');
  const w = await measureWithdraw(frr, '192.0.2.21', '2001:db8:0:1::21', t1);
  await g.proc.stop('SIGTERM');
  return { name: 'GoBGP 3.10 (peer)', ...a, ...w, rssMiB: rss };
}

async function main(): Promise<void> {
  const lab = new NetnsLab(`mlbs-${process.pid}-`);
  const results: Result[] = [];
  try {
    lab.addSwitch('sw');
    for (const [h, a4, a6] of [['frr', '192.0.2.1', '2001:db8:0:1::1'], ['n1', '192.0.2.11', '2001:db8:0:1::11'], ['bird', '192.0.2.2', '2001:db8:0:1::2'], ['g1', '192.0.2.21', '2001:db8:0:1::21']] as const) {
      lab.addHost(h, 'sw', { addrs: [`${a4}/24`, `${a6}/64`] });
    }
    const frr = new Frr(lab, 'frr', FRR_CONF);
    await frr.ready();
    // Ours again at the end: the first run also pays for a freshly started FRR/zebra.
    for (const run of [ours, engineOnly, bird, gobgp, ours, engineOnly]) {
      const r = await run(lab, frr);
      results.push(r);
      process.stdout.write(`${JSON.stringify(r)}\n`);
      await waitUntil('FRR kernel table empty', 30000, () => frr.kernelRouteCount(4) === 0 && frr.kernelRouteCount(6) === 0);
    }
  } finally {
    await lab.cleanup();
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(8);
  const lines = results.map(
    (r) =>
      `${r.name.padEnd(18)} start→Established ${s(r.established)} | Established→RIB v4 ${s(r.rib4)} v6 ${s(r.rib6)} | →FIB v4 ${s(r.fib4)} v6 ${s(r.fib6)} | withdraw-all→RIB ${s(r.withdrawRib)} FIB ${s(r.withdrawFib)} | RSS ${r.rssMiB.toFixed(1)} MiB`,
  );
  const nodeStart = performance.now();
  execFileSync(process.execPath, ['-e', '0']);
  lines.push(`peer: \`node -e 0\` ${((performance.now() - nodeStart) / 1000).toFixed(2)} s; our engine from desired state applied to both sessions Established: ${results.filter((r) => r.appliedToEstablished !== undefined).map((r) => `${r.appliedToEstablished} ms`).join(', ')}`);
  lines.push(`our speaker (bin, ${NODE_FLAGS.join(' ')}), from its own log: start→first connect ${results.filter((r) => r.firstConnect !== undefined).map((r) => `${r.firstConnect} ms`).join(', ')}; start→both Established ${results.filter((r) => r.ownEstablished !== undefined).map((r) => `${r.ownEstablished} ms`).join(', ')}`);
  for (const l of lines) process.stdout.write(`${l}\n`);
  appendFileSync(
    new URL('./RESULTS.md', import.meta.url),
    `\n## BGP announce ${N} IPv4 /32 + ${N} IPv6 /128 to FRR 8.4: ${new Date().toISOString()} (${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load ${os.loadavg()[0]?.toFixed(1)})\n\n` +
      'One IPv4 and one IPv6 session per speaker. "our speaker (bin)" is the whole metallb-speaker bundle with a static config, with the DaemonSet\'s V8 flags (' + NODE_FLAGS.join(' ') + '); "our BGP engine" is the engine alone in a small process (speaker-proc.ts). Established→ times are per family, from that family\'s session up; FRR polled with one vtysh call (BGP summary + zebra RIB/FIB counts; ~0.1 s per poll here), kernel checked with `ip route` at the end. Start = process start (ours, BIRD) or `neighbor enable` (GoBGP, after `mrt inject`; its first dial waits 5–10 s by design). RSS after all routes were in FRR. Goal: ours ≤ GoBGP in time and RSS.\n\n```\n' +
      `${lines.join('\n')}\n\`\`\`\n`,
  );
}

await main();
