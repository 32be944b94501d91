// Minimal FRR fixture for the native-shim and BFD network tests: runs zebra plus the given daemons
// (bgpd, bfdd) in the foreground inside one namespace, every runtime path under the lab's work
// directory (reference/bgp.md §B.9: no watchfrr, explicit -z/--vty_socket/-i/-f, owned by frr).
// `frrDir` and `spawnFrrDaemon` are also the base of the BGP interop fixture (test/speaker/bgp/routers.ts).
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { NetnsLab, NsProcess } from '../../../../../test/support/netns.ts';

const FRR_BIN = '/usr/lib/frr';

/** A running FRR instance in one namespace. */
export interface Frr {
  /** Runs vtysh commands against this instance; returns stdout. */
  vtysh(...commands: string[]): string;
  /** Parses the JSON output of one show command. */
  json<T = unknown>(command: string): T;
  readonly procs: NsProcess[];
}

function frrIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'frr'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'frr'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Writes `<daemon>.conf` files, owned by frr, into `dir` (created; the lab's work dir made reachable). */
export function writeFrrConfigs(lab: NetnsLab, dir: string, configs: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(lab.workDir, 0o711); // the daemons drop to user frr and must reach their directory
  const { uid, gid } = frrIds();
  chownSync(dir, uid, gid);
  for (const [daemon, text] of Object.entries(configs)) {
    writeFileSync(join(dir, `${daemon}.conf`), text);
    chownSync(join(dir, `${daemon}.conf`), uid, gid);
  }
}

/** The directory of host's FRR instance inside the lab. */
export function frrDir(lab: NetnsLab, host: string): string {
  return join(lab.workDir, `frr-${host}`);
}

/** Runs one FRR daemon of the instance in `dir` in the foreground (its `<daemon>.conf` must exist). */
export function spawnFrrDaemon(lab: NetnsLab, host: string, dir: string, daemon: string, name = `${host}-${daemon}`): NsProcess {
  return lab.spawn(host, join(FRR_BIN, daemon), ['-u', 'frr', '-g', 'frr', '-P', '0', '-z', join(dir, 'zserv.api'),
    '--vty_socket', dir, '-f', join(dir, `${daemon}.conf`), '-i', join(dir, `${daemon}.pid`)], { name });
}

/** Starts zebra and `daemons` in namespace `host` with the given per-daemon configuration text. */
export async function startFrr(lab: NetnsLab, host: string, configs: { bgpd?: string; bfdd?: string }): Promise<Frr> {
  const dir = frrDir(lab, host);
  const all: Record<string, string> = { zebra: `hostname ${host}\n`, ...configs };
  writeFrrConfigs(lab, dir, all);
  const procs: NsProcess[] = [];
  for (const daemon of Object.keys(all)) {
    procs.push(spawnFrrDaemon(lab, host, dir, daemon));
    // zebra first: the others connect to its zserv socket; each daemon is ready once its vty is.
    await waitUntil(() => existsSync(join(dir, `${daemon}.vty`)), `${daemon} vty in ${dir}`, procs);
  }
  const vtysh = (...commands: string[]): string => {
    const args = ['--vty_socket', dir, ...commands.flatMap((c) => ['-c', c])];
    return execFileSync('vtysh', args, { encoding: 'utf8', timeout: 10_000 });
  };
  return { vtysh, json: <T>(c: string) => JSON.parse(vtysh(c)) as T, procs };
}

/** Polls `check` every 100 ms until it holds; throws after `timeoutMs` with what was awaited. */
export async function waitUntil(check: () => boolean, what: string, procs: NsProcess[] = [], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      const logs = procs.map((p) => `--- ${p.name}\n${p.output().slice(-1500)}`).join('\n');
      throw new Error(`timed out waiting for ${what}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
