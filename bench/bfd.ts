// BFD failure detection against FRR bfdd (300 ms x 3 on both sides), in network namespaces:
//   - dead speaker: SIGKILL of our BFD process -> FRR reports the peer down (goal: < 1 s);
//   - peer measured in the same run: the same for BIRD's bfd, killed the same way;
//   - our detection: FRR's packets dropped (nftables) -> our session emits 'down'.
// FRR is polled with `show bfd peers json` every 20 ms, so each number includes up to one poll.
// Prints the numbers and appends them to bench/RESULTS.md.
//   node --import tsx bench/bfd.ts [rounds]
import { appendFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { NetnsLab, type NsProcess } from '../test/support/netns.ts';
import { startFrr, waitUntil, type Frr } from '../images/speaker/src/native/testdata/frr.ts';

const rounds = Number(process.argv[2] ?? 10);
const PEER = join(import.meta.dirname, '..', 'images', 'speaker', 'src', 'bfd', 'testdata', 'bfd-peer.ts');
const ours = { label: 'v4', local: '192.0.2.11', peer: '192.0.2.1', interface: 'eth0', receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3 };

const lab = new NetnsLab('mlbn-');
try {
  lab.addSwitch('sw');
  lab.addHost('a', 'sw', { addrs: ['192.0.2.11/24'] });
  lab.addHost('c', 'sw', { addrs: ['192.0.2.13/24'] });
  lab.addHost('b', 'sw', { addrs: ['192.0.2.1/24'] });
  const t = ['  receive-interval 300', '  transmit-interval 300', '  detect-multiplier 3', ' !'];
  const frr = await startFrr(lab, 'b', {
    bfdd: ['bfd', ' peer 192.0.2.11 local-address 192.0.2.1 interface eth0', ...t, ' peer 192.0.2.13 local-address 192.0.2.1 interface eth0', ...t, ''].join('\n'),
  });
  const birdConf = join(lab.workDir, 'bird.conf');
  writeFileSync(birdConf, [
    'router id 192.0.2.13;', 'protocol device {}',
    'protocol bfd { interface "eth0" { min rx interval 300 ms; min tx interval 300 ms; multiplier 3; }; neighbor 192.0.2.1 dev "eth0"; }', '',
  ].join('\n'));

  const status = (f: Frr, peer: string): string | undefined =>
    f.json<{ peer: string; status: string }[]>('show bfd peers json').find((p) => p.peer === peer)?.status;
  const poll = async (check: () => boolean): Promise<number> => {
    for (;;) {
      if (check()) return performance.now();
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  /** Starts `start()`, waits for FRR to see `peer` up, kills it and returns ms until FRR says down. */
  const killToDown = async (peer: string, start: () => NsProcess): Promise<number> => {
    // A previous process's session may still be Up on FRR: measure only a session of this one.
    await waitUntil(() => status(frr, peer) !== 'up', `${peer} not up on FRR before the round`, frr.procs);
    const p = start();
    await waitUntil(() => status(frr, peer) === 'up', `${peer} up on FRR`, [p, ...frr.procs]);
    await new Promise((r) => setTimeout(r, 1000 + Math.random() * 300)); // steady state, random phase
    const t0 = performance.now();
    p.kill('SIGKILL');
    const t1 = await poll(() => status(frr, peer) === 'down');
    await p.exited;
    const diag = frr.json<{ peer: string; diagnostic: string }[]>('show bfd peers json').find((x) => x.peer === peer)?.diagnostic;
    process.stdout.write(`${peer} killed -> FRR down after ${(t1 - t0).toFixed(0)} ms (${diag})\n`);
    return t1 - t0;
  };
  const startOurs = (): NsProcess => lab.spawn('a', process.execPath, ['--import', 'tsx', PEER, JSON.stringify([ours])]);
  const startBird = (): NsProcess => lab.spawn('c', 'bird', ['-f', '-c', birdConf, '-s', join(lab.workDir, 'bird.ctl'), '-P', join(lab.workDir, 'bird.pid')]);

  const oursMs: number[] = [];
  const birdMs: number[] = [];
  const detectMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    oursMs.push(await killToDown('192.0.2.11', startOurs));
    birdMs.push(await killToDown('192.0.2.13', startBird));
    // Our detection: drop FRR's packets in our namespace and time the 'down' line.
    const p = startOurs();
    await p.waitFor('"event":"up"', 20_000);
    await new Promise((r) => setTimeout(r, 1000 + Math.random() * 300));
    const t0 = performance.now();
    lab.nft('a', 'table inet mlbn_bench { chain in { type filter hook input priority 0; udp dport 3784 drop; }; }');
    await p.waitFor('"event":"down"', 20_000);
    detectMs.push(performance.now() - t0);
    lab.exec('a', 'nft', ['delete', 'table', 'inet', 'mlbn_bench']);
    await p.stop('SIGKILL');
  }

  const summary = (xs: number[]): string => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
    return `median ${at(0.5).toFixed(0)} ms, max ${s.at(-1)!.toFixed(0)} ms, min ${s[0]!.toFixed(0)} ms`;
  };
  const lines = [
    `speaker killed -> FRR bfdd down:   ${summary(oursMs)}`,
    `peer: BIRD bfd killed -> FRR down: ${summary(birdMs)}`,
    `FRR silenced -> our session down:  ${summary(detectMs)}`,
  ];
  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const text = `\n## BFD detection: ${new Date().toISOString()} (${cpus().length} × ${cpu}, Node ${process.version})\n\n` +
    `${rounds} rounds, 300 ms x 3 on every side (detection time 900 ms), FRR 8.4 bfdd polled every 20 ms. Goal: dead speaker down on FRR in under a second.\n\n` +
    '```\n' + lines.join('\n') + '\n```\n';
  process.stdout.write(text);
  appendFileSync(join(import.meta.dirname, 'RESULTS.md'), text);
} finally {
  await lab.cleanup();
}
