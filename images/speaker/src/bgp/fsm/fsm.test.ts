// FSM tests: one state, one event; assert the next state, the reason and the actions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIP } from '../../../../../lib/net/index.ts';
import { AS_TRANS } from '../codec/constants.ts';
import { BgpError } from '../codec/errors.ts';
import type { Capability, NotificationMessage, OpenMessage } from '../codec/types.ts';
import { initialPeerState, step } from './fsm.ts';
import { routerIdFromName } from './router-id.ts';
import type { FsmAction, FsmConfig, FsmContext, FsmEvent, PeerState } from './types.ts';

const config: FsmConfig = {
  localAs: 64601,
  peerAs: 64512,
  families: [4],
  holdTimeSec: 90,
  fallbackRouterId: routerIdFromName('node1'),
  connectRetrySec: 2,
  connectRetryMaxSec: 60,
  passive: false,
  gracefulRestart: { restartTimeSec: 120 },
  minHoldTimeSec: 3,
};
// random() = 0 makes every jittered value exactly 75 % of the nominal one.
const ctxOf = (c: Partial<FsmConfig> = {}): FsmContext => ({ config: { ...config, ...c }, random: () => 0 });
const ctx = ctxOf();
const LOCAL = parseIP('192.0.2.11');

function peerOpen(over: Partial<OpenMessage> = {}, caps?: Capability[]): OpenMessage {
  return {
    type: 'open', version: 4, myAs: 64512, holdTimeSec: 9, bgpId: 0xc0000201,
    capabilities: caps ?? [{ type: 'multiprotocol', afi: 1, safi: 1 }, { type: 'routeRefresh' }, { type: 'fourOctetAs', asn: 64512 }, { type: 'gracefulRestart', restartState: false, notification: false, restartTimeSec: 120, families: [] }],
    ...over,
  };
}

function run(s: PeerState, events: FsmEvent[], c: FsmContext = ctx): { s: PeerState; actions: FsmAction[]; reason?: string } {
  let actions: FsmAction[] = [];
  let reason: string | undefined;
  for (const e of events) {
    const t = step(s, e, c);
    s = t.next;
    actions = t.actions;
    reason = t.reason;
  }
  return { s, actions, ...(reason ? { reason } : {}) };
}

const toOpenSent: FsmEvent[] = [{ type: 'manualStart' }, { type: 'tcpConnectionConfirmed', localAddress: LOCAL }];
const toOpenConfirm: FsmEvent[] = [...toOpenSent, { type: 'bgpOpen', open: peerOpen() }];
const toEstablished: FsmEvent[] = [...toOpenConfirm, { type: 'keepAliveMsg' }];

function sent(actions: FsmAction[]): NotificationMessage | undefined {
  for (const a of actions) if (a.type === 'send' && a.message.type === 'notification') return a.message;
  return undefined;
}
function timer(actions: FsmAction[], name: string): number | undefined {
  for (const a of actions) if (a.type === 'startTimer' && a.timer === name) return a.ms;
  return undefined;
}
const has = (actions: FsmAction[], type: FsmAction['type']) => actions.some((a) => a.type === type);

describe('Idle, Connect and Active', () => {
  test('ManualStart dials at once and arms the connect retry timer', () => {
    const r = run(initialPeerState(true), [{ type: 'manualStart' }]);
    assert.equal(r.s.state, 'Connect');
    assert.ok(has(r.actions, 'connect'));
    assert.equal(timer(r.actions, 'connectRetry'), 5000);
  });

  test('a passive peer waits in Active and never dials', () => {
    const r = run(initialPeerState(false), [{ type: 'manualStart' }, { type: 'connectRetryTimerExpires' }], ctxOf({ passive: true }));
    assert.equal(r.s.state, 'Active');
    assert.ok(!has(r.actions, 'connect'));
  });

  test('a refused dial goes to Active and backs off exponentially, with jitter', () => {
    const r1 = run(initialPeerState(false), [{ type: 'manualStart' }, { type: 'tcpConnectionFails', reason: 'ECONNREFUSED' }]);
    assert.equal(r1.s.state, 'Active');
    assert.equal(r1.reason, 'tcp-connection-failed');
    assert.equal(timer(r1.actions, 'connectRetry'), 1500);
    const r2 = run(r1.s, [{ type: 'connectRetryTimerExpires' }, { type: 'tcpConnectionFails', reason: 'ECONNREFUSED' }]);
    assert.equal(timer(r2.actions, 'connectRetry'), 3000);
    const many = run(r2.s, Array.from({ length: 20 }, () => [{ type: 'connectRetryTimerExpires' }, { type: 'tcpConnectionFails', reason: 'x' }] as FsmEvent[]).flat());
    assert.equal(timer(many.actions, 'connectRetry'), 45000, 'capped at 60 s before jitter');
    const jittered = run(initialPeerState(false), [{ type: 'manualStart' }, { type: 'tcpConnectionFails', reason: 'x' }], { config, random: () => 0.999 });
    assert.ok((timer(jittered.actions, 'connectRetry') ?? 0) > 1990);
  });

  test('a dial that does not complete before the connect retry timer is dropped and redone', () => {
    const r = run(initialPeerState(false), [{ type: 'manualStart' }, { type: 'connectRetryTimerExpires' }]);
    assert.equal(r.s.state, 'Connect');
    assert.deepEqual(r.actions.map((a) => a.type), ['disconnect', 'startTimer', 'connect']);
    assert.equal(r.s.connectRetryCounter, 1);
  });

  test('Active dials again when the connect retry timer expires', () => {
    const r = run(initialPeerState(false), [{ type: 'manualStart' }, { type: 'tcpConnectionFails', reason: 'x' }, { type: 'connectRetryTimerExpires' }]);
    assert.equal(r.s.state, 'Connect');
    assert.ok(has(r.actions, 'connect'));
  });

  test('Idle ignores messages and timers', () => {
    const s = initialPeerState(false);
    for (const e of [{ type: 'keepAliveMsg' }, { type: 'holdTimerExpires' }, { type: 'bfdDown' }] as FsmEvent[]) {
      const r = run(s, [e]);
      assert.equal(r.s.state, 'Idle');
      assert.deepEqual(r.actions, []);
    }
  });

  test('ManualStop in Connect releases the connection and does not restart', () => {
    const r = run(initialPeerState(false), [{ type: 'manualStart' }, { type: 'manualStop' }]);
    assert.equal(r.s.state, 'Idle');
    assert.ok(has(r.actions, 'disconnect'));
    assert.equal(timer(r.actions, 'idleHold'), undefined);
  });
});

describe('OpenSent', () => {
  test('TCP up sends our OPEN with the R bit, AS and the local IPv4 address as router ID', () => {
    const r = run(initialPeerState(true), toOpenSent, ctxOf({ localAs: 4200000001 }));
    assert.equal(r.s.state, 'OpenSent');
    const open = r.actions.find((a) => a.type === 'send')?.type === 'send' ? (r.actions.find((a) => a.type === 'send') as { message: OpenMessage }).message : undefined;
    assert.ok(open);
    assert.equal(open.myAs, AS_TRANS);
    assert.equal(open.bgpId, 0xc000020b);
    assert.deepEqual(open.capabilities.find((c) => c.type === 'fourOctetAs'), { type: 'fourOctetAs', asn: 4200000001 });
    const gr = open.capabilities.find((c) => c.type === 'gracefulRestart');
    assert.ok(gr && gr.type === 'gracefulRestart' && gr.restartState && gr.families[0]?.forwardingState);
    assert.equal(timer(r.actions, 'hold'), 240000, 'a large hold time until the OPEN arrives');
  });

  test('an IPv6-only session takes the configured router ID, else the one derived from the node name', () => {
    const v6 = { type: 'tcpConnectionConfirmed', localAddress: parseIP('2001:db8::11') } as FsmEvent;
    assert.equal(run(initialPeerState(false), [{ type: 'manualStart' }, v6]).s.localBgpId, routerIdFromName('node1'));
    assert.equal(run(initialPeerState(false), [{ type: 'manualStart' }, v6], ctxOf({ routerId: 42 })).s.localBgpId, 42);
  });

  test('a valid OPEN negotiates the smaller hold time, sends KEEPALIVE and arms both timers', () => {
    const r = run(initialPeerState(false), toOpenConfirm);
    assert.equal(r.s.state, 'OpenConfirm');
    assert.equal(r.s.negotiated?.holdTimeSec, 9);
    assert.equal(r.s.negotiated?.keepaliveSec, 3);
    assert.ok(r.actions.some((a) => a.type === 'send' && a.message.type === 'keepalive'));
    assert.equal(timer(r.actions, 'hold'), 9000);
    assert.equal(timer(r.actions, 'keepalive'), 2250);
  });

  test('hold time 0 on either side means no hold and no keepalive timer', () => {
    const r = run(initialPeerState(false), [...toOpenSent, { type: 'bgpOpen', open: peerOpen({ holdTimeSec: 0 }) }]);
    assert.equal(r.s.negotiated?.holdTimeSec, 0);
    assert.equal(timer(r.actions, 'hold'), undefined);
    assert.equal(timer(r.actions, 'keepalive'), undefined);
  });

  const openErrors: { name: string; open: OpenMessage; subcode: number; c?: Partial<FsmConfig>; data?: number[] }[] = [
    { name: 'version 3 is Unsupported Version Number with our version as data', open: peerOpen({ version: 3 }), subcode: 1, data: [0, 4] },
    { name: 'a different AS is Bad Peer AS', open: peerOpen({ myAs: 64513 }, [{ type: 'multiprotocol', afi: 1, safi: 1 }]), subcode: 2 },
    { name: 'AS 0 is Bad Peer AS (RFC 7607)', open: peerOpen({ myAs: 0 }, []), subcode: 2, c: { peerAs: 0 } },
    { name: 'AS_TRANS as a 4-octet AS is Bad Peer AS', open: peerOpen({ myAs: AS_TRANS }, [{ type: 'fourOctetAs', asn: AS_TRANS }]), subcode: 2, c: { peerAs: AS_TRANS } },
    { name: 'hold time 2 is Unacceptable Hold Time', open: peerOpen({ holdTimeSec: 2 }), subcode: 6 },
    { name: 'BGP identifier 0 is Bad BGP Identifier', open: peerOpen({ bgpId: 0 }), subcode: 3 },
    { name: 'our own identifier on iBGP is Bad BGP Identifier', open: peerOpen({ myAs: 64601, bgpId: 0xc000020b }, []), subcode: 3, c: { peerAs: 64601 } },
    { name: 'a 2-octet-only peer with our AS above 65535 is Unsupported Capability', open: peerOpen({}, [{ type: 'multiprotocol', afi: 1, safi: 1 }]), subcode: 7, c: { localAs: 4200000001 }, data: [65, 4, 0xfa, 0x56, 0xea, 0x01] },
    { name: 'a peer without our family is Unsupported Capability', open: peerOpen({}, [{ type: 'multiprotocol', afi: 1, safi: 1 }]), subcode: 7, c: { families: [6] }, data: [1, 4, 0, 2, 0, 1] },
  ];
  for (const row of openErrors) {
    test(`an OPEN with ${row.name}`, () => {
      const c = ctxOf(row.c);
      const r = run(initialPeerState(false), [...toOpenSent, { type: 'bgpOpen', open: row.open }], c);
      assert.equal(r.s.state, 'Idle');
      assert.equal(r.reason, 'open-message-error');
      const n = sent(r.actions);
      assert.equal(n?.code, 2);
      assert.equal(n?.subcode, row.subcode);
      if (row.data) assert.deepEqual([...(n?.data ?? [])], row.data);
      assert.ok(timer(r.actions, 'idleHold'), 'restarts later');
    });
  }

  test('a peer that sends no MP capability is taken as IPv4 unicast', () => {
    const r = run(initialPeerState(false), [...toOpenSent, { type: 'bgpOpen', open: peerOpen({}, []) }]);
    assert.deepEqual(r.s.negotiated?.families, [4]);
    assert.equal(r.s.negotiated?.fourOctetAs, false);
  });

  test('hold timer expiry in OpenSent sends Hold Timer Expired', () => {
    const r = run(initialPeerState(false), [...toOpenSent, { type: 'holdTimerExpires' }]);
    assert.equal(r.reason, 'hold-timer-expired');
    assert.equal(sent(r.actions)?.code, 4);
  });

  test('a KEEPALIVE before the OPEN is an FSM Error in OpenSent (RFC 6608 subcode 1)', () => {
    const r = run(initialPeerState(false), [...toOpenSent, { type: 'keepAliveMsg' }]);
    assert.deepEqual([sent(r.actions)?.code, sent(r.actions)?.subcode], [5, 1]);
  });

  test('a lost connection in OpenSent goes back to Active', () => {
    const r = run(initialPeerState(false), [...toOpenSent, { type: 'tcpConnectionFails', reason: 'reset' }]);
    assert.equal(r.s.state, 'Active');
    assert.ok(timer(r.actions, 'connectRetry'));
  });
});

describe('OpenConfirm', () => {
  test('the peer KEEPALIVE establishes the session and triggers the initial announcement', () => {
    const r = run(initialPeerState(true), toEstablished);
    assert.equal(r.s.state, 'Established');
    assert.equal(r.s.restarting, false, 'the R bit is only for the first session');
    assert.ok(has(r.actions, 'announceAll'));
    assert.equal(timer(r.actions, 'hold'), 9000);
  });

  test('the keepalive timer sends KEEPALIVE and re-arms itself', () => {
    const r = run(initialPeerState(false), [...toOpenConfirm, { type: 'keepaliveTimerExpires' }]);
    assert.equal(r.s.state, 'OpenConfirm');
    assert.ok(r.actions.some((a) => a.type === 'send' && a.message.type === 'keepalive'));
    assert.equal(timer(r.actions, 'keepalive'), 2250);
  });

  test('an UPDATE in OpenConfirm is an FSM Error (subcode 2)', () => {
    const r = run(initialPeerState(false), [...toOpenConfirm, { type: 'updateMsg', update: { type: 'update', withdrawn: [], attributes: {}, nlri: [] }, handling: 'none', problems: [] }]);
    assert.deepEqual([sent(r.actions)?.code, sent(r.actions)?.subcode], [5, 2]);
  });

  test('hold timer expiry in OpenConfirm sends Hold Timer Expired', () => {
    const r = run(initialPeerState(false), [...toOpenConfirm, { type: 'holdTimerExpires' }]);
    assert.equal(sent(r.actions)?.code, 4);
  });
});

describe('Established', () => {
  const est = run(initialPeerState(false), toEstablished).s;

  test('hold timer expiry sends 4/0, closes and restarts later', () => {
    const r = run(est, [{ type: 'holdTimerExpires' }]);
    assert.equal(r.s.state, 'Idle');
    assert.equal(r.reason, 'hold-timer-expired');
    assert.deepEqual([sent(r.actions)?.code, sent(r.actions)?.subcode], [4, 0]);
    assert.ok(has(r.actions, 'disconnect'));
    assert.equal(timer(r.actions, 'idleHold'), 1500);
  });

  test('the IdleHold timer restarts the session, backing off after repeated failures', () => {
    const down = run(est, [{ type: 'holdTimerExpires' }]).s;
    const r = run(down, [{ type: 'idleHoldTimerExpires' }]);
    assert.equal(r.s.state, 'Connect');
    const again = run(r.s, [{ type: 'tcpConnectionConfirmed', localAddress: LOCAL }, { type: 'holdTimerExpires' }]);
    assert.equal(timer(again.actions, 'idleHold'), 3000);
  });

  test('a KEEPALIVE or an UPDATE restarts the hold timer', () => {
    assert.equal(timer(run(est, [{ type: 'keepAliveMsg' }]).actions, 'hold'), 9000);
    const u = run(est, [{ type: 'updateMsg', update: { type: 'update', withdrawn: [], attributes: {}, nlri: [] }, handling: 'none', problems: [] }]);
    assert.equal(timer(u.actions, 'hold'), 9000);
  });

  test('received routes are counted, not kept', () => {
    const update = { type: 'update' as const, withdrawn: [], attributes: { origin: 0 as const, asPath: [], nextHop: LOCAL }, nlri: [{ address: LOCAL, length: 32 }] };
    const r = run(est, [{ type: 'updateMsg', update, handling: 'none', problems: [] }]);
    assert.equal(r.s.state, 'Established');
    assert.deepEqual(r.actions.find((a) => a.type === 'routesReceived'), { type: 'routesReceived', announced: 1, withdrawn: 0 });
  });

  test('a treat-as-withdraw UPDATE keeps the session and counts its routes as withdrawn', () => {
    const problem = new BgpError({ code: 3, subcode: 6, message: 'bad origin', handling: 'treat-as-withdraw' });
    const update = { type: 'update' as const, withdrawn: [], attributes: {}, nlri: [{ address: LOCAL, length: 32 }] };
    const r = run(est, [{ type: 'updateMsg', update, handling: 'treat-as-withdraw', problems: [problem] }]);
    assert.equal(r.s.state, 'Established');
    assert.deepEqual(r.actions.find((a) => a.type === 'routesReceived'), { type: 'routesReceived', announced: 0, withdrawn: 1 });
    assert.ok(has(r.actions, 'updateProblems'));
    assert.equal(sent(r.actions), undefined);
  });

  test('a session-reset UPDATE error sends its NOTIFICATION', () => {
    const error = new BgpError({ code: 3, subcode: 10, message: 'bad prefix' });
    const r = run(est, [{ type: 'messageError', error }]);
    assert.equal(r.reason, 'update-message-error');
    assert.deepEqual([sent(r.actions)?.code, sent(r.actions)?.subcode], [3, 10]);
  });

  test('ROUTE-REFRESH for a negotiated family replays the Adj-RIB-Out; others are ignored', () => {
    assert.deepEqual(run(est, [{ type: 'routeRefreshMsg', afi: 1, safi: 1 }]).actions, [{ type: 'replayAdjRibOut', family: 4 }]);
    assert.deepEqual(run(est, [{ type: 'routeRefreshMsg', afi: 2, safi: 1 }]).actions, []);
  });

  test('an OPEN in Established is an FSM Error (subcode 3)', () => {
    const r = run(est, [{ type: 'bgpOpen', open: peerOpen() }]);
    assert.deepEqual([sent(r.actions)?.code, sent(r.actions)?.subcode], [5, 3]);
  });

  test('a NOTIFICATION from the peer closes without answering', () => {
    const notification = { type: 'notification' as const, code: 6, subcode: 4, data: Buffer.alloc(0) };
    const r = run(est, [{ type: 'notifMsg', notification }]);
    assert.equal(r.reason, 'notification-received');
    assert.equal(sent(r.actions), undefined);
    assert.ok(has(r.actions, 'notificationReceived'));
  });

  test('ManualStop sends Cease/Administrative Shutdown with the shutdown communication and stays down', () => {
    const r = run(est, [{ type: 'manualStop', message: 'bye' }]);
    assert.deepEqual([sent(r.actions)?.code, sent(r.actions)?.subcode], [6, 2]);
    assert.deepEqual([...(sent(r.actions)?.data ?? [])], [3, 0x62, 0x79, 0x65]);
    assert.equal(timer(r.actions, 'idleHold'), undefined);
  });

  test('a graceful ManualStop with GR negotiated closes without NOTIFICATION', () => {
    const r = run(est, [{ type: 'manualStop', graceful: true }]);
    assert.equal(sent(r.actions), undefined);
    assert.ok(has(r.actions, 'disconnect'));
    const noGr = run(run(initialPeerState(false), [...toOpenSent, { type: 'bgpOpen', open: peerOpen({}, [{ type: 'fourOctetAs', asn: 64512 }]) }, { type: 'keepAliveMsg' }]).s, [{ type: 'manualStop', graceful: true }]);
    assert.equal(sent(noGr.actions)?.code, 6, 'a peer without GR gets a Cease');
  });

  test('send hold timer expiry sends Send Hold Timer Expired (RFC 9687)', () => {
    const r = run(est, [{ type: 'sendHoldTimerExpires' }]);
    assert.equal(r.reason, 'send-hold-timer-expired');
    assert.equal(sent(r.actions)?.code, 8);
  });

  test('BFD down sends Cease/BFD Down (RFC 9384)', () => {
    const r = run(est, [{ type: 'bfdDown' }]);
    assert.deepEqual([sent(r.actions)?.code, sent(r.actions)?.subcode], [6, 10]);
  });

  test('a lost connection goes to Idle without NOTIFICATION', () => {
    const r = run(est, [{ type: 'tcpConnectionFails', reason: 'ECONNRESET' }]);
    assert.equal(r.s.state, 'Idle');
    assert.equal(sent(r.actions), undefined);
    assert.ok(timer(r.actions, 'idleHold'));
  });
});
