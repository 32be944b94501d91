// Fuzzing the BGP decoder and FSM: valid messages (ours and the routers' captured ones) mutated at
// random, cut into random chunks, fed through the framer, the decoder and the Established /
// OpenSent FSM. Checks: nothing throws; every failure is a BgpError with a NOTIFICATION code the
// RFCs define (never the "decoder failure" fallback); the FSM answers a session-reset error with
// exactly that error's NOTIFICATION; a message decoded without problems re-encodes to one that
// decodes the same. Used by fuzz.test.ts (short) and bench/bgp-fuzz.ts (≥ 1M messages).
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parseIP, parsePrefix } from '../../../lib/net/index.ts';
import {
  BgpError,
  Framer,
  decodeFrame,
  encodeEndOfRib,
  encodeMessage,
  packAnnouncements,
  packWithdrawals,
  type CodecContext,
  type Frame,
} from '../../../images/speaker/src/bgp/codec/index.ts';
import { initialPeerState, routerIdFromName, step, type FsmConfig, type FsmContext, type FsmEvent, type PeerState } from '../../../images/speaker/src/bgp/fsm/index.ts';

/** Deterministic PRNG (mulberry32), so a failing seed can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CTX: CodecContext = { fourOctetAs: true, extendedMessage: false };
const TESTDATA = new URL('../../../images/speaker/src/bgp/codec/testdata/', import.meta.url);

/** Whole messages to start from: every kind we send, plus every message the routers sent us. */
export function corpus(): Buffer[] {
  const out: Buffer[] = [];
  const attrs = { origin: 0 as const, asPath: [{ segmentType: 2, asns: [4200000001, 64512] }], med: 5, communities: [0xffffff01], largeCommunities: [{ globalAdmin: 1, localData1: 2, localData2: 3 }], extendedCommunities: [1n] };
  out.push(...packAnnouncements(4, [parsePrefix('198.51.100.10/32'), parsePrefix('203.0.113.0/25')], attrs, [parseIP('192.0.2.11')], CTX));
  out.push(...packAnnouncements(6, [parsePrefix('2001:db8:100::10/128'), parsePrefix('2001:db8::/33')], attrs, [parseIP('2001:db8::11'), parseIP('fe80::1')], CTX));
  out.push(...packWithdrawals(4, [parsePrefix('198.51.100.10/32')], CTX), ...packWithdrawals(6, [parsePrefix('2001:db8:100::10/128')], CTX));
  out.push(encodeEndOfRib(4, CTX), encodeEndOfRib(6, CTX));
  out.push(encodeMessage({ type: 'keepalive' }, CTX), encodeMessage({ type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 }, CTX));
  out.push(encodeMessage({ type: 'notification', code: 6, subcode: 2, data: Buffer.from([2, 0x68, 0x69]) }, CTX));
  out.push(
    encodeMessage(
      {
        type: 'open', version: 4, myAs: 64512, holdTimeSec: 9, bgpId: 0xc0000201,
        capabilities: [{ type: 'multiprotocol', afi: 1, safi: 1 }, { type: 'fourOctetAs', asn: 64512 }, { type: 'gracefulRestart', restartState: true, notification: false, restartTimeSec: 120, families: [{ afi: 1, safi: 1, forwardingState: true }] }],
      },
      CTX,
    ),
  );
  for (const f of readdirSync(TESTDATA)) {
    if (!f.endsWith('-stream.bin')) continue;
    for (const frame of new Framer().push(readFileSync(new URL(f, TESTDATA)))) {
      if (!(frame instanceof BgpError)) out.push(encodeFrameBack(frame));
    }
  }
  return out;
}

function encodeFrameBack(f: Frame): Buffer {
  const b = Buffer.alloc(19 + f.body.length, 0xff);
  b.writeUInt16BE(19 + f.body.length, 16);
  b[18] = f.type;
  f.body.copy(b, 19);
  return b;
}

/** One random mutation of a message. */
export function mutate(msg: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(msg);
  const pick = (n: number) => Math.floor(rnd() * n);
  switch (pick(8)) {
    case 0: // flip some bits in the body
      for (let i = 0, n = 1 + pick(4); i < n && b.length > 19; i++) {
        const at = 19 + pick(b.length - 19);
        b[at] = (b[at] ?? 0) ^ (1 << pick(8));
      }
      return b;
    case 1: // a random byte anywhere, header included
      b[pick(b.length)] = pick(256);
      return b;
    case 2: { // truncate, keeping the header's length field consistent
      const len = 19 + pick(Math.max(1, b.length - 19));
      const t = b.subarray(0, len);
      t.writeUInt16BE(len, 16);
      return Buffer.from(t);
    }
    case 3: // a wrong length field
      b.writeUInt16BE(pick(70000) & 0xffff, 16);
      return b;
    case 4: { // random bytes inserted into the body
      const at = 19 + pick(Math.max(1, b.length - 19));
      const ins = Buffer.from(Array.from({ length: 1 + pick(8) }, () => pick(256)));
      const out = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
      out.writeUInt16BE(Math.min(out.length, 0xffff), 16);
      return out;
    }
    case 5: // an attribute-ish length byte set to an extreme
      if (b.length > 24) b[19 + pick(b.length - 19)] = rnd() < 0.5 ? 0 : 255;
      return b;
    case 6: { // a random body under a valid header of a random type
      const body = Buffer.from(Array.from({ length: pick(64) }, () => pick(256)));
      const out = Buffer.alloc(19 + body.length, 0xff);
      out.writeUInt16BE(out.length, 16);
      out[18] = 1 + pick(5);
      body.copy(out, 19);
      return out;
    }
    default: // unchanged (valid messages must keep passing)
      return b;
  }
}

const FSM_CONFIG: FsmConfig = {
  localAs: 64601, peerAs: 64512, families: [4, 6], holdTimeSec: 90, fallbackRouterId: routerIdFromName('fuzz'),
  connectRetrySec: 2, connectRetryMaxSec: 60, passive: false, gracefulRestart: { restartTimeSec: 120 }, minHoldTimeSec: 3,
};

/** Results of a fuzzing run. */
export interface FuzzStats {
  messages: number;
  decoded: number;
  rejected: number;
  tolerated: number;
  byCode: Record<string, number>;
  failures: { seed: number; index: number; input: string; problem: string }[];
}

function established(ctx: FsmContext): PeerState {
  let s = initialPeerState(false);
  const open = { type: 'open' as const, version: 4, myAs: 64512, holdTimeSec: 9, bgpId: 0xc0000201, capabilities: [{ type: 'multiprotocol' as const, afi: 1, safi: 1 }, { type: 'multiprotocol' as const, afi: 2, safi: 1 }, { type: 'fourOctetAs' as const, asn: 64512 }] };
  for (const e of [{ type: 'manualStart' }, { type: 'tcpConnectionConfirmed', localAddress: parseIP('192.0.2.11') }, { type: 'bgpOpen', open }, { type: 'keepAliveMsg' }] as FsmEvent[]) s = step(s, e, ctx).next;
  return s;
}

/** Runs `count` mutated messages from `seed`; never throws, reports every failed check. */
export function fuzz(count: number, seed: number): FuzzStats {
  const rnd = prng(seed);
  const seeds = corpus();
  const ctx: FsmContext = { config: FSM_CONFIG, random: rnd };
  const up = established(ctx);
  const openSent = step(step(initialPeerState(false), { type: 'manualStart' }, ctx).next, { type: 'tcpConnectionConfirmed', localAddress: parseIP('192.0.2.11') }, ctx).next;
  const stats: FuzzStats = { messages: 0, decoded: 0, rejected: 0, tolerated: 0, byCode: {}, failures: [] };
  const fail = (index: number, input: Buffer, problem: string) => {
    if (stats.failures.length < 20) stats.failures.push({ seed, index, input: input.toString('hex'), problem });
  };
  // Several messages per stream, cut at random points: the framer must not care where.
  for (let i = 0; i < count; ) {
    const batch: Buffer[] = [];
    for (let k = 0, n = 1 + Math.floor(rnd() * 4); k < n && i < count; k++, i++) batch.push(mutate(seeds[Math.floor(rnd() * seeds.length)] as Buffer, rnd));
    const stream = Buffer.concat(batch);
    const framer = new Framer();
    let offset = 0;
    try {
      while (offset < stream.length) {
        const cut = Math.min(stream.length, offset + 1 + Math.floor(rnd() * 300));
        for (const item of framer.push(stream.subarray(offset, cut))) check(item, stream);
        offset = cut;
      }
    } catch (err) {
      fail(i, stream, `threw: ${(err as Error).stack ?? String(err)}`);
    }
    stats.messages += batch.length;
  }
  return stats;

  function check(item: Frame | BgpError, input: Buffer): void {
    let error: BgpError | undefined;
    if (item instanceof BgpError) error = item;
    else {
      const d = decodeFrame(item, CTX);
      if (!d.ok) error = d.error;
      else {
        stats.decoded++;
        if (d.handling !== 'none') stats.tolerated++;
        else if (d.message.type !== 'notification') {
          // A cleanly decoded message survives encode + decode unchanged.
          const again = decodeFrame({ type: item.type, body: encodeMessage(d.message, CTX).subarray(19) }, CTX);
          if (!again.ok || !isDeepStrictEqual(again.message, d.message)) fail(stats.messages, input, `re-encoding changed a ${d.message.type}`);
        }
        const base = d.message.type === 'open' ? openSent : up;
        const e: FsmEvent =
          d.message.type === 'open' ? { type: 'bgpOpen', open: d.message }
          : d.message.type === 'update' ? { type: 'updateMsg', update: d.message, handling: d.handling, problems: d.problems }
          : d.message.type === 'notification' ? { type: 'notifMsg', notification: d.message }
          : d.message.type === 'keepalive' ? { type: 'keepAliveMsg' }
          : { type: 'routeRefreshMsg', afi: d.message.afi, safi: d.message.safi };
        step(base, e, ctx);
        return;
      }
    }
    stats.rejected++;
    stats.byCode[`${error.code}/${error.subcode}`] = (stats.byCode[`${error.code}/${error.subcode}`] ?? 0) + 1;
    if (error.message.startsWith('decoder failure') || error.code < 1 || error.code > 7) fail(stats.messages, input, `unexpected error: ${error.message}`);
    // The FSM must answer with exactly this error's NOTIFICATION and go to Idle.
    const t = step(up, { type: 'messageError', error }, ctx);
    const sent = t.actions.find((a) => a.type === 'send');
    if (t.next.state !== 'Idle' || !sent || sent.type !== 'send' || sent.message.type !== 'notification' || sent.message.code !== error.code || sent.message.subcode !== error.subcode) {
      fail(stats.messages, input, `FSM did not answer ${error.code}/${error.subcode}`);
    }
  }
}
