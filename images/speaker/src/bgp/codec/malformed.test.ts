// Malformed messages: each row is a byte table with the NOTIFICATION and RFC 7606 level expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer, decodeMessage, type CodecContext } from './index.ts';

const CTX: CodecContext = { fourOctetAs: true, extendedMessage: false };
const MARKER = Array(16).fill(0xff);

function msg(type: number, body: number[]): Buffer {
  const len = 19 + body.length;
  return Buffer.from([...MARKER, len >> 8, len & 255, type, ...body]);
}

/** An UPDATE with no withdrawn routes, the given attribute bytes and NLRI bytes. */
function update(attrs: number[], nlri: number[] = []): Buffer {
  return msg(2, [0, 0, attrs.length >> 8, attrs.length & 255, ...attrs, ...nlri]);
}

const ORIGIN = [0x40, 1, 1, 0];
const AS_PATH = [0x40, 2, 6, 2, 1, 0, 0, 0xfc, 0x00]; // AS_SEQUENCE [64512]
const NEXT_HOP = [0x40, 3, 4, 192, 0, 2, 1];
const NLRI = [32, 198, 51, 100, 10];

const headerRows: { name: string; bytes: Buffer; code: number; subcode: number }[] = [
  { name: 'a marker with a zero bit is Connection Not Synchronized', bytes: Buffer.from([...MARKER.slice(1), 0xfe, 0, 19, 4]), code: 1, subcode: 1 },
  { name: 'a length below 19 is Bad Message Length', bytes: Buffer.from([...MARKER, 0, 18, 4]), code: 1, subcode: 2 },
  { name: 'a length above 4096 without Extended Message is Bad Message Length', bytes: Buffer.from([...MARKER, 0x10, 0x01, 2]), code: 1, subcode: 2 },
  { name: 'a KEEPALIVE with a body is Bad Message Length', bytes: Buffer.from([...MARKER, 0, 20, 4, 0]), code: 1, subcode: 2 },
  { name: 'an OPEN shorter than 29 octets is Bad Message Length', bytes: Buffer.from([...MARKER, 0, 28, 1, ...Array(9).fill(0)]), code: 1, subcode: 2 },
  { name: 'type 9 is Bad Message Type', bytes: Buffer.from([...MARKER, 0, 19, 9]), code: 1, subcode: 3 },
];

for (const row of headerRows) {
  test(row.name, () => {
    const [out] = new Framer().push(row.bytes);
    assert.ok(out && !('type' in out && 'body' in out), 'framer reports an error');
    assert.equal((out as { code: number }).code, row.code);
    assert.equal((out as { subcode: number }).subcode, row.subcode);
  });
}

const bodyRows: { name: string; bytes: Buffer; code: number; subcode: number; handling: string }[] = [
  { name: 'an OPEN with optional parameter type 1 is Unsupported Optional Parameter', bytes: msg(1, [4, 0xfc, 0, 0, 90, 192, 0, 2, 1, 2, 1, 0]), code: 2, subcode: 4, handling: 'session-reset' },
  { name: 'an OPEN whose parameters overrun it is Bad Message Length', bytes: msg(1, [4, 0xfc, 0, 0, 90, 192, 0, 2, 1, 5, 2, 3, 65, 4]), code: 1, subcode: 2, handling: 'session-reset' },
  { name: 'withdrawn routes length past the end is Malformed Attribute List', bytes: msg(2, [0, 50, 0, 0]), code: 3, subcode: 1, handling: 'session-reset' },
  { name: 'a /33 IPv4 prefix is Invalid Network Field', bytes: update([...ORIGIN, ...AS_PATH, ...NEXT_HOP], [33, 1, 2, 3, 4, 5]), code: 3, subcode: 10, handling: 'session-reset' },
  { name: 'MP_REACH_NLRI with a 5-octet IPv6 next hop resets the session', bytes: update([0x80, 14, 10, 0, 2, 1, 5, 1, 2, 3, 4, 5, 0], []), code: 3, subcode: 9, handling: 'session-reset' },
  { name: 'MP_UNREACH_NLRI twice resets the session', bytes: update([0x80, 15, 3, 0, 2, 1, 0x80, 15, 3, 0, 2, 1]), code: 3, subcode: 1, handling: 'session-reset' },
  { name: 'an unknown well-known attribute is Unrecognized Well-known Attribute', bytes: update([0x40, 99, 0]), code: 3, subcode: 2, handling: 'session-reset' },
];

for (const row of bodyRows) {
  test(row.name, () => {
    const d = decodeMessage(row.bytes, CTX);
    assert.ok(!d.ok, 'decode fails');
    assert.equal(d.error.code, row.code);
    assert.equal(d.error.subcode, row.subcode);
    assert.equal(d.error.handling, row.handling);
  });
}

const tolerated: { name: string; bytes: Buffer; handling: string; subcode: number }[] = [
  { name: 'ORIGIN 3 is treat-as-withdraw (Invalid ORIGIN)', bytes: update([0x40, 1, 1, 3, ...AS_PATH, ...NEXT_HOP], NLRI), handling: 'treat-as-withdraw', subcode: 6 },
  { name: 'an AS_PATH segment of type 7 is treat-as-withdraw (Malformed AS_PATH)', bytes: update([...ORIGIN, 0x40, 2, 6, 7, 1, 0, 0, 0xfc, 0, ...NEXT_HOP], NLRI), handling: 'treat-as-withdraw', subcode: 11 },
  { name: 'a 3-octet NEXT_HOP is treat-as-withdraw (Attribute Length Error)', bytes: update([...ORIGIN, ...AS_PATH, 0x40, 3, 3, 1, 2, 3], NLRI), handling: 'treat-as-withdraw', subcode: 5 },
  { name: 'COMMUNITIES of 5 octets is treat-as-withdraw', bytes: update([...ORIGIN, ...AS_PATH, ...NEXT_HOP, 0xc0, 8, 5, 1, 2, 3, 4, 5], NLRI), handling: 'treat-as-withdraw', subcode: 9 },
  { name: 'LARGE_COMMUNITY of 8 octets is treat-as-withdraw', bytes: update([...ORIGIN, ...AS_PATH, ...NEXT_HOP, 0xc0, 32, 8, 0, 0, 0, 1, 0, 0, 0, 2], NLRI), handling: 'treat-as-withdraw', subcode: 9 },
  { name: 'a missing NEXT_HOP with IPv4 NLRI is treat-as-withdraw (Missing Well-known Attribute)', bytes: update([...ORIGIN, ...AS_PATH], NLRI), handling: 'treat-as-withdraw', subcode: 3 },
  { name: 'ORIGIN with optional flags is treat-as-withdraw (Attribute Flags Error)', bytes: update([0xc0, 1, 1, 0, ...AS_PATH, ...NEXT_HOP], NLRI), handling: 'treat-as-withdraw', subcode: 4 },
  { name: 'an attribute running past the list is treat-as-withdraw', bytes: update([...ORIGIN, ...AS_PATH, ...NEXT_HOP, 0xc0, 8, 40, 0, 0, 0, 1], NLRI), handling: 'treat-as-withdraw', subcode: 5 },
  { name: 'ATOMIC_AGGREGATE with a value is attribute-discard', bytes: update([...ORIGIN, ...AS_PATH, ...NEXT_HOP, 0x40, 6, 1, 0], NLRI), handling: 'attribute-discard', subcode: 5 },
  { name: 'a second ORIGIN is attribute-discard', bytes: update([...ORIGIN, ...ORIGIN, ...AS_PATH, ...NEXT_HOP], NLRI), handling: 'attribute-discard', subcode: 1 },
];

for (const row of tolerated) {
  test(row.name, () => {
    const d = decodeMessage(row.bytes, CTX);
    assert.ok(d.ok, d.ok ? '' : d.error.message);
    assert.equal(d.handling, row.handling);
    assert.ok(d.problems.some((p) => p.subcode === row.subcode), d.problems.map((p) => p.message).join('; '));
  });
}

test('an unknown optional transitive attribute is kept and causes no problem', () => {
  const d = decodeMessage(update([...ORIGIN, ...AS_PATH, ...NEXT_HOP, 0xc0, 200, 2, 7, 7], NLRI), CTX);
  assert.ok(d.ok && d.message.type === 'update');
  assert.equal(d.handling, 'none');
  assert.deepEqual(d.message.attributes.other, [{ flags: 0xc0, typeCode: 200, value: Buffer.from([7, 7]) }]);
});
