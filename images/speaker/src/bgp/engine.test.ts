// The engine's desired-state API against scripted peers on loopback.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPrefix, parseIP, parsePrefix } from '../../../../lib/net/index.ts';
import { Registry } from 'prom-client';
import { ScriptedPeer, within } from '../../../../test/speaker/bgp/scripted-peer.ts';
import { BgpEngine } from './engine.ts';
import { plainDialer } from './transport.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

function engine(): BgpEngine {
  const e = new BgpEngine({ nodeName: 'node1', dialer: plainDialer, debounceMs: 0, registry: new Registry() });
  cleanup.push(() => e.stop());
  return e;
}

async function peer(): Promise<{ p: ScriptedPeer; port: number }> {
  const p = new ScriptedPeer();
  const port = await p.listen();
  cleanup.push(async () => {
    p.socket?.destroy();
    await new Promise((r) => p.server.close(r));
  });
  return { p, port };
}

const established = (e: BgpEngine, key: string) =>
  within(new Promise<void>((r) => {
    if (e.session(key)?.state === 'Established') return r();
    e.on('state', (peerName: string, s: string) => s === 'Established' && key.startsWith(peerName) && r());
  }), `${key} Established`);

test('a passive peer waits for the router to connect through the listener, then announces', async () => {
  const e = engine();
  e.set([{ spec: { address: parseIP('127.0.0.1'), asn: 64512, myAsn: 64601, passive: true }, advertisements: [{ prefix: parsePrefix('198.51.100.9/32') }] }]);
  const l = await e.listen({ host: '127.0.0.1', port: 0 });
  cleanup.push(() => l.close());
  const p = new ScriptedPeer();
  cleanup.push(async () => void p.socket?.destroy());
  const up = established(e, '127.0.0.1');
  p.connect(l.port);
  await up;
  await p.until(() => p.updates().some((u) => u.nlri.length > 0));
  assert.deepEqual(p.updates().flatMap((u) => u.nlri.map(formatPrefix)), ['198.51.100.9/32']);
});

test('removing a peer from the desired state sends Cease/Peer De-configured', async () => {
  const { p, port } = await peer();
  const e = engine();
  const spec = { address: parseIP('127.0.0.1'), port, asn: 64512, myAsn: 64601 };
  e.set([{ spec, advertisements: [] }]);
  await established(e, `127.0.0.1:${port}`);
  e.set([]);
  await p.until(() => p.received.some((m) => m.type === 'notification'));
  const n = p.received.find((m) => m.type === 'notification');
  assert.deepEqual(n?.type === 'notification' ? [n.code, n.subcode] : [], [6, 3]);
  assert.equal(e.status().length, 0);
});

test('changing a session parameter restarts the session with Cease/Other Configuration Change; changing routes does not', async () => {
  const { p, port } = await peer();
  const e = engine();
  const spec = { address: parseIP('127.0.0.1'), port, asn: 64512, myAsn: 64601 };
  e.set([{ spec, advertisements: [{ prefix: parsePrefix('198.51.100.1/32') }] }]);
  await established(e, `127.0.0.1:${port}`);
  e.set([{ spec, advertisements: [{ prefix: parsePrefix('198.51.100.2/32') }] }]);
  await p.until(() => p.updates().some((u) => u.withdrawn.length > 0));
  assert.equal(p.received.some((m) => m.type === 'notification'), false, 'new routes are only UPDATEs');
  e.set([{ spec: { ...spec, holdTimeSec: 30 }, advertisements: [] }]);
  await p.until(() => p.received.some((m) => m.type === 'notification'));
  const n = p.received.find((m) => m.type === 'notification');
  assert.deepEqual(n?.type === 'notification' ? [n.code, n.subcode] : [], [6, 6]);
});
