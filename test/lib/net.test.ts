import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AddressError, addToIP, compareIP, formatIP, ipFromBytes, ipToBytes, parseIP, tryParseIP,
  parsePrefix, formatPrefix, prefixContains, prefixLast, tryParsePrefix,
  normalizeRanges, parseRange, rangeContains, rangeSize, subtractRanges, totalSize, formatRange, tryParseRange,
} from '../../lib/net/index.ts';

test('IPv4 parse and format round trip, strict octets', () => {
  assert.equal(formatIP(parseIP('198.51.100.7')), '198.51.100.7');
  assert.equal(parseIP('255.255.255.255').value, 0xffffffffn);
  for (const bad of ['198.51.100', '198.51.100.256', '01.2.3.4', '1.2.3.4.5', '', 'a.b.c.d', '1.2.3.-1', ' 1.2.3.4']) {
    assert.equal(tryParseIP(bad), undefined, bad);
  }
  assert.throws(() => parseIP('198.51.100.256'), (e: unknown) => e instanceof AddressError && e.input === '198.51.100.256');
});

test('IPv6 parse and RFC 5952 format', () => {
  const cases: Array<[string, string]> = [
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['2001:db8::192.0.2.1', '2001:db8::c000:201'],
    ['fe80::', 'fe80::'],
  ];
  for (const [input, want] of cases) assert.equal(formatIP(parseIP(input)), want, input);
  for (const bad of [':', ':::', '2001:db8:::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', 'fe80::1%eth0', '12345::', 'g::1', '1::2::3']) {
    assert.equal(tryParseIP(bad), undefined, bad);
  }
});

test('bytes and arithmetic', () => {
  const a = parseIP('2001:db8::ffff');
  assert.equal(formatIP(addToIP(a, 1n)), '2001:db8::1:0');
  assert.deepEqual([...ipToBytes(parseIP('192.0.2.1'))], [192, 0, 2, 1]);
  assert.equal(formatIP(ipFromBytes(ipToBytes(a))), '2001:db8::ffff');
  assert.throws(() => addToIP(parseIP('255.255.255.255'), 1n), AddressError);
  assert.ok(compareIP(parseIP('203.0.113.1'), parseIP('::1')) < 0, 'IPv4 sorts before IPv6');
});

test('property: every address formats and parses back to itself', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.boolean(), (v, six) => {
    const a = six ? { family: 6 as const, value: v } : { family: 4 as const, value: v & 0xffffffffn };
    assert.deepEqual(parseIP(formatIP(a)), a);
  }));
});

test('prefixes: masking, strictness, containment', () => {
  assert.equal(formatPrefix(parsePrefix('198.51.100.77/24')), '198.51.100.0/24');
  assert.equal(tryParsePrefix('198.51.100.77/24', { strict: true }), undefined);
  assert.equal(tryParsePrefix('198.51.100.0/33'), undefined);
  assert.equal(tryParsePrefix('2001:db8::/129'), undefined);
  assert.equal(tryParsePrefix('2001:db8::/064'), undefined);
  const p = parsePrefix('2001:db8:1::/48');
  assert.equal(formatIP(prefixLast(p)), '2001:db8:1:ffff:ffff:ffff:ffff:ffff');
  assert.ok(prefixContains(p, parseIP('2001:db8:1:2::3')));
  assert.ok(!prefixContains(p, parseIP('2001:db8:2::')));
  assert.ok(!prefixContains(parsePrefix('0.0.0.0/0'), parseIP('::1')), 'families never mix');
});

test('ranges: forms, sizes without enumeration, errors', () => {
  assert.equal(rangeSize(parseRange('198.51.100.100-198.51.100.150')), 51n);
  assert.equal(rangeSize(parseRange('10.0.0.0/8')), 1n << 24n);
  assert.equal(rangeSize(parseRange('2001:db8::/64')), 1n << 64n);
  assert.equal(rangeSize(parseRange('203.0.113.9')), 1n);
  assert.ok(rangeContains(parseRange('2001:db8::1-2001:db8::ff'), parseIP('2001:db8::80')));
  assert.throws(() => parseRange('198.51.100.9-198.51.100.1'), /ends before it starts/);
  assert.throws(() => parseRange('198.51.100.1-2001:db8::1'), /mixes IPv4 and IPv6/);
  assert.throws(() => parseRange('192.168.101.0/24-192.168.105.0/24'), /not a CIDR/);
  assert.equal(tryParseRange('nonsense'), undefined);
});

test('range set algebra', () => {
  const rs = ['198.51.100.10-198.51.100.20', '198.51.100.15-198.51.100.30', '198.51.100.31', '2001:db8::/126'].map(parseRange);
  assert.deepEqual(normalizeRanges(rs).map(formatRange), ['198.51.100.10-198.51.100.31', '2001:db8::-2001:db8::3']);
  assert.equal(totalSize(rs), 22n + 4n);
  const left = subtractRanges(rs, [parseRange('198.51.100.12-198.51.100.29'), parseRange('2001:db8::/127')]);
  assert.deepEqual(left.map(formatRange), ['198.51.100.10-198.51.100.11', '198.51.100.30-198.51.100.31', '2001:db8::2-2001:db8::3']);
});
