// What a BGP Service asks for (DESIGN §3): requested IPs and the sharing key, from the Deckhouse
// annotations or their MetalLB twins. One IP per family (MetalLB's BGP behaviour); the first
// requested IP of a family pins it. Problems are sentences for InvalidAnnotation Events.
import { tryParseIP, type IPAddress } from '../net/index.ts';

export const BgpAnnotations = {
  pinnedIPs: 'network.deckhouse.io/load-balancer-ips',
  sharedIPKey: 'network.deckhouse.io/load-balancer-shared-ip-key',
  metallbIPs: ['metallb.universe.tf/loadBalancerIPs', 'metallb.io/loadBalancerIPs'],
  metallbSharing: ['metallb.universe.tf/allow-shared-ip', 'metallb.io/allow-shared-ip'],
  /** L2 only: BGP Services get one IP per family. */
  ipsCount: 'network.deckhouse.io/l2-load-balancer-external-ips-count',
} as const;

/** The request of one BGP Service. */
export interface BgpWish {
  readonly pins: readonly IPAddress[];
  readonly sharingKey: string;
  readonly problems: readonly string[];
}

/** Reads requested IPs and sharing key; the Deckhouse annotation wins over the MetalLB ones. */
export function readBgpWish(svc: { readonly annotations: Readonly<Record<string, string>>; readonly loadBalancerIP: string }): BgpWish {
  const problems: string[] = [];
  const first = (keys: readonly string[]): [string, string] | undefined => {
    for (const k of keys) {
      const v = svc.annotations[k];
      if (v !== undefined && v.trim() !== '') return [k, v];
    }
    return undefined;
  };
  const pins: IPAddress[] = [];
  const source = first([BgpAnnotations.pinnedIPs, ...BgpAnnotations.metallbIPs]);
  if (source) {
    for (const raw of source[1].split(',')) {
      const t = raw.trim();
      if (t === '') continue;
      const a = tryParseIP(t);
      if (!a) { problems.push(`${source[0]}: ${JSON.stringify(t)} is not an IP address`); continue; }
      if (pins.some((p) => p.family === a.family)) { problems.push(`${source[0]}: a BGP Service gets one IP per family; ${t} is ignored`); continue; }
      pins.push(a);
    }
  }
  if (svc.loadBalancerIP.trim() !== '') {
    const a = tryParseIP(svc.loadBalancerIP.trim());
    if (!a) problems.push(`spec.loadBalancerIP: ${JSON.stringify(svc.loadBalancerIP)} is not an IP address`);
    else if (!pins.some((p) => p.family === a.family)) pins.push(a);
  }
  const count = svc.annotations[BgpAnnotations.ipsCount];
  if (count !== undefined && count.trim() !== '1') problems.push(`${BgpAnnotations.ipsCount}: a BGP Service gets one IP per family (every speaker announces it); ${JSON.stringify(count)} is ignored`);
  const sharing = first([BgpAnnotations.sharedIPKey, ...BgpAnnotations.metallbSharing]);
  return { pins, sharingKey: sharing ? sharing[1].trim() : '', problems };
}
