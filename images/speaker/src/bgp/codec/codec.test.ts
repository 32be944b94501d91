import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseIP, parsePrefix } from '../../../../../lib/net/index.ts';
import {
  AS_TRANS,
  AsPathSegmentType,
  DEFAULT_CONTEXT,
  Framer,
  KEEPALIVE,
  decodeMessage,
  encodeEndOfRib,
  encodeMessage,
  isEndOfRib,
  packAnnouncements,
  packWithdrawals,
  parseCommunity,
  parseLargeCommunity,
  type BgpMessage,
  type CodecContext,
  type UpdateMessage,
} from './index.ts';

const FOUR: CodecContext = { fourOctetAs: true, extendedMessage: false };

function roundTrip(m: BgpMessage, ctx: CodecContext = FOUR): BgpMessage {
  const d = decodeMessage(encodeMessage(m, ctx), ctx);
  assert.ok(d.ok, d.ok ? '' : d.error.message);
  return d.message;
}

test('an OPEN with every capability we send survives a round trip', () => {
  const open: BgpMessage = {
    type: 'open',
    version: 4,
    myAs: AS_TRANS,
    holdTimeSec: 90,
    bgpId: 0xc000020b,
    capabilities: [
      { type: 'multiprotocol', afi: 1, safi: 1 },
      { type: 'multiprotocol', afi: 2, safi: 1 },
      { type: 'routeRefresh' },
      { type: 'fourOctetAs', asn: 4200000001 },
      { type: 'extendedMessage' },
      { type: 'gracefulRestart', restartState: true, notification: false, restartTimeSec: 120, families: [{ afi: 1, safi: 1, forwardingState: true }] },
      { type: 'unknown', code: 73, value: Buffer.from([2, 0x6e, 0x31, 0]) },
    ],
  };
  assert.deepEqual(roundTrip(open), open);
});

test('an OPEN byte table from a 4-octet AS speaker decodes field by field', () => {
  const bytes = Buffer.from([
    ...Buffer.alloc(16, 0xff), 0, 37, 1, // header: length 37, type OPEN
    4, //                 version
    0x5b, 0xa0, //        My AS = 23456 (AS_TRANS)
    0, 9, //              hold time 9 s
    192, 0, 2, 1, //      BGP Identifier 192.0.2.1
    8, //                 optional parameters length
    2, 6, //              parameter: capabilities, 6 octets
    65, 4, 0xfa, 0x56, 0xea, 0x01, // 4-octet AS 4200000001
  ]);
  const d = decodeMessage(bytes, DEFAULT_CONTEXT);
  assert.ok(d.ok);
  assert.deepEqual(d.message, {
    type: 'open', version: 4, myAs: 23456, holdTimeSec: 9, bgpId: 0xc0000201,
    capabilities: [{ type: 'fourOctetAs', asn: 4200000001 }],
  });
});

const attrs = {
  origin: 0 as const,
  asPath: [{ segmentType: AsPathSegmentType.AS_SEQUENCE, asns: [4200000001, 64512] }],
  med: 10,
  localPref: 200,
  communities: [parseCommunity('65535:65282'), parseCommunity('no-export')],
  largeCommunities: [parseLargeCommunity('4200000001:1:2')],
  extendedCommunities: [0x0002fde800000064n],
};

test('an IPv4 UPDATE with every attribute survives a round trip on a 4-octet session', () => {
  const m: UpdateMessage = {
    type: 'update',
    withdrawn: [parsePrefix('203.0.113.0/24')],
    attributes: { ...attrs, nextHop: parseIP('192.0.2.11') },
    nlri: [parsePrefix('198.51.100.10/32'), parsePrefix('198.51.100.0/25'), parsePrefix('0.0.0.0/0')],
  };
  assert.deepEqual(roundTrip(m), m);
});

test('a 4-octet AS path on a 2-octet session travels as AS_TRANS plus AS4_PATH and is merged back', () => {
  const m: UpdateMessage = { type: 'update', withdrawn: [], attributes: { ...attrs, nextHop: parseIP('192.0.2.11') }, nlri: [parsePrefix('198.51.100.10/32')] };
  const wire = encodeMessage(m, DEFAULT_CONTEXT);
  assert.ok(wire.includes(Buffer.from([0x5b, 0xa0, 0xfc, 0x00])), 'AS_PATH holds AS_TRANS then 64512');
  assert.ok(wire.includes(Buffer.from([0xc0, 17])), 'AS4_PATH is present');
  assert.deepEqual(roundTrip(m, DEFAULT_CONTEXT), m);
});

test('an IPv6 UPDATE with global and link-local next hops survives a round trip', () => {
  const m: UpdateMessage = {
    type: 'update',
    withdrawn: [],
    attributes: {
      mpReach: { afi: 2, safi: 1, nextHops: [parseIP('2001:db8:0:1::11'), parseIP('fe80::1')], nlri: [parsePrefix('2001:db8:100::10/128'), parsePrefix('2001:db8::/33')] },
      mpUnreach: { afi: 2, safi: 1, withdrawn: [parsePrefix('2001:db8:200::/48')] },
      origin: 0,
      asPath: [],
    },
    nlri: [],
  };
  assert.deepEqual(roundTrip(m), m);
});

test('NOTIFICATION, KEEPALIVE and ROUTE-REFRESH survive a round trip', () => {
  for (const m of [
    { type: 'notification', code: 6, subcode: 2, data: Buffer.from([3, 0x62, 0x79, 0x65]) },
    { type: 'keepalive' },
    { type: 'routeRefresh', afi: 2, safi: 1, subtype: 0 },
  ] as BgpMessage[]) {
    assert.deepEqual(roundTrip(m), m);
  }
  assert.equal(KEEPALIVE.length, 19);
});

test('End-of-RIB markers are recognised for both families', () => {
  for (const f of [4, 6] as const) {
    const d = decodeMessage(encodeEndOfRib(f, FOUR), FOUR);
    assert.ok(d.ok && d.message.type === 'update' && isEndOfRib(d.message));
  }
  assert.equal(encodeEndOfRib(4, FOUR).length, 23);
});

test('10,000 IPv4 /32 pack into 4096-octet UPDATEs that decode back to the same prefixes', () => {
  const prefixes = Array.from({ length: 10000 }, (_, i) => parsePrefix(`198.18.${i >> 8}.${i & 255}/32`));
  const msgs = packAnnouncements(4, prefixes, { origin: 0, asPath: [] }, [parseIP('192.0.2.11')], FOUR);
  assert.ok(msgs.every((m) => m.length <= 4096));
  assert.ok(msgs.length <= 13, `${msgs.length} UPDATEs`);
  const back = msgs.flatMap((m) => {
    const d = decodeMessage(m, FOUR);
    assert.ok(d.ok && d.message.type === 'update');
    return d.message.nlri;
  });
  assert.deepEqual(back, prefixes);
});

test('10,000 IPv6 /128 pack into MP_REACH UPDATEs and withdraw into MP_UNREACH UPDATEs', () => {
  const prefixes = Array.from({ length: 10000 }, (_, i) => parsePrefix(`2001:db8:1000::${i.toString(16)}/128`));
  const msgs = packAnnouncements(6, prefixes, { origin: 0, asPath: [] }, [parseIP('2001:db8:0:1::11')], FOUR);
  assert.ok(msgs.every((m) => m.length <= 4096));
  assert.ok(msgs.length <= 45, `${msgs.length} UPDATEs`);
  const back = msgs.flatMap((m) => {
    const d = decodeMessage(m, FOUR);
    assert.ok(d.ok && d.message.type === 'update' && d.handling === 'none');
    return d.message.attributes.mpReach?.nlri ?? [];
  });
  assert.deepEqual(back, prefixes);
  const w = packWithdrawals(6, prefixes, FOUR).flatMap((m) => {
    const d = decodeMessage(m, FOUR);
    assert.ok(d.ok && d.message.type === 'update');
    return d.message.attributes.mpUnreach?.withdrawn ?? [];
  });
  assert.deepEqual(w, prefixes);
});

test('the framer gives the same messages however the stream is cut', () => {
  const stream = Buffer.concat([
    encodeMessage({ type: 'keepalive' }, FOUR),
    ...packAnnouncements(4, [parsePrefix('198.51.100.10/32')], { origin: 0, asPath: [] }, [parseIP('192.0.2.1')], FOUR),
    encodeEndOfRib(6, FOUR),
    encodeMessage({ type: 'notification', code: 6, subcode: 2, data: Buffer.alloc(0) }, FOUR),
  ]);
  const whole = new Framer().push(stream);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const f = new Framer();
      const got = [];
      let last = 0;
      for (const p of [...points, stream.length]) {
        got.push(...f.push(stream.subarray(last, p)));
        last = p;
      }
      assert.deepEqual(got, whole);
    }),
  );
  assert.equal(whole.length, 4);
});

test('community text forms parse and reject bad input', () => {
  assert.equal(parseCommunity('65535:65282'), 0xffffff02);
  assert.throws(() => parseCommunity('65536:1'), /16-bit/);
  assert.deepEqual(parseLargeCommunity('4200000001:1:2'), { globalAdmin: 4200000001, localData1: 1, localData2: 2 });
  assert.throws(() => parseLargeCommunity('1:2'), /three 32-bit/);
});
