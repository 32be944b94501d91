// A BGP engine in its own process, for interop tests inside a network namespace (Node cannot
// enter a namespace, so each speaker runs as `ip netns exec <ns> node --import tsx speaker-proc.ts`).
//
// argv[2]: a JSON file holding a whole desired state: {"node": "n1", "peers": [PeerText...]} with
//          addresses and prefixes as text (see parse below); re-read on SIGHUP.
// stdout: JSON lines {"event":"state","peer":...,"state":...,"reason":...} on every state change.
// env CAPTURE_DIR: the raw byte stream received from each peer is appended to <dir>/<peer>.bin.
// SIGTERM: engine.stop({graceful: true}) then exit 0.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIP, parsePrefix } from '../../../lib/net/index.ts';
import { BgpEngine, bfdStarter, defaultDialer, type Dialer, type DesiredPeer } from '../../../images/speaker/src/bgp/index.ts';
import { parseCommunity, parseLargeCommunity } from '../../../images/speaker/src/bgp/codec/communities.ts';

interface PeerText {
  address: string;
  asn: number;
  myAsn: number;
  holdTimeSec?: number;
  gracefulRestart?: boolean;
  password?: string;
  routerId?: string;
  bfd?: { receiveIntervalMs: number; transmitIntervalMs: number; detectMultiplier: number };
  advertisements: { prefix: string; communities?: string[]; largeCommunities?: string[]; localPref?: number; med?: number }[];
}

const captureDir = process.env.CAPTURE_DIR;
const dialer: Dialer = async (opts) => {
  const socket = await defaultDialer(opts);
  if (captureDir) {
    const file = join(captureDir, `${opts.remoteAddress.replace(/:/g, '_')}.bin`);
    socket.on('data', (d: Buffer) => appendFileSync(file, d));
  }
  return socket;
};

let engine: BgpEngine | undefined;
const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

function parse(peers: PeerText[]): DesiredPeer[] {
  return peers.map((p) => ({
    spec: {
      address: parseIP(p.address),
      asn: p.asn,
      myAsn: p.myAsn,
      ...(p.holdTimeSec !== undefined ? { holdTimeSec: p.holdTimeSec } : {}),
      ...(p.gracefulRestart !== undefined ? { gracefulRestart: p.gracefulRestart } : {}),
      ...(p.password ? { password: p.password } : {}),
      ...(p.routerId ? { routerId: parseIP(p.routerId) } : {}),
      ...(p.bfd ? { bfd: p.bfd } : {}),
    },
    advertisements: p.advertisements.map((a) => ({
      prefix: parsePrefix(a.prefix),
      communities: (a.communities ?? []).map(parseCommunity),
      largeCommunities: (a.largeCommunities ?? []).map(parseLargeCommunity),
      ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
      ...(a.med !== undefined ? { med: a.med } : {}),
    })),
  }));
}

function apply(): void {
  const msg = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as { node: string; peers: PeerText[] };
  if (!engine) {
    engine = new BgpEngine({ nodeName: msg.node, dialer, debounceMs: 10, startBfd: bfdStarter() });
    engine.on('state', (peer: string, state: string, prev: string, reason?: string) => out({ event: 'state', peer, state, prev, reason, t: Date.now() }));
  }
  engine.set(parse(msg.peers));
  out({ event: 'applied', t: Date.now() });
}

process.on('SIGHUP', apply);
apply();
process.on('SIGTERM', () => {
  void (engine?.stop({ graceful: true }) ?? Promise.resolve()).then(() => process.exit(0));
});
out({ event: 'ready', pid: process.pid });
