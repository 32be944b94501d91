import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPrefix, parsePrefix } from '../../../../lib/net/index.ts';
import { AdjRibOut } from './adj-rib-out.ts';

const p = parsePrefix;

test('the first set announces everything, grouped by attribute set, per family', () => {
  const rib = new AdjRibOut();
  rib.set([
    { prefix: p('198.51.100.1/32'), communities: [2, 1, 1] },
    { prefix: p('198.51.100.2/32'), communities: [1, 2] },
    { prefix: p('198.51.100.3/32') },
    { prefix: p('2001:db8::1/128') },
  ]);
  assert.equal(rib.pendingCount, 4);
  const [v4] = rib.takeChanges([4]);
  assert.equal(v4?.announce.length, 2, 'equal communities after sorting and dedup share a group');
  const withComm = v4?.announce.find((g) => g.sample.attrs.communities.length > 0);
  assert.deepEqual(withComm?.sample.attrs.communities, [1, 2]);
  assert.deepEqual(withComm?.prefixes.map(formatPrefix), ['198.51.100.1/32', '198.51.100.2/32']);
  assert.equal(rib.pendingCount, 1, 'the IPv6 prefix waits for an IPv6 session');
  assert.equal(rib.sentCount, 3);
});

test('a new desired set sends only the difference: withdrawals and changed attributes', () => {
  const rib = new AdjRibOut();
  rib.set([{ prefix: p('198.51.100.1/32') }, { prefix: p('198.51.100.2/32') }, { prefix: p('198.51.100.3/32'), localPref: 100 }]);
  rib.takeChanges([4]);
  rib.set([{ prefix: p('198.51.100.1/32') }, { prefix: p('198.51.100.3/32'), localPref: 200 }]);
  assert.equal(rib.pendingCount, 2);
  const [c] = rib.takeChanges([4]);
  assert.deepEqual(c?.withdraw.map(formatPrefix), ['198.51.100.2/32']);
  assert.deepEqual(c?.announce.flatMap((g) => g.prefixes.map(formatPrefix)), ['198.51.100.3/32']);
  assert.deepEqual(rib.takeChanges([4]), [], 'nothing left to send');
});

test('the same prefix from two advertisements is merged: union of communities, highest LOCAL_PREF, lowest MED', () => {
  const rib = new AdjRibOut();
  rib.set([
    { prefix: p('198.51.100.1/32'), communities: [1], localPref: 100, med: 5 },
    { prefix: p('198.51.100.1/32'), communities: [2], largeCommunities: [{ globalAdmin: 1, localData1: 2, localData2: 3 }], localPref: 300, med: 7 },
  ]);
  const [c] = rib.takeChanges([4]);
  const a = c?.announce[0]?.sample.attrs;
  assert.deepEqual(a?.communities, [1, 2]);
  assert.equal(a?.localPref, 300);
  assert.equal(a?.med, 5);
  assert.equal(a?.largeCommunities.length, 1);
});

test('after a session loss everything is pending again; ROUTE-REFRESH replays what was sent', () => {
  const rib = new AdjRibOut();
  rib.set([{ prefix: p('2001:db8::1/128') }, { prefix: p('2001:db8::2/128') }]);
  rib.takeChanges([6]);
  assert.deepEqual(rib.sentGroups(6).flatMap((g) => g.prefixes.map(formatPrefix)), ['2001:db8::1/128', '2001:db8::2/128']);
  rib.reset();
  assert.equal(rib.pendingCount, 2);
  assert.equal(rib.sentCount, 0);
});
