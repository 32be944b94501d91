// The router of BGP scenarios: real FRR (zebra + bgpd from the Debian package) in the router's
// namespace, accepting BGP sessions from any node of the segment (dynamic neighbours, eBGP),
// installing the Service routes with ECMP into the router's kernel, announcing nothing back.
// Daemons run in the foreground (tracked by PID), as the `frr` user, with every runtime path under
// the lab's work directory.
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { NetnsLab, NsProcess } from '../test/support/netns.ts';
import type { ScenarioRouter } from './scenario.ts';

const FRR_BIN = '/usr/lib/frr';

/** A running FRR router. */
export interface FrrRouter {
  /** Runs one vtysh command and returns its output. */
  vtysh(command: string): string;
  /** Next hops of `prefix` installed in the router's kernel (FIB), sorted. */
  fibNexthops(prefix: string): string[];
  processes: NsProcess[];
}

/** bgpd configuration: dynamic eBGP neighbours from `subnet`, ECMP, nothing announced. */
export function bgpdConfig(router: ScenarioRouter, subnet: string): string {
  return [
    `hostname ${router.name}`,
    'log stdout informational',
    '!',
    'route-map DENY-ALL deny 10',
    '!',
    `router bgp ${router.asn}`,
    ` bgp router-id ${router.address}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ' bgp bestpath as-path multipath-relax',
    ' bgp log-neighbor-changes',
    ' neighbor NODES peer-group',
    ' neighbor NODES remote-as external',
    ' neighbor NODES timers 3 9',
    // TCP-MD5 on the listen socket for the whole range: a node without the password gets no session.
    ...(router.password !== undefined ? [` neighbor NODES password ${router.password}`] : []),
    ` bgp listen range ${subnet} peer-group NODES`,
    ' address-family ipv4 unicast',
    '  neighbor NODES activate',
    '  neighbor NODES route-map DENY-ALL out',
    '  maximum-paths 16',
    ' exit-address-family',
    '!',
    '',
  ].join('\n');
}

/** Starts zebra and bgpd in the router namespace `name`. */
export async function startFrr(lab: NetnsLab, name: string, router: ScenarioRouter, subnet: string): Promise<FrrRouter> {
  const dir = join(lab.workDir, 'frr');
  mkdirSync(dir, { recursive: true });
  // The daemons drop privileges to frr:frr: they must reach and own their directory.
  chmodSync(lab.workDir, 0o711);
  writeFileSync(join(dir, 'zebra.conf'), `hostname ${router.name}\nlog stdout informational\n`);
  writeFileSync(join(dir, 'bgpd.conf'), bgpdConfig(router, subnet));
  const uid = Number(execFileSync('id', ['-u', 'frr'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'frr'], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
  for (const f of ['zebra.conf', 'bgpd.conf']) chownSync(join(dir, f), uid, gid);
  const common = ['-u', 'frr', '-g', 'frr', '-P', '0', '-z', join(dir, 'zserv.api'), '--vty_socket', dir];
  const zebra = lab.spawn(name, join(FRR_BIN, 'zebra'), [...common, '-f', join(dir, 'zebra.conf'), '-i', join(dir, 'zebra.pid')], { name: 'frr-zebra' });
  const vtysh = (command: string): string => execFileSync('vtysh', ['--vty_socket', dir, '-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const until = Date.now() + 20_000;
  const bgpd = await (async () => {
    for (;;) {
      try { vtysh('show version'); break; } catch { /* zebra not up yet */ }
      if (Date.now() > until) throw new Error(`zebra did not start: ${zebra.output().slice(-1000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return lab.spawn(name, join(FRR_BIN, 'bgpd'), [...common, '-f', join(dir, 'bgpd.conf'), '-i', join(dir, 'bgpd.pid')], { name: 'frr-bgpd' });
  })();
  for (;;) {
    try { vtysh('show bgp summary'); break; } catch { /* bgpd not up yet */ }
    if (Date.now() > until) throw new Error(`bgpd did not start: ${bgpd.output().slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    vtysh,
    fibNexthops(prefix) {
      const routes = JSON.parse(vtysh(`show ip route ${prefix} json`) || '{}') as Record<string, { nexthops?: { ip?: string; fib?: boolean }[] }[]>;
      return (routes[prefix] ?? []).flatMap((r) => (r.nexthops ?? []).filter((n) => n.fib && n.ip).map((n) => n.ip!)).sort();
    },
    processes: [zebra, bgpd],
  };
}
