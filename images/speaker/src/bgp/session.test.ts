// The session shell against a scripted peer on loopback (our codec on the other end of a real TCP
// connection) with a manual clock: debounce, packing, ROUTE-REFRESH replay, hold timer and the
// NOTIFICATION for malformed input. Interop with real routers is in test/speaker/bgp/.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { formatPrefix, parseIP, parsePrefix } from '../../../../lib/net/index.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { encodeRouteRefresh } from './codec/index.ts';
import { ScriptedPeer, within } from '../../../../test/speaker/bgp/scripted-peer.ts';
import { silentLogger } from './logger.ts';
import { BgpMetrics } from './metrics.ts';
import { normalizePeer } from './peer-config.ts';
import { BgpSession, type SessionDeps } from './session.ts';
import { plainDialer } from './transport.ts';

/** Timers that run only when the test advances time. */
class ManualClock implements Clock {
  #now = 0;
  #timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.#now;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const t = { at: this.#now + ms, fn, live: true };
    this.#timers.push(t);
    return { cancel: () => void (t.live = false) };
  }
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function established(extra: Partial<SessionDeps> = {}): Promise<{ session: BgpSession; peer: ScriptedPeer; clock: ManualClock }> {
  const peer = new ScriptedPeer();
  const port = await peer.listen();
  const clock = new ManualClock();
  const session = new BgpSession(normalizePeer({ address: parseIP('127.0.0.1'), port, asn: 64512, myAsn: 64601, holdTimeSec: 9 }), {
    dialer: plainDialer, clock, random: () => 0, logger: silentLogger, fallbackRouterId: 1, restarting: false, debounceMs: 50, ...extra,
  });
  cleanup.push(async () => {
    await session.stop();
    peer.socket?.destroy();
    await new Promise((r) => peer.server.close(r));
  });
  const up = new Promise<void>((r) => session.on('state', (s: string) => s === 'Established' && r()));
  session.start();
  await within(up, 'session Established');
  // End-of-RIB for IPv4 follows at once (the desired set is empty).
  await peer.until(() => peer.updates().length >= 1);
  return { session, peer, clock };
}

test('changes within the debounce interval go out together, packed in one UPDATE', async () => {
  const { session, peer, clock } = await established();
  session.setAdvertisements([{ prefix: parsePrefix('198.51.100.1/32') }]);
  session.setAdvertisements([{ prefix: parsePrefix('198.51.100.1/32') }, { prefix: parsePrefix('198.51.100.2/32') }, { prefix: parsePrefix('198.51.100.3/32') }]);
  assert.equal(session.status().pending, 3);
  clock.advance(50);
  await peer.until(() => peer.updates().length >= 2);
  const u = peer.updates()[1];
  assert.deepEqual(u?.nlri.map(formatPrefix), ['198.51.100.1/32', '198.51.100.2/32', '198.51.100.3/32']);
  assert.deepEqual(u?.attributes.asPath, [{ segmentType: 2, asns: [64601] }]);
  assert.equal(u?.attributes.nextHop?.value, parseIP('127.0.0.1').value);
  assert.equal(session.status().pending, 0);
  assert.equal(session.status().announced, 3);
});

test('a ROUTE-REFRESH is answered with what the peer has from us', async () => {
  const { session, peer, clock } = await established();
  session.setAdvertisements([{ prefix: parsePrefix('198.51.100.7/32') }]);
  clock.advance(50);
  await peer.until(() => peer.updates().length >= 2);
  peer.socket?.write(encodeRouteRefresh({ afi: 1, safi: 1, subtype: 0 }));
  await peer.until(() => peer.updates().length >= 3);
  assert.deepEqual(peer.updates()[2]?.nlri.map(formatPrefix), ['198.51.100.7/32']);
});

test('a peer that falls silent gets Hold Timer Expired when the hold time passes', async () => {
  const { session, peer, clock } = await established();
  clock.advance(9000);
  await peer.until(() => peer.received.some((m) => m.type === 'notification'));
  const n = peer.received.find((m) => m.type === 'notification');
  assert.deepEqual(n && n.type === 'notification' ? [n.code, n.subcode] : [], [4, 0]);
  assert.ok(peer.received.filter((m) => m.type === 'keepalive').length >= 2, 'keepalives were sent meanwhile');
  assert.equal(session.state, 'Idle');
  await peer.until(() => peer.closed);
});

test('a malformed UPDATE from the peer gets its NOTIFICATION and closes the session', async () => {
  const { session, peer } = await established();
  const reason = new Promise<string>((r) => session.on('state', (_s: string, _p: string, why: string) => r(why)));
  // UPDATE with a /33 IPv4 prefix in the NLRI: Invalid Network Field.
  const bad = Buffer.from([...Array(16).fill(0xff), 0, 29, 2, 0, 0, 0, 0, 33, 1, 2, 3, 4, 5]);
  peer.socket?.write(bad);
  await peer.until(() => peer.received.some((m) => m.type === 'notification'));
  const n = peer.received.find((m) => m.type === 'notification');
  assert.deepEqual(n && n.type === 'notification' ? [n.code, n.subcode] : [], [3, 10]);
  assert.equal(await within(reason, 'the state change after the NOTIFICATION'), 'update-message-error');
  await peer.until(() => peer.closed);
});

test('BFD packets the BFD session discards are counted per peer and reason', async () => {
  const registry = new Registry();
  const bfd = new EventEmitter();
  let closed = false;
  await established({ metrics: new BgpMetrics(registry), startBfd: () => Object.assign(bfd, { close: () => void (closed = true) }) });
  bfd.emit('dropped', 'badVersion');
  bfd.emit('dropped', 'badVersion');
  bfd.emit('dropped', 'ttl');
  const m = await registry.getSingleMetric('metallb_bfd_control_packets_dropped_total')?.get();
  assert.deepEqual(m?.values.map((v) => [v.labels.reason, v.value]), [['badVersion', 2], ['ttl', 1]]);
  assert.ok(m?.values.every((v) => v.labels.peer === '127.0.0.1'));
  assert.equal(closed, false);
});
