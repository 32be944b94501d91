// Which interfaces the responder opens. Default: every interface that is up, can broadcast, does
// ARP, is not enslaved to a bridge or bond, and is not one of the usual virtual ones (the list of
// DESIGN §2.1, MetalLB's metallb-excludel2 plus cilium_*). Reads /sys/class/net.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Name patterns never used by default (a class naming one explicitly still gets it). */
export const DEFAULT_EXCLUDED = [/^lo$/, /^docker/, /^cbr/, /^dummy/, /^virbr/, /^lxc/, /^veth/, /^cali/, /^tunl/, /^flannel/, /^kube-ipvs/, /^cni/, /^nodelocaldns/, /^cilium_/];

const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_NOARP = 0x80;

/** What the responder needs to know about a link. */
export interface LinkInfo {
  name: string;
  mac: string;
  up: boolean;
  broadcast: boolean;
  noarp: boolean;
  enslaved: boolean;
}

/** Reads one link from sysfs; undefined if it does not exist. */
export function readLink(name: string, sys = '/sys/class/net'): LinkInfo | undefined {
  const dir = `${sys}/${name}`;
  if (!existsSync(dir)) return undefined;
  try {
    const flags = parseInt(readFileSync(`${dir}/flags`, 'utf8').trim(), 16);
    const oper = readFileSync(`${dir}/operstate`, 'utf8').trim();
    return {
      name,
      mac: readFileSync(`${dir}/address`, 'utf8').trim().toLowerCase(),
      up: (flags & IFF_UP) !== 0 && oper !== 'down' && oper !== 'lowerlayerdown',
      broadcast: (flags & IFF_BROADCAST) !== 0,
      noarp: (flags & IFF_NOARP) !== 0,
      enslaved: existsSync(`${dir}/master`),
    };
  } catch {
    return undefined; // vanished between the listing and the read
  }
}

/** All links on this node (in the current network namespace). */
export function listLinks(sys = '/sys/class/net'): LinkInfo[] {
  let names: string[];
  try { names = readdirSync(sys); } catch { return []; }
  return names.map((n) => readLink(n, sys)).filter((l): l is LinkInfo => l !== undefined);
}

/** Why a link is not used by default, or undefined when it is. */
export function defaultExclusion(l: LinkInfo): string | undefined {
  if (DEFAULT_EXCLUDED.some((re) => re.test(l.name))) return 'excluded-name';
  if (l.enslaved) return 'enslaved';
  if (!l.broadcast) return 'no-broadcast';
  if (l.noarp) return 'noarp';
  return undefined;
}

/**
 * Interfaces to answer on for a list of announcements' interface choices: explicit names as given
 * (missing or down ones are the caller's error to report), `undefined` = the default selection.
 */
export function selectInterfaces(explicit: readonly string[] | undefined, links: readonly LinkInfo[]): string[] {
  if (explicit && explicit.length > 0) return [...explicit];
  return links.filter((l) => defaultExclusion(l) === undefined).map((l) => l.name);
}
