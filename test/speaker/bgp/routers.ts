// Real routers for the interop tests: FRR (zebra + bgpd), BIRD 2 and GoBGP, each run in the
// foreground inside a namespace of a NetnsLab, so that the lab tracks and kills them by PID.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { frrDir, spawnFrrDaemon, writeFrrConfigs } from '../../../images/speaker/src/native/testdata/frr.ts';
import type { NetnsLab, NsProcess } from '../../support/netns.ts';

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
    this.dir = frrDir(lab, host);
    writeFrrConfigs(lab, this.dir, { zebra: `hostname ${host}\n`, bgpd: bgpdConf });
    this.zebra = spawnFrrDaemon(lab, host, this.dir, 'zebra');
    this.bgpd = spawnFrrDaemon(lab, host, this.dir, 'bgpd', `${host}-bgpd-${Date.now()}`);
  }

  bfdd: NsProcess | undefined;

  /** Starts bfdd (BFD sessions come from `neighbor X bfd` in bgpd.conf). */
  startBfdd(): void {
    writeFrrConfigs(this.#lab, this.dir, { bfdd: `hostname ${this.#host}\n` });
    this.bfdd = spawnFrrDaemon(this.#lab, this.#host, this.dir, 'bfdd');
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
