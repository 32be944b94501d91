// Real routers for the interop tests: FRR (zebra + bgpd), BIRD 2 and GoBGP, each run in the
// foreground inside a namespace of a NetnsLab, so that the lab tracks and kills them by PID.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetnsLab, NsProcess } from '../../support/netns.ts';

const FRR_BIN = '/usr/lib/frr';

/** Polls `check` every 100 ms until it returns a truthy value; rejects after `timeoutMs` with `what`. */
export async function waitUntil<T>(what: string, timeoutMs: number, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timeout (${timeoutMs} ms) waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function uid(name: string): number {
  return Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
}
function gid(name: string): number {
  return Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
}

/** FRR in a namespace: zebra and bgpd in the foreground, vtysh through a private socket dir. */
export class Frr {
  readonly dir: string;
  readonly zebra: NsProcess;
  bgpd: NsProcess;
  #lab: NetnsLab;
  #host: string;

  constructor(lab: NetnsLab, host: string, bgpdConf: string) {
    this.#lab = lab;
    this.#host = host;
    this.dir = join(lab.workDir, `frr-${host}`);
    mkdirSync(this.dir, { recursive: true });
    // The daemons run as frr: they must be able to reach their directory inside the lab's (0700) one.
    chmodSync(lab.workDir, 0o711);
    writeFileSync(join(this.dir, 'zebra.conf'), `hostname ${host}\n`);
    writeFileSync(join(this.dir, 'bgpd.conf'), bgpdConf);
    const [u, g] = [uid('frr'), gid('frr')];
    for (const f of ['', 'zebra.conf', 'bgpd.conf']) chownSync(join(this.dir, f), u, g);
    this.zebra = lab.spawn(host, `${FRR_BIN}/zebra`, [...this.#common(), '-f', join(this.dir, 'zebra.conf'), '-i', join(this.dir, 'zebra.pid')], { name: `${host}-zebra` });
    this.bgpd = this.#startBgpd();
  }

  #common(): string[] {
    return ['-u', 'frr', '-g', 'frr', '-P', '0', '-z', join(this.dir, 'zserv.api'), '--vty_socket', this.dir];
  }

  #startBgpd(): NsProcess {
    return this.#lab.spawn(this.#host, `${FRR_BIN}/bgpd`, [...this.#common(), '-f', join(this.dir, 'bgpd.conf'), '-i', join(this.dir, 'bgpd.pid')], { name: `${this.#host}-bgpd-${Date.now()}` });
  }

  bfdd: NsProcess | undefined;

  /** Starts bfdd (BFD sessions come from `neighbor X bfd` in bgpd.conf). */
  startBfdd(): void {
    const conf = join(this.dir, 'bfdd.conf');
    writeFileSync(conf, `hostname ${this.#host}\n`);
    chownSync(conf, uid('frr'), gid('frr'));
    this.bfdd = this.#lab.spawn(this.#host, `${FRR_BIN}/bfdd`, [...this.#common(), '-f', conf, '-i', join(this.dir, 'bfdd.pid')], { name: `${this.#host}-bfdd` });
  }

  /** FRR's BFD status for a peer ("up", "down", ...). */
  bfdStatus(peer: string): string | undefined {
    const j = this.json<{ peer?: string; status?: string }[]>('show bfd peers json');
    return Array.isArray(j) ? j.find((p) => p.peer === peer)?.status : undefined;
  }

  async ready(): Promise<void> {
    try {
      await waitUntil('FRR bgpd vty', 15000, () => this.vtysh('show bgp summary json') !== undefined);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nzebra: ${this.zebra.output().slice(-2000)}\nbgpd: ${this.bgpd.output().slice(-2000)}`);
    }
  }

  /** Runs vtysh commands; undefined when vtysh fails (daemon not up yet). */
  vtysh(...cmds: string[]): string | undefined {
    try {
      return execFileSync('vtysh', ['--vty_socket', this.dir, ...cmds.flatMap((c) => ['-c', c])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10000 });
    } catch {
      return undefined;
    }
  }

  json<T = Record<string, unknown>>(cmd: string): T | undefined {
    const out = this.vtysh(cmd);
    if (!out) return undefined;
    try {
      return JSON.parse(out) as T;
    } catch {
      return undefined;
    }
  }

  /** FRR's FSM state for a neighbour ("Established", ...), undefined when unknown. */
  state(neighbor: string): string | undefined {
    const j = this.json<Record<string, { bgpState?: string }>>(`show bgp neighbors ${neighbor} json`);
    return j?.[neighbor]?.bgpState;
  }

  /** The paths FRR has for a prefix (`show bgp <afi> unicast <prefix> json`). */
  paths(prefix: string): FrrPath[] {
    const afi = prefix.includes(':') ? 'ipv6' : 'ipv4';
    const j = this.json<{ paths?: FrrPath[] }>(`show bgp ${afi} unicast ${prefix} json`);
    return j?.paths ?? [];
  }

  /** Number of prefixes FRR accepted from a neighbour in one family. */
  prefixesFrom(neighbor: string, afi: 'ipv4' | 'ipv6'): number {
    const j = this.json<{ peers?: Record<string, { pfxRcd?: number }> }>(`show bgp ${afi} unicast summary json`);
    return j?.peers?.[neighbor]?.pfxRcd ?? 0;
  }

  /** Next hops of the kernel route in FRR's namespace (`ip route show <prefix>`). */
  kernelNextHops(prefix: string): string[] {
    const fam = prefix.includes(':') ? '-6' : '-4';
    const r = this.#lab.exec(this.#host, 'ip', ['-o', fam, 'route', 'show', prefix]);
    return [...r.stdout.matchAll(/via (\S+)/g)].map((m) => m[1] ?? '').sort();
  }

  kernelRouteCount(fam: 4 | 6): number {
    const r = this.#lab.exec(this.#host, 'ip', ['-o', `-${fam}`, 'route', 'show', 'proto', 'bgp']);
    return r.stdout.split('\n').filter((l) => l.trim()).length;
  }

  /** Freezes or thaws bgpd (hold-timer tests). */
  pause(on: boolean): void {
    this.bgpd.kill(on ? 'SIGSTOP' : 'SIGCONT');
  }
}

/** One path of `show bgp ... json` (the fields the tests read). */
export interface FrrPath {
  valid?: boolean;
  stale?: boolean;
  multipath?: boolean;
  bestpath?: { overall?: boolean };
  aspath?: { string?: string };
  locPrf?: number;
  metric?: number;
  community?: { string?: string };
  largeCommunity?: { string?: string };
  nexthops?: { ip?: string }[];
  peer?: { peerId?: string };
}

/** BIRD 2 in a namespace, foreground, queried with birdc. */
export class Bird {
  readonly proc: NsProcess;
  readonly ctl: string;

  constructor(lab: NetnsLab, host: string, conf: string) {
    const dir = join(lab.workDir, `bird-${host}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bird.conf'), conf);
    this.ctl = join(dir, 'bird.ctl');
    this.proc = lab.spawn(host, 'bird', ['-f', '-c', join(dir, 'bird.conf'), '-s', this.ctl], { name: `${host}-bird` });
  }

  birdc(...args: string[]): string {
    try {
      return execFileSync('birdc', ['-s', this.ctl, ...args], { encoding: 'utf8', timeout: 10000 });
    } catch {
      return '';
    }
  }
}

/** gobgpd in a namespace, foreground, API on the namespace's loopback. */
export class GoBgp {
  readonly proc: NsProcess;
  #lab: NetnsLab;
  #host: string;

  constructor(lab: NetnsLab, host: string, toml: string) {
    this.#lab = lab;
    this.#host = host;
    const file = join(lab.workDir, `gobgpd-${host}.toml`);
    writeFileSync(file, toml);
    this.proc = lab.spawn(host, 'gobgpd', ['-f', file, '-t', 'toml', '-p', '-l', 'info', '--api-hosts', '127.0.0.1:50051', '--pprof-disable'], { name: `${host}-gobgpd` });
  }

  cli(...args: string[]): string {
    const r = this.#lab.exec(this.#host, 'gobgp', ['-u', '127.0.0.1', ...args]);
    return r.code === 0 ? r.stdout : '';
  }
}
