// Network-namespace fixtures for tests and benchmarks that need real packets.
//
// A `NetnsLab` owns every namespace it creates (all named `<prefix><name>`) and every process it
// starts inside them (tracked by PID). `cleanup()` kills those PIDs and deletes those namespaces; it
// is also registered on process exit and on SIGINT/SIGTERM, so a failing or interrupted test still
// leaves nothing behind. Nothing here touches the host's own interfaces: links are created directly
// inside the namespaces (`ip link add ... netns X ... peer ... netns Y`).
//
// Typical topology ("a switch and some hosts"):
//
//   const lab = new NetnsLab(`mlb2-${process.pid}-`);   // the pid keeps concurrent runs apart
//   lab.addSwitch('sw');                             // namespace mlb2-sw with bridge br0
//   lab.addHost('client', 'sw', { mac: '02:00:00:00:00:01', addrs: ['192.0.2.1/24', '2001:db8::1/64'] });
//   const p = lab.spawn('client', 'curl', ['-s', 'http://192.0.2.100/']);
//   ...
//   await lab.cleanup();
//
// Kernel facts this relies on (reference/l2.md §B6): `ip netns del` does not kill processes, so
// processes are killed first; this kernel has no dummy/vlan/macvlan/netem, so only veth and bridge.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Result of a command run to completion inside a namespace. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for `NetnsLab.addHost` / `NetnsLab.link`. */
export interface HostLinkOptions {
  /** Interface name inside the host namespace (default eth0). */
  ifname?: string;
  /** Switch-side port name (default `<host>` truncated to 15 chars). */
  portName?: string;
  /** MAC address of the host-side interface. */
  mac?: string;
  /** Addresses with prefix length, IPv4 and/or IPv6 (`192.0.2.11/24`, `2001:db8::11/64`). */
  addrs?: string[];
}

/** A process started inside a namespace. */
export interface NsProcess {
  readonly name: string;
  readonly ns: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process ends. */
  readonly exited: Promise<number | string>;
  /** Everything written so far to stdout+stderr (written to `logFile` when it exits). */
  output(): string;
  readonly logFile: string;
  /** Sends a signal to this PID only. */
  kill(signal?: NodeJS.Signals): void;
  /** Sends `signal`, waits up to `graceMs`, then SIGKILL; resolves when it is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** Resolves when `pattern` appears in the output; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
}

const IFNAMSIZ = 15;

/** Namespaces, bridges, veth links and processes for one test, removed by `cleanup()`. */
export class NetnsLab {
  readonly prefix: string;
  readonly workDir: string;
  #namespaces: string[] = [];
  #procs = new Map<number, NsProcess>();
  #cleaned = false;
  #onExit = (): void => this.cleanupSync();
  #onSignal = (sig: NodeJS.Signals): void => {
    this.cleanupSync();
    process.kill(process.pid, sig);
  };

  constructor(prefix: string) {
    if (!/^[a-z0-9-]{1,24}$/.test(prefix)) throw new Error(`netns prefix ${JSON.stringify(prefix)}: use 1-24 chars [a-z0-9-]`);
    if (process.getuid?.() !== 0) throw new Error('network namespaces need root');
    this.prefix = prefix;
    this.workDir = mkdtempSync(join(tmpdir(), `${prefix}lab-`));
    process.once('exit', this.#onExit);
    process.once('SIGINT', this.#onSignal);
    process.once('SIGTERM', this.#onSignal);
  }

  /** Full namespace name for a short name. */
  ns(name: string): string {
    return name.startsWith(this.prefix) ? name : this.prefix + name;
  }

  /** Creates namespace `<prefix><name>` with lo up; a stale one of the same name is removed first. */
  addNamespace(name: string): string {
    const ns = this.ns(name);
    if (listNamespaces().includes(ns)) deleteNamespace(ns);
    run('ip', ['netns', 'add', ns]);
    this.#namespaces.push(ns);
    this.ip(name, ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Creates a namespace holding bridge `bridge` (the "switch"); MLD snooping on, querier off. */
  addSwitch(name: string, bridge = 'br0', extra: string[] = ['mcast_snooping', '1', 'mcast_querier', '0']): string {
    const ns = this.addNamespace(name);
    this.ip(name, ['link', 'add', 'name', bridge, 'type', 'bridge', ...extra]);
    this.ip(name, ['link', 'set', 'dev', bridge, 'up']);
    return ns;
  }

  /** Creates host namespace `name` and plugs it into the switch namespace `sw` (bridge br0). */
  addHost(name: string, sw: string, opts: HostLinkOptions = {}, bridge = 'br0'): string {
    const ns = this.addNamespace(name);
    this.link(name, sw, opts, bridge);
    return ns;
  }

  /** Connects host `name` to switch `sw` with a veth pair; the port is enslaved to `bridge`. */
  link(name: string, sw: string, opts: HostLinkOptions = {}, bridge = 'br0'): { ifname: string; port: string } {
    const ifname = opts.ifname ?? 'eth0';
    const port = opts.portName ?? name.slice(0, IFNAMSIZ);
    for (const n of [ifname, port]) if (n.length > IFNAMSIZ) throw new Error(`interface name ${n} longer than ${IFNAMSIZ}`);
    run('ip', ['link', 'add', 'name', port, 'netns', this.ns(sw), 'type', 'veth', 'peer', 'name', ifname, 'netns', this.ns(name)]);
    if (opts.mac) this.ip(name, ['link', 'set', 'dev', ifname, 'address', opts.mac]);
    // No DAD/RA: addresses usable at once, and no router advertisements from anywhere.
    this.exec(name, 'sysctl', ['-qw', `net.ipv6.conf.${ifname}.accept_dad=0`, `net.ipv6.conf.${ifname}.accept_ra=0`]);
    this.ip(sw, ['link', 'set', 'dev', port, 'master', bridge, 'up']);
    this.ip(name, ['link', 'set', 'dev', ifname, 'up']);
    for (const a of opts.addrs ?? []) this.addAddress(name, ifname, a);
    return { ifname, port };
  }

  /** Adds an address (with prefix length) to an interface; IPv6 without DAD. */
  addAddress(name: string, ifname: string, cidr: string): void {
    if (cidr.includes(':')) this.ip(name, ['-6', 'addr', 'add', cidr, 'dev', ifname, 'nodad']);
    else this.ip(name, ['addr', 'add', cidr, 'dev', ifname]);
  }

  /** Sets a link up or down inside a namespace. */
  setLink(name: string, ifname: string, up: boolean): void {
    this.ip(name, ['link', 'set', 'dev', ifname, up ? 'up' : 'down']);
  }

  /** Runs `ip -n <ns> ARGS`, throwing with stderr on failure. */
  ip(name: string, args: string[]): string {
    return run('ip', ['-n', this.ns(name), ...args]);
  }

  /** Loads an nftables ruleset (text for `nft -f -`) inside a namespace. */
  nft(name: string, ruleset: string): void {
    const r = this.exec(name, 'nft', ['-f', '-'], ruleset);
    if (r.code !== 0) throw new Error(`nft in ${this.ns(name)} failed: ${r.stderr}`);
  }

  /** Runs a command to completion inside a namespace (synchronously); never throws on exit code. */
  exec(name: string, cmd: string, args: string[] = [], input?: string): ExecResult {
    try {
      const stdout = execFileSync('ip', ['netns', 'exec', this.ns(name), cmd, ...args], {
        input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000,
      });
      return { code: 0, stdout, stderr: '' };
    } catch (err) {
      const e = err as { status?: number | null; stdout?: string; stderr?: string };
      return { code: e.status ?? -1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') };
    }
  }

  /** Runs a command inside a namespace asynchronously and resolves when it exits. */
  execAsync(name: string, cmd: string, args: string[] = []): Promise<ExecResult> {
    const p = this.spawn(name, cmd, args, { name: `${cmd}-${Date.now()}` });
    return p.exited.then((code) => ({ code: typeof code === 'number' ? code : -1, stdout: p.output(), stderr: '' }));
  }

  /**
   * Starts a long-running process inside a namespace. `ip netns exec` execs the command, so the
   * PID is the command's own and can be signalled directly (SIGKILL tests rely on that).
   */
  spawn(name: string, cmd: string, args: string[] = [], opts: { name?: string; env?: NodeJS.ProcessEnv } = {}): NsProcess {
    const ns = this.ns(name);
    const label = opts.name ?? `${name}-${cmd.split('/').pop()}`;
    const logFile = join(this.workDir, `${label.replace(/[^a-zA-Z0-9_.-]/g, '_')}.log`);
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env,
    });
    let out = '';
    const waiters = new Set<() => void>();
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.length > 4_000_000) out = out.slice(-2_000_000);
      for (const w of waiters) w();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${cmd} in ${ns}`);
    const exited = new Promise<number | string>((resolve) => {
      child.on('exit', (code, signal) => {
        this.#procs.delete(pid);
        try { writeFileSync(logFile, out); } catch { /* the log file is best effort */ }
        for (const w of waiters) w();
        resolve(code ?? signal ?? -1);
      });
    });
    let done = false;
    void exited.then(() => { done = true; });
    const proc: NsProcess = {
      name: label, ns, pid, child, exited, logFile,
      output: () => out,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        if (!done) try { process.kill(pid, signal); } catch { /* already gone */ }
      },
      stop: async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000) => {
        if (done) return;
        proc.kill(signal);
        const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      },
      waitFor: (pattern: RegExp | string, timeoutMs = 10_000) => new Promise<string>((resolve, reject) => {
        const test = (): boolean => (typeof pattern === 'string' ? out.includes(pattern) : pattern.test(out));
        if (test()) return resolve(out);
        const check = (): void => {
          if (test()) { finish(); resolve(out); } else if (done) { finish(); reject(new Error(`${label} exited before ${String(pattern)}; output:\n${out.slice(-3000)}`)); }
        };
        const timer = setTimeout(() => { finish(); reject(new Error(`timeout waiting for ${String(pattern)} from ${label}; output:\n${out.slice(-3000)}`)); }, timeoutMs);
        const finish = (): void => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
      }),
    };
    this.#procs.set(pid, proc);
    return proc;
  }

  /** Processes started by this lab that are still running. */
  processes(): NsProcess[] {
    return [...this.#procs.values()];
  }

  /** Kills every process this lab started (by PID) and deletes its namespaces. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.#procs.values()].map((p) => p.stop('SIGTERM', 1000)));
    this.cleanupSync();
  }

  /** Synchronous cleanup, safe to call more than once (used from the exit handler). */
  cleanupSync(): void {
    if (this.#cleaned) return;
    this.#cleaned = true;
    for (const p of this.#procs.values()) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    const existing = listNamespaces();
    for (const ns of this.#namespaces.reverse()) {
      if (!existing.includes(ns)) continue;
      // Anything still alive inside our own namespace was started by us (e.g. a grandchild).
      for (const pid of namespacePids(ns)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      deleteNamespace(ns);
    }
    rmSync(this.workDir, { recursive: true, force: true });
    process.removeListener('exit', this.#onExit);
    process.removeListener('SIGINT', this.#onSignal);
    process.removeListener('SIGTERM', this.#onSignal);
  }
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${String(e.stderr ?? err).trim()}`, { cause: err });
  }
}

/** Names of all network namespaces on the machine. */
export function listNamespaces(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
}

function namespacePids(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function deleteNamespace(ns: string): void {
  try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* already gone */ }
}

/** Reads a file a spawned process wrote (helper for tests that point tools at `lab.workDir`). */
export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
