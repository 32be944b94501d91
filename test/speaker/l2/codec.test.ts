// ARP and NDP codecs against the byte tables of reference/l2.md A1/A3, one row per drop reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { answerArp, arpAnnouncements, decodeArp, encodeArp, ARP_OP_REPLY, ARP_OP_REQUEST } from '../../../images/speaker/src/l2/arp.ts';
import { answerNs, decodeNa, decodeNs, encodeNs, icmpv6Checksum, multicastMac, solicitedNodeGroup, unsolicitedNa } from '../../../images/speaker/src/l2/ndp.ts';

const OUR = '02:00:00:00:00:11';
const CLIENT = '02:00:00:00:00:01';
const owns = (ip: string): boolean => ip === '192.0.2.100' || ip === '2001:db8::100';

// "who-has 192.0.2.100 tell 192.0.2.1", as arping sends it (42 bytes on a veth).
const whoHas = Buffer.from(
  'ffffffffffff' + '020000000001' + '0806' + // eth dst broadcast, src client, ARP
  '0001' + '0800' + '06' + '04' + '0001' + // htype 1, ptype IPv4, hlen 6, plen 4, op request
  '020000000001' + 'c0000201' + // sha client, spa 192.0.2.1
  '000000000000' + 'c0000264', // tha 0, tpa 192.0.2.100
  'hex');

test('ARP: a broadcast request for an owned IP gets a unicast reply from our MAC (RFC 826)', () => {
  const d = answerArp(whoHas, OUR, owns);
  assert.equal(d.type, 'reply');
  if (d.type !== 'reply') return;
  assert.equal(d.frame.toString('hex'),
    '020000000001' + '020000000011' + '0806' + '0001080006040002' +
    '020000000011' + 'c0000264' + '020000000001' + 'c0000201');
});

test('ARP: drop reasons', async (t) => {
  const rows: { name: string; frame: Buffer; reason: string }[] = [
    { name: 'a request for an IP we do not hold is not answered', frame: encodeArp({ ...req(), tpa: '192.0.2.111' }), reason: 'not-owned' },
    { name: 'a reply is never answered', frame: encodeArp({ ...req(), op: ARP_OP_REPLY }), reason: 'not-request' },
    { name: 'a unicast request to another MAC (seen in promiscuous mode) is not ours', frame: encodeArp({ ...req(), ethDst: '02:00:00:00:00:12' }), reason: 'not-for-us' },
    { name: 'our own announcement coming back from the capture is ignored', frame: encodeArp({ ...req(), ethSrc: OUR, sha: OUR }), reason: 'from-self' },
    { name: 'a truncated frame is malformed', frame: whoHas.subarray(0, 30), reason: 'malformed' },
  ];
  for (const r of rows) await t.test(r.name, () => assert.deepEqual(answerArp(r.frame, OUR, owns), { type: 'drop', reason: r.reason }));
});

test('ARP: a unicast refresh to our MAC and an RFC 5227 probe (spa 0.0.0.0) are answered', () => {
  assert.equal(answerArp(encodeArp({ ...req(), ethDst: OUR }), OUR, owns).type, 'reply');
  const probe = answerArp(encodeArp({ ...req(), spa: '0.0.0.0' }), OUR, owns);
  assert.equal(probe.type, 'reply');
  if (probe.type === 'reply') assert.equal((decodeArp(probe.frame) as { tpa: string }).tpa, '0.0.0.0');
});

test('ARP: announcements are a request with spa = tpa and a reply with tha = sha (RFC 5227, 5944)', () => {
  const [a, r] = arpAnnouncements('192.0.2.100', OUR).map(decodeArp);
  assert.deepEqual(a, { ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: OUR, op: ARP_OP_REQUEST, sha: OUR, spa: '192.0.2.100', tha: '00:00:00:00:00:00', tpa: '192.0.2.100' });
  assert.deepEqual(r, { ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: OUR, op: ARP_OP_REPLY, sha: OUR, spa: '192.0.2.100', tha: OUR, tpa: '192.0.2.100' });
});

test('NDP: solicited-node group and its MAC for 2001:db8::100 (RFC 4291 §2.7.1, RFC 2464 §7)', () => {
  assert.equal(solicitedNodeGroup('2001:db8::100'), 'ff02::1:ff00:100');
  assert.equal(multicastMac('ff02::1:ff00:100'), '33:33:ff:00:01:00');
});

test('NDP: a multicast NS with SLLA gets a unicast NA S=1 O=1 from the VIP with TLLA and valid checksum', () => {
  const ns = encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100' });
  const d = answerNs(ns, OUR, owns);
  assert.equal(d.type, 'reply');
  if (d.type !== 'reply') return;
  assert.equal(d.frame.subarray(0, 6).toString('hex'), '020000000001');
  assert.equal(d.frame[21], 255);
  assert.equal(icmpv6Checksum(d.frame.subarray(22, 38), d.frame.subarray(38, 54), d.frame.subarray(54)), 0);
  assert.deepEqual(decodeNa(d.frame), { target: '2001:db8::100', solicited: true, override: true, tlla: OUR, src: '2001:db8::100', dst: '2001:db8::1' });
});

test('NDP: a unicast NUD probe without SLLA is answered to the frame source', () => {
  const ns = encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100', slla: false, unicastTo: OUR });
  const d = answerNs(ns, OUR, owns);
  assert.equal(d.type, 'reply');
  if (d.type === 'reply') assert.equal(d.frame.subarray(0, 6).toString('hex'), '020000000001');
});

test('NDP: a DAD probe from :: is answered to all-nodes with S=0 (RFC 4861 §7.2.4)', () => {
  const ns = encodeNs({ src: '::', srcMac: CLIENT, target: '2001:db8::100', slla: false });
  const d = answerNs(ns, OUR, owns);
  assert.equal(d.type, 'reply');
  if (d.type === 'reply') assert.deepEqual(decodeNa(d.frame), { target: '2001:db8::100', solicited: false, override: true, tlla: OUR, src: '2001:db8::100', dst: 'ff02::1' });
});

test('NDP: RFC 4861 §7.1.1 validation and drop reasons', async (t) => {
  const good = (): Buffer => encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100' });
  const badSum = good(); badSum[60] = (badSum[60] as number) ^ 0xff;
  const rows: { name: string; frame: Buffer; reason: string; detail?: string }[] = [
    { name: 'hop limit below 255 means it crossed a router', frame: encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100', hopLimit: 64 }), reason: 'malformed', detail: 'hop-limit' },
    { name: 'a corrupted checksum is discarded', frame: badSum, reason: 'malformed', detail: 'bad-checksum' },
    { name: 'DAD with an SLLA option is invalid', frame: encodeNs({ src: '::', srcMac: CLIENT, target: '2001:db8::100', slla: true }), reason: 'malformed', detail: 'bad-dad' },
    { name: 'a truncated frame', frame: good().subarray(0, 70), reason: 'malformed', detail: 'short' },
    { name: 'a target we do not hold', frame: encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::111' }), reason: 'not-owned' },
    { name: 'a unicast NS to another MAC (promiscuous capture)', frame: encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100', unicastTo: '02:00:00:00:00:12' }), reason: 'not-for-us' },
    { name: 'our own frames', frame: encodeNs({ src: '2001:db8::11', srcMac: OUR, target: '2001:db8::100' }), reason: 'from-self' },
  ];
  for (const r of rows) {
    await t.test(r.name, () => {
      const d = answerNs(r.frame, OUR, owns);
      assert.equal(d.type, 'drop');
      if (d.type !== 'drop') return;
      assert.equal(d.reason, r.reason);
      if (r.detail) assert.equal(d.detail, r.detail);
    });
  }
  assert.equal(decodeNs(good()).constructor, Object);
});

test('NDP: an unsolicited NA goes to ff02::1 with S=0 O=1 (takeover must override caches)', () => {
  const na = unsolicitedNa('2001:db8::100', OUR);
  assert.equal(na.subarray(0, 6).toString('hex'), '333300000001');
  assert.deepEqual(decodeNa(na), { target: '2001:db8::100', solicited: false, override: true, tlla: OUR, src: '2001:db8::100', dst: 'ff02::1' });
});

test('property: decisions never throw on arbitrary bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
    const f = Buffer.from(bytes);
    answerArp(f, OUR, owns);
    answerNs(f, OUR, owns);
    // Same with a valid Ethernet/IPv6/ICMPv6 prefix so the deeper checks run.
    const ns = encodeNs({ src: '2001:db8::1', srcMac: CLIENT, target: '2001:db8::100' });
    answerNs(Buffer.concat([ns.subarray(0, 56), f]), OUR, owns);
  }));
});

function req(): Parameters<typeof encodeArp>[0] {
  return { ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: CLIENT, op: ARP_OP_REQUEST, sha: CLIENT, spa: '192.0.2.1', tha: '00:00:00:00:00:00', tpa: '192.0.2.100' };
}
