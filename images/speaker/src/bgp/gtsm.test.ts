// GTSM (RFC 5082): what a peer with `gtsm: true` asks of the transport, from the static config to
// the dial. The socket option itself (IP_MINTTL / IPV6_MINHOPCOUNT dropping segments with a lower
// TTL) is exercised with real packets in images/speaker/src/native/native.net.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIP } from '../../../../lib/net/index.ts';
import { parseStaticConfig } from '../../../../lib/config/index.ts';
import { minTtlFor, normalizePeer, ttlFor } from './peer-config.ts';
import { plainDialer, TransportUnsupportedError, type DialOptions } from './transport.ts';
import { BgpSession } from './session.ts';
import type { Clock } from './clock.ts';
import { silentLogger } from './logger.ts';

/** Timers that never fire: the test looks only at the first dial. */
const stillClock: Clock = { now: () => 0, setTimer: () => ({ cancel() {} }) };

const base = { address: parseIP('192.0.2.1'), asn: 64512, myAsn: 64601 };

test('GTSM: TTL 255 out, and the minimum TTL in allows exactly the configured hops', () => {
  assert.deepEqual([ttlFor(normalizePeer(base)), minTtlFor(normalizePeer(base))], [1, undefined], 'plain single-hop eBGP');
  const direct = normalizePeer({ ...base, gtsm: true });
  assert.deepEqual([ttlFor(direct), minTtlFor(direct)], [255, 255], 'directly connected: only TTL 255 is accepted');
  const twoHops = normalizePeer({ ...base, gtsm: true, ebgpMultihop: 2 });
  assert.deepEqual([ttlFor(twoHops), minTtlFor(twoHops)], [255, 254]);
  const ibgp = normalizePeer({ ...base, myAsn: 64512, gtsm: true });
  assert.equal(ttlFor(ibgp), 255, 'GTSM applies to iBGP too');
});

test('GTSM is never silently dropped: the plain dialer refuses a minimum TTL', async () => {
  const ac = new AbortController();
  await assert.rejects(
    plainDialer({ remoteAddress: '127.0.0.1', remotePort: 9, minTtl: 255, signal: ac.signal }),
    (e: unknown) => e instanceof TransportUnsupportedError && /GTSM/.test(e.message),
  );
});

test('a session dials with the GTSM options of its peer', async () => {
  const seen: DialOptions[] = [];
  const session = new BgpSession(normalizePeer({ ...base, gtsm: true }), {
    dialer: (opts) => {
      seen.push(opts);
      return Promise.reject(new Error('no peer here'));
    },
    clock: stillClock, random: () => 0, logger: silentLogger, fallbackRouterId: 1, restarting: false, debounceMs: 50,
  });
  session.start();
  for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setImmediate(r));
  await session.stop();
  assert.equal(seen[0]?.ttl, 255);
  assert.equal(seen[0]?.minTtl, 255);
});

test('the static config carries gtsm (default off)', () => {
  const yaml = (extra: string) => `node: n1\nbgp:\n  peers:\n    - {address: 192.0.2.1, asn: 64512, myASN: 64601${extra}}\n`;
  assert.equal(parseStaticConfig(yaml('')).bgp?.peers[0]?.gtsm, false);
  assert.equal(parseStaticConfig(yaml(', gtsm: true')).bgp?.peers[0]?.gtsm, true);
  assert.throws(() => parseStaticConfig(yaml(', gtsm: "yes"')), /gtsm/);
});
