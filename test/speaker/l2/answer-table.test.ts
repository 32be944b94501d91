// The capture worker's byte-level answerer (answer-table.ts) against the readable codecs (arp.ts,
// ndp.ts): for every frame, the same decision and the same reply bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AnswerTable, Verdict } from '../../../images/speaker/src/l2/answer-table.ts';
import { answerArp, encodeArp, ARP_OP_REPLY, ARP_OP_REQUEST, type ArpPacket } from '../../../images/speaker/src/l2/arp.ts';
import { answerNs, encodeNs } from '../../../images/speaker/src/l2/ndp.ts';
import { icmpv6Checksum } from '../../../images/speaker/src/l2/ndp.ts';

const OUR = '02:00:00:00:00:11';
const CLIENT = '02:00:00:00:00:01';
const OWNED = ['192.0.2.100', '2001:db8::100', '2001:db8:1::100', '192.0.2.7'];
const owns = (ip: string): boolean => OWNED.includes(ip);

function table(): AnswerTable {
  const t = new AnswerTable(OUR);
  t.setOwned(OWNED);
  return t;
}

/** The table's verdict in the codecs' terms. */
function viaTable(t: AnswerTable, frame: Buffer): { type: 'reply'; frame: string } | { type: 'drop' } {
  const v = t.answer(frame, frame.length);
  if (v === Verdict.ArpReply) return { type: 'reply', frame: t.arpReply.toString('hex') };
  if (v === Verdict.NaReply) return { type: 'reply', frame: t.naReply.toString('hex') };
  return { type: 'drop' };
}

function viaCodec(frame: Buffer): { type: 'reply'; frame: string } | { type: 'drop' } {
  const isArp = frame.length >= 14 && frame.readUInt16BE(12) === 0x0806;
  const d = isArp ? answerArp(frame, OUR, owns) : answerNs(frame, OUR, owns);
  return d.type === 'reply' ? { type: 'reply', frame: d.frame.toString('hex') } : { type: 'drop' };
}

const arpReq = (over: Partial<ArpPacket> = {}): Buffer => encodeArp({
  ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: CLIENT, op: ARP_OP_REQUEST, sha: CLIENT, spa: '192.0.2.1', tha: '00:00:00:00:00:00', tpa: '192.0.2.100', ...over,
});

/** Recomputes the ICMPv6 checksum of an NS frame after a change. */
function fixSum(b: Buffer): Buffer {
  b.writeUInt16BE(0, 56);
  b.writeUInt16BE(icmpv6Checksum(b.subarray(22, 38), b.subarray(38, 54), b.subarray(54, 54 + b.readUInt16BE(18))), 56);
  return b;
}

const cases: { name: string; frame: Buffer }[] = [
  { name: 'ARP broadcast request for an owned IP', frame: arpReq() },
  { name: 'ARP request for a second owned IP', frame: arpReq({ tpa: '192.0.2.7' }) },
  { name: 'ARP unicast refresh to our MAC', frame: arpReq({ ethDst: OUR }) },
  { name: 'ARP probe from 0.0.0.0', frame: arpReq({ spa: '0.0.0.0' }) },
  { name: 'ARP request for another IP', frame: arpReq({ tpa: '192.0.2.111' }) },
  { name: 'ARP reply', frame: arpReq({ op: ARP_OP_REPLY }) },
  { name: 'ARP unicast to another MAC', frame: arpReq({ ethDst: '02:00:00:00:00:12' }) },
  { name: 'ARP from our own MAC', frame: arpReq({ ethSrc: OUR, sha: OUR }) },
  { name: 'ARP truncated', frame: arpReq().subarray(0, 30) },
  { name: 'ARP padded to 60 bytes', frame: Buffer.concat([arpReq(), Buffer.alloc(18)]) },
  { name: 'NS to the solicited-node group with SLLA', frame: encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100' }) },
  { name: 'NS for an owned IP with the same low 32 bits', frame: encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8:1::100' }) },
  { name: 'NS without SLLA (NUD), unicast to our MAC', frame: encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100', slla: false, unicastTo: OUR }) },
  { name: 'NS unicast to another MAC', frame: encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100', unicastTo: '02:00:00:00:00:12' }) },
  { name: 'NS DAD from ::', frame: encodeNs({ src: '::', srcMac: CLIENT, target: '2001:db8::100', slla: false }) },
  { name: 'NS DAD with SLLA (invalid)', frame: encodeNs({ src: '::', srcMac: CLIENT, target: '2001:db8::100' }) },
  { name: 'NS hop limit 64', frame: encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100', hopLimit: 64 }) },
  { name: 'NS for another IP', frame: encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::101' }) },
  { name: 'NS from our own MAC', frame: encodeNs({ src: '2001:db8::1', srcMac: OUR, target: '2001:db8::100' }) },
  { name: 'NS with a bad checksum', frame: (() => { const b = encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100' }); b[57] = (b[57] as number) ^ 1; return b; })() },
  { name: 'NS with a zero-length option', frame: fixSum((() => { const b = encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100' }); b[54 + 25] = 0; return b; })()) },
  { name: 'NS with a nonzero code', frame: fixSum((() => { const b = encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100' }); b[55] = 1; return b; })()) },
];

test('answer table: the same decision and reply bytes as the codecs', async (t) => {
  const tb = table();
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(viaTable(tb, c.frame), viaCodec(c.frame)));
});

test('answer table: random corruptions of valid requests are decided like the codecs', () => {
  const tb = table();
  const bases = [arpReq(), encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100' }), encodeNs({ src: '::', srcMac: CLIENT, target: '2001:db8::100', slla: false })];
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.boolean(), (bi, edits, fix) => {
    const b = Buffer.from(bases[bi] as Buffer);
    for (const [i, v] of edits) b[i % b.length] = v;
    if (fix && bi > 0 && b.length >= 78 && b.readUInt16BE(18) >= 24 && 54 + b.readUInt16BE(18) <= b.length) fixSum(b);
    assert.deepEqual(viaTable(tb, b), viaCodec(b));
  }), { numRuns: 3000 });
});

test('answer table: counters per IP and reason, emptied when taken; a new owned set stops answers', () => {
  const tb = table();
  for (const f of [arpReq(), arpReq(), arpReq({ tpa: '192.0.2.111' })]) if (tb.answer(f, f.length) !== Verdict.Drop) tb.responded();
  assert.deepEqual(tb.takeCounters(), {
    requests: { 'arp:192.0.2.100': 2 }, responses: { 'arp:192.0.2.100': 2 }, dropped: { 'arp:not-owned': 1 }, sendErrors: 0,
  });
  assert.equal(tb.takeCounters(), undefined);
  tb.setOwned(['192.0.2.7']);
  const f = arpReq();
  assert.equal(tb.answer(f, f.length), Verdict.Drop);
});
