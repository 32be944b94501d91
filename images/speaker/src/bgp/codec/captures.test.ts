// Byte streams captured from real routers by test/speaker/bgp/interop.net.test.ts (what each sent
// to our speaker: OPEN, KEEPALIVEs, UPDATEs, End-of-RIB), decoded message by message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatPrefix } from '../../../../../lib/net/index.ts';
import { BgpError } from './errors.ts';
import { Framer } from './header.ts';
import { decodeFrame } from './message.ts';
import { isEndOfRib } from './update.ts';
import type { BgpMessage, OpenMessage } from './types.ts';

function decodeStream(name: string): BgpMessage[] {
  const bytes = readFileSync(new URL(`./testdata/${name}`, import.meta.url));
  const out: BgpMessage[] = [];
  // Our speaker always offers 4-octet AS and every router here accepted it.
  let ctx = { fourOctetAs: false, extendedMessage: false };
  for (const f of new Framer().push(bytes)) {
    assert.ok(!(f instanceof BgpError), `${name}: ${String(f)}`);
    const d = decodeFrame(f, ctx);
    assert.ok(d.ok, d.ok ? '' : `${name}: ${d.error.message}`);
    assert.equal(d.handling, 'none');
    if (d.message.type === 'open') ctx = { fourOctetAs: true, extendedMessage: false };
    out.push(d.message);
  }
  return out;
}

const capTypes = (o: OpenMessage) => o.capabilities.map((c) => (c.type === 'unknown' ? c.code : c.type));

test('FRR 8.4 (IPv4 session): OPEN with its capabilities, UPDATEs, End-of-RIB, withdrawal and ROUTE-REFRESH', () => {
  const ms = decodeStream('frr-8-stream.bin');
  const open = ms[0] as OpenMessage;
  assert.equal(open.type, 'open');
  assert.equal(open.myAs, 64512);
  assert.equal(open.holdTimeSec, 9);
  assert.equal(open.bgpId, 0xc0000201);
  const caps = capTypes(open);
  for (const c of ['multiprotocol', 'routeRefresh', 'fourOctetAs', 'extendedMessage', 'gracefulRestart', 69, 73]) assert.ok(caps.includes(c as never), `FRR offers ${c}`);
  const updates = ms.filter((m) => m.type === 'update');
  const announced = updates.flatMap((u) => u.nlri.map(formatPrefix));
  assert.ok(announced.includes('203.0.113.0/24'));
  const own = updates.find((x) => x.nlri.some((p) => formatPrefix(p) === '203.0.113.0/24'));
  assert.deepEqual(own?.attributes.asPath, [{ segmentType: 2, asns: [64512] }]);
  assert.equal(own?.attributes.med, 0);
  // FRR relays what it learnt from our other speaker (AS 64602) with its own AS prepended.
  assert.ok(updates.some((x) => JSON.stringify(x.attributes.asPath) === JSON.stringify([{ segmentType: 2, asns: [64512, 64602] }])));
  assert.ok(updates.some(isEndOfRib), 'FRR sends End-of-RIB');
  assert.ok(updates.some((x) => x.withdrawn.length > 0), 'and withdraws');
  assert.ok(ms.some((m) => m.type === 'routeRefresh' && m.afi === 1 && m.safi === 1), '`clear bgp ... soft in` sends ROUTE-REFRESH');
});

test('FRR 8.4 (IPv6 session): OPEN offering IPv6 unicast, MP_REACH with global and link-local next hops, MP_UNREACH', () => {
  const ms = decodeStream('frr-8-ipv6-stream.bin');
  const open = ms[0] as OpenMessage;
  assert.ok(open.capabilities.some((c) => c.type === 'multiprotocol' && c.afi === 2 && c.safi === 1));
  let reach;
  for (const m of ms) if (m.type === 'update' && m.attributes.mpReach) reach ??= m.attributes.mpReach;
  assert.ok(reach);
  assert.equal(reach.nextHops.length, 2, 'RFC 2545: global + link-local');
  assert.equal((reach.nextHops[1]?.value ?? 0n) >> 118n, 0x3fan, 'the second one is in fe80::/10');
  assert.ok(ms.some((m) => m.type === 'update' && (m.attributes.mpUnreach?.withdrawn.length ?? 0) > 0));
});

test('BIRD 2.0: OPEN and an UPDATE for its static 203.0.113.128/25', () => {
  const ms = decodeStream('bird-2-stream.bin');
  const open = ms[0] as OpenMessage;
  assert.equal(open.myAs, 64513);
  assert.ok(capTypes(open).includes('gracefulRestart'));
  const u = ms.find((m) => m.type === 'update' && m.nlri.length > 0);
  assert.ok(u && u.type === 'update');
  assert.deepEqual(u.nlri.map(formatPrefix), ['203.0.113.128/25']);
  assert.equal(u.attributes.origin, 0);
});

test('GoBGP 3.10: OPEN and End-of-RIB', () => {
  const ms = decodeStream('gobgp-3-stream.bin');
  const open = ms[0] as OpenMessage;
  assert.equal(open.myAs, 64514);
  assert.ok(capTypes(open).includes('fourOctetAs'));
  assert.ok(ms.some((m) => m.type === 'keepalive'));
});
