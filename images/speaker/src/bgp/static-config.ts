// From the parsed `bgp` section (lib/config, DESIGN §2.1) to the engine's desired peers, and the
// hook the speaker process calls with every desired state.
import type { BgpConfig } from '../../../../lib/config/index.ts';
import { formatIP, parseIP, parsePrefix, type IPAddress } from '../../../../lib/net/index.ts';
import { BfdSession, UdpBfdTransport, systemClock as bfdClock } from '../bfd/index.ts';
import type { DesiredState } from '../state.ts';
import type { Advertisement } from './advertisement.ts';
import { parseCommunity, parseLargeCommunity } from './codec/communities.ts';
import { BgpEngine, type BgpEngineOptions, type DesiredPeer } from './engine.ts';

/**
 * Peers with their advertisements. IPv4 prefixes go to IPv4 peers and IPv6 prefixes to IPv6 peers
 * (DESIGN §2.1); an advertisement without `peers` goes to every peer. The config parser has
 * already checked every value, so parse failures here are bugs and throw.
 */
export function desiredPeersFromConfig(bgp: BgpConfig): DesiredPeer[] {
  const routerId: IPAddress | undefined = bgp.routerID ? parseIP(bgp.routerID) : undefined;
  // Each prefix parsed once and each route object shared by the peers it goes to (10k+ prefixes
  // per family: parsing them again per peer was a visible part of the start-up).
  const parsed = bgp.advertisements.map((a) => {
    const communities = a.communities.map(parseCommunity);
    const largeCommunities = a.largeCommunities.map(parseLargeCommunity);
    const routes: Advertisement[] = a.prefixes.map((text) => ({
      prefix: parsePrefix(text), communities, largeCommunities, ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
    }));
    return { peers: a.peers, routes };
  });
  return bgp.peers.map((p) => {
    const address = parseIP(p.address);
    const advertisements: Advertisement[] = [];
    for (const a of parsed) {
      if (a.peers && !a.peers.includes(p.address)) continue;
      for (const r of a.routes) if (r.prefix.address.family === address.family) advertisements.push(r);
    }
    return {
      spec: {
        address,
        asn: p.asn,
        myAsn: p.myASN,
        port: p.port,
        holdTimeSec: Math.round(p.holdTimeMs / 1000),
        ebgpMultihop: p.ebgpMultihop,
        gtsm: p.gtsm,
        gracefulRestart: p.gracefulRestart,
        ...(p.password ? { password: p.password } : {}),
        ...(p.sourceAddress ? { sourceAddress: parseIP(p.sourceAddress) } : {}),
        ...(routerId ? { routerId } : {}),
        ...(p.bfd ? { bfd: p.bfd } : {}),
      },
      advertisements,
    };
  });
}

/** Starts a real BFD session (images/speaker/src/bfd) for a BGP session that just came up. */
export function bfdStarter(transport = new UdpBfdTransport()): NonNullable<BgpEngineOptions['startBfd']> {
  return (peer, local) => {
    const bfd = peer.bfd;
    if (!bfd) throw new Error('peer has no BFD settings');
    return new BfdSession(
      {
        local: formatIP(local),
        peer: formatIP(peer.address),
        receiveInterval: bfd.receiveIntervalMs,
        transmitInterval: bfd.transmitIntervalMs,
        detectMultiplier: bfd.detectMultiplier,
        multihop: peer.ebgpMultihop !== false,
      },
      transport,
      bfdClock,
    );
  };
}

/**
 * What the speaker process calls (images/speaker/src/speaker.ts `BgpEngineHook`): whole desired
 * states in. The engine is made on the first state, which names the node (router ID fallback).
 */
export class SpeakerBgp {
  #opts: Omit<BgpEngineOptions, 'nodeName'>;
  #engine: BgpEngine | undefined;

  constructor(opts: Omit<BgpEngineOptions, 'nodeName'>) {
    this.#opts = opts;
  }

  get engine(): BgpEngine | undefined {
    return this.#engine;
  }

  set(desired: DesiredState): void {
    if (!this.#engine && !desired.bgp) return;
    this.#engine ??= new BgpEngine({ ...this.#opts, nodeName: desired.node });
    this.#engine.set(desired.bgp ? desiredPeersFromConfig(desired.bgp) : []);
  }

  /** SIGTERM: Cease to every peer, except GR peers, which keep our routes while we restart. */
  async stop(): Promise<void> {
    await this.#engine?.stop({ graceful: true });
  }
}
