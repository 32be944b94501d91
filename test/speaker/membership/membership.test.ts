// Membership core (DESIGN §5): wire format, authentication, replay protection, detection time with
// an injected clock, graceful leave, and the minority rule. The last test runs two real shells
// over UDP on loopback (127.0.0.21/22, no namespace needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { decodeHeartbeat, encodeHeartbeat, type Heartbeat } from '../../../images/speaker/src/membership/wire.ts';
import { MembershipView, hasQuorum } from '../../../images/speaker/src/membership/view.ts';
import { Membership } from '../../../images/speaker/src/membership/node.ts';

const KEY = Buffer.from('shared-secret');
const OLD = Buffer.from('previous-secret');
const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({ node: 'node2', incarnation: 7n, seq: 1n, leave: false, ...over });
const timing = { intervalMs: 50, multiplier: 6 };

test('wire: a signed heartbeat round-trips with the current or the previous key', () => {
  assert.deepEqual(decodeHeartbeat(encodeHeartbeat(hb({ leave: true, seq: 2n ** 63n }), KEY), [KEY]), hb({ leave: true, seq: 2n ** 63n }));
  assert.deepEqual(decodeHeartbeat(encodeHeartbeat(hb(), OLD), [KEY, OLD]), hb());
});

test('wire: rejection reasons', async (t) => {
  const good = encodeHeartbeat(hb(), KEY);
  const tampered = Buffer.from(good); tampered[12] = (tampered[12] as number) ^ 1;
  const v2 = Buffer.from(good); v2[0] = 2;
  const rows = [
    { name: 'a packet signed with another key is forged', buf: encodeHeartbeat(hb(), Buffer.from('attacker')), error: 'auth' },
    { name: 'a flipped bit in the sequence fails the HMAC', buf: tampered, error: 'auth' },
    { name: 'an unknown version is refused before anything else', buf: v2, error: 'version' },
    { name: 'a truncated packet', buf: good.subarray(0, 20), error: 'short' },
    { name: 'an empty packet', buf: Buffer.alloc(0), error: 'short' },
  ];
  for (const r of rows) await t.test(r.name, () => assert.deepEqual(decodeHeartbeat(r.buf, [KEY]), { error: r.error }));
});

test('view: a peer is live until it has been silent for interval × multiplier', () => {
  const v = new MembershipView('node1', ['node2', 'node3'], timing);
  assert.deepEqual(v.live(0), ['node1']);
  assert.equal(v.apply(hb(), 1000), 'accepted');
  assert.ok(v.isLive('node2', 1299));
  assert.ok(!v.isLive('node2', 1300));
  assert.equal(v.nextExpiryMs(1000), 1300);
});

test('view: replays are dropped, a restart (new incarnation) is accepted, old incarnations never return', () => {
  const v = new MembershipView('node1', ['node2'], timing);
  assert.equal(v.apply(hb({ seq: 5n }), 0), 'accepted');
  assert.equal(v.apply(hb({ seq: 5n }), 400), 'replay');
  assert.equal(v.apply(hb({ seq: 4n }), 400), 'replay');
  assert.ok(!v.isLive('node2', 400), 'replays must not keep a dead peer alive');
  assert.equal(v.apply(hb({ incarnation: 3n, seq: 1n }), 500), 'accepted');
  assert.equal(v.apply(hb({ incarnation: 7n, seq: 99n }), 900), 'replay');
  assert.ok(!v.isLive('node2', 900));
});

test('view: a leave marks the peer dead at once; self and unknown nodes are ignored', () => {
  const v = new MembershipView('node1', ['node2'], timing);
  v.apply(hb(), 0);
  v.apply(hb({ seq: 2n, leave: true }), 10);
  assert.ok(!v.isLive('node2', 10));
  assert.equal(v.apply(hb({ node: 'node1' }), 10), 'self');
  assert.equal(v.apply(hb({ node: 'node9' }), 10), 'unknown-peer');
});

test('minority rule: answer only with more than half of the eligible speakers live; 1-2 node classes always', async (t) => {
  const live = (set: string[]) => (n: string): boolean => set.includes(n);
  const rows: { name: string; eligible: string[]; live: string[]; expect: boolean }[] = [
    { name: 'three nodes, all live', eligible: ['n1', 'n2', 'n3'], live: ['n2', 'n3'], expect: true },
    { name: 'three nodes, one peer lost: still a majority', eligible: ['n1', 'n2', 'n3'], live: ['n2'], expect: true },
    { name: 'three nodes, cut off from both peers: minority', eligible: ['n1', 'n2', 'n3'], live: [], expect: false },
    { name: 'four nodes, two of four is not more than half', eligible: ['n1', 'n2', 'n3', 'n4'], live: ['n2'], expect: false },
    { name: 'two nodes cannot tell partition from failure: keep answering', eligible: ['n1', 'n2'], live: [], expect: true },
    { name: 'a node that is not eligible never answers', eligible: ['n2', 'n3'], live: ['n2', 'n3'], expect: false },
  ];
  for (const r of rows) await t.test(r.name, () => assert.equal(hasQuorum('n1', r.eligible, live(r.live)), r.expect));
});

test('shell: two speakers on loopback see each other, and a graceful leave is seen at once', async () => {
  const log = pino({ level: 'silent' });
  const port = 42300 + (process.pid % 500);
  const mk = (self: string, address: string, peer: string, peerAddr: string): Membership =>
    new Membership({ self, address, port, peers: [{ node: peer, address: peerAddr }], keys: [KEY], timing: { intervalMs: 20, multiplier: 500 }, log });
  const a = mk('a', '127.0.0.21', 'b', '127.0.0.22');
  const b = mk('b', '127.0.0.22', 'a', '127.0.0.21');
  try {
    const aSeesB = new Promise<void>((resolve) => a.on('change', (l) => { if (l.includes('b')) resolve(); }));
    await a.start();
    await b.start();
    await aSeesB;
    const aLosesB = new Promise<void>((resolve) => a.on('change', (l) => { if (!l.includes('b')) resolve(); }));
    await b.leave();
    // Detection time is 10 s here, so only the leave packet can make `a` drop `b` within 3 s.
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref());
    assert.notEqual(await Promise.race([aLosesB.then(() => 'left'), timeout]), 'timeout');
  } finally {
    a.close();
    b.close();
  }
});
