import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BfdState, type ControlPacket } from './packet.ts';
import {
  detectionTimeExpired, detectionTimeUs, initialVars, jitteredIntervalUs, packetToSend, receivePacket, setAdminDown,
  setParameters, transmitIntervalUs, SLOW_TX_US, type BfdVars,
} from './fsm.ts';

const LOCAL = 1000;
const REMOTE = 2000;
const config = { desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3 };

/** A packet from the peer; defaults: Down, no discriminator of ours yet, 300 ms x 3. */
function pkt(p: Partial<ControlPacket> = {}): ControlPacket {
  return {
    version: 1, diagnostic: 0, state: BfdState.Down, poll: false, final: false, controlPlaneIndependent: false,
    authenticationPresent: false, demand: false, multipoint: false, detectMult: 3, myDiscriminator: REMOTE,
    yourDiscriminator: 0, desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, requiredMinEchoRxUs: 0, ...p,
  };
}

/** Variables of a session in `state`, having heard from the peer. */
function inState(state: BfdState): BfdVars {
  let v = initialVars(LOCAL, config);
  if (state === BfdState.Down) return v;
  v = receivePacket(v, pkt()).vars; // -> Init
  if (state === BfdState.Init) return v;
  v = receivePacket(v, pkt({ state: BfdState.Init, yourDiscriminator: LOCAL })).vars; // -> Up (poll starts)
  return receivePacket(v, pkt({ state: BfdState.Up, yourDiscriminator: LOCAL, final: true })).vars; // poll done
}

const stateOf = (v: BfdVars): string => ['AdminDown', 'Down', 'Init', 'Up'][v.sessionState]!;

describe('BFD state machine (RFC 5880 §6.2, §6.8.6)', () => {
  const transitions: [string, BfdState, Partial<ControlPacket>, string, number][] = [
    ['Down hears Down: Init', BfdState.Down, { state: BfdState.Down }, 'Init', 0],
    ['Down hears Init: Up', BfdState.Down, { state: BfdState.Init, yourDiscriminator: LOCAL }, 'Up', 0],
    ['Down hears Up: stays Down', BfdState.Down, { state: BfdState.Up, yourDiscriminator: LOCAL }, 'Down', 0],
    ['Init hears Init: Up', BfdState.Init, { state: BfdState.Init, yourDiscriminator: LOCAL }, 'Up', 0],
    ['Init hears Up: Up', BfdState.Init, { state: BfdState.Up, yourDiscriminator: LOCAL }, 'Up', 0],
    ['Init hears Down: stays Init', BfdState.Init, { state: BfdState.Down }, 'Init', 0],
    ['Up hears Down: Down, neighbor signaled', BfdState.Up, { state: BfdState.Down, yourDiscriminator: LOCAL }, 'Down', 3],
    ['Up hears AdminDown: Down, neighbor signaled', BfdState.Up, { state: BfdState.AdminDown, yourDiscriminator: LOCAL, diagnostic: 7 }, 'Down', 3],
    ['Init hears AdminDown: Down', BfdState.Init, { state: BfdState.AdminDown }, 'Down', 3],
    ['Down hears AdminDown: stays Down', BfdState.Down, { state: BfdState.AdminDown }, 'Down', 0],
    ['Up hears Up: stays Up', BfdState.Up, { state: BfdState.Up, yourDiscriminator: LOCAL }, 'Up', 0],
  ];
  for (const [name, from, p, to, diag] of transitions) {
    it(name, () => {
      const step = receivePacket(inState(from), pkt(p));
      assert.equal(step.dropped, undefined);
      assert.equal(stateOf(step.vars), to);
      assert.equal(step.vars.localDiag, diag);
      const changed = step.actions.find((a) => a.type === 'stateChanged');
      assert.equal(changed !== undefined, to !== stateOf(inState(from)));
      if (changed) assert.ok(step.actions.some((a) => a.type === 'transmitNow'), 'a state change is announced at once');
      assert.ok(step.actions.some((a) => a.type === 'restartDetectionTimer'));
      assert.equal(step.vars.remoteDiscr, REMOTE);
    });
  }

  it('discards a packet whose Your Discriminator is not ours', () => {
    const v = inState(BfdState.Up);
    const step = receivePacket(v, pkt({ state: BfdState.Down, yourDiscriminator: 4242 }));
    assert.equal(step.dropped, 'yourDiscriminatorMismatch');
    assert.equal(step.vars, v);
  });

  it('discards Your Discriminator 0 unless the peer is Down or AdminDown', () => {
    assert.equal(receivePacket(inState(BfdState.Up), pkt({ state: BfdState.Up })).dropped, 'zeroYourDiscriminatorNotDown');
    assert.equal(receivePacket(inState(BfdState.Init), pkt({ state: BfdState.Init })).dropped, 'zeroYourDiscriminatorNotDown');
  });

  it('discards everything while AdminDown, yet learns the peer (§6.8.6 order)', () => {
    const v = setAdminDown(inState(BfdState.Up), true).vars;
    const step = receivePacket(v, pkt({ state: BfdState.Init, yourDiscriminator: LOCAL }));
    assert.equal(step.dropped, 'adminDown');
    assert.equal(stateOf(step.vars), 'AdminDown');
  });

  it('answers a Poll at once with Final and without Poll', () => {
    const step = receivePacket(inState(BfdState.Up), pkt({ state: BfdState.Up, yourDiscriminator: LOCAL, poll: true, desiredMinTxUs: 100_000 }));
    assert.deepEqual(step.actions.filter((a) => a.type === 'transmitNow'), [{ type: 'transmitNow', final: true }]);
    const out = packetToSend(step.vars, true);
    assert.equal(out.final, true);
    assert.equal(out.poll, false);
    assert.equal(step.vars.remoteDesiredMinTxUs, 100_000);
  });

  it('advertises at least one second while not Up, and its own interval once Up, by a Poll Sequence', () => {
    const init = inState(BfdState.Init);
    assert.equal(packetToSend(init, false).desiredMinTxUs, SLOW_TX_US);
    assert.equal(packetToSend(init, false).poll, false);
    const up = receivePacket(init, pkt({ state: BfdState.Up, yourDiscriminator: LOCAL })).vars;
    assert.equal(stateOf(up), 'Up');
    assert.equal(up.pollActive, true);
    assert.deepEqual([packetToSend(up, false).desiredMinTxUs, packetToSend(up, false).poll], [300_000, true]);
    assert.equal(transmitIntervalUs(up), 300_000, 'a decrease paces transmissions at once');
    const done = receivePacket(up, pkt({ state: BfdState.Up, yourDiscriminator: LOCAL, final: true })).vars;
    assert.equal(done.pollActive, false);
    assert.equal(packetToSend(done, false).poll, false);
  });

  it('keeps the old transmit pace for an increased Desired Min TX until the poll ends', () => {
    const up = inState(BfdState.Up);
    const step = setParameters(up, { ...config, desiredMinTxUs: 900_000 });
    assert.deepEqual(step.actions, [{ type: 'transmitNow', final: false }]);
    assert.equal(packetToSend(step.vars, false).desiredMinTxUs, 900_000);
    assert.equal(transmitIntervalUs(step.vars), 300_000);
    const done = receivePacket(step.vars, pkt({ state: BfdState.Up, yourDiscriminator: LOCAL, final: true })).vars;
    assert.equal(transmitIntervalUs(done), 900_000);
  });

  it('keeps the old detection time for a decreased Required Min RX until the poll ends', () => {
    const up = inState(BfdState.Up);
    const fast = pkt({ state: BfdState.Up, yourDiscriminator: LOCAL, desiredMinTxUs: 50_000 });
    const v = setParameters(receivePacket(up, fast).vars, { ...config, requiredMinRxUs: 100_000 }).vars;
    assert.equal(packetToSend(v, false).requiredMinRxUs, 100_000);
    assert.equal(detectionTimeUs(v), 3 * 300_000);
    const done = receivePacket(v, { ...fast, final: true }).vars;
    assert.equal(detectionTimeUs(done), 3 * 100_000);
  });

  it('computes the detection time from the remote multiplier and the slower of both intervals', () => {
    assert.equal(detectionTimeUs(initialVars(LOCAL, config)), undefined, 'no packet yet');
    const v = receivePacket(initialVars(LOCAL, config), pkt({ detectMult: 5, desiredMinTxUs: 1_000_000 })).vars;
    assert.equal(detectionTimeUs(v), 5 * 1_000_000);
    const w = receivePacket(initialVars(LOCAL, config), pkt({ detectMult: 2, desiredMinTxUs: 10_000 })).vars;
    assert.equal(detectionTimeUs(w), 2 * 300_000);
  });

  it('goes Down with "Control Detection Time Expired" and forgets the peer when packets stop', () => {
    const step = detectionTimeExpired(inState(BfdState.Up));
    assert.equal(stateOf(step.vars), 'Down');
    assert.equal(step.vars.localDiag, 1);
    assert.equal(step.vars.remoteDiscr, 0);
    assert.equal(packetToSend(step.vars, false).desiredMinTxUs, SLOW_TX_US, 'back to the slow rate');
    assert.ok(step.actions.some((a) => a.type === 'stateChanged' && a.diagnostic === 1));
  });

  it('only forgets the peer when the detection time passes while Down', () => {
    const v = receivePacket(initialVars(LOCAL, config), pkt({ state: BfdState.AdminDown })).vars;
    const step = detectionTimeExpired(v);
    assert.deepEqual(step.actions, []);
    assert.equal(step.vars.remoteDiscr, 0);
  });

  it('administrative down sends AdminDown with diagnostic 7, and comes back as Down', () => {
    const down = setAdminDown(inState(BfdState.Up), true);
    assert.equal(packetToSend(down.vars, false).state, BfdState.AdminDown);
    assert.equal(packetToSend(down.vars, false).diagnostic, 7);
    assert.equal(stateOf(setAdminDown(down.vars, false).vars), 'Down');
  });

  it('does not transmit periodically when the peer asks for no packets or is in Demand mode', () => {
    const up = inState(BfdState.Up);
    assert.equal(transmitIntervalUs(receivePacket(up, pkt({ state: BfdState.Up, yourDiscriminator: LOCAL, requiredMinRxUs: 0 })).vars), undefined);
    assert.equal(transmitIntervalUs(receivePacket(up, pkt({ state: BfdState.Up, yourDiscriminator: LOCAL, demand: true })).vars), undefined);
    assert.equal(transmitIntervalUs(receivePacket(up, pkt({ state: BfdState.Up, yourDiscriminator: LOCAL, requiredMinRxUs: 500_000 })).vars), 500_000, 'the slower side sets the pace');
  });

  it('jitters each interval to 75-100 %, or 75-90 % with Detect Mult 1 (§6.8.7)', () => {
    assert.equal(jitteredIntervalUs(1_000_000, 3, 0), 750_000);
    assert.equal(jitteredIntervalUs(1_000_000, 3, 0.999999), 999_999);
    assert.equal(jitteredIntervalUs(1_000_000, 1, 0.999999), 899_999);
  });

  it('rejects parameters the wire cannot carry', () => {
    assert.throws(() => initialVars(LOCAL, { ...config, detectMult: 0 }), /detect multiplier/);
    assert.throws(() => initialVars(LOCAL, { ...config, requiredMinRxUs: 0 }), /requiredMinRxUs/);
    assert.throws(() => initialVars(0, config), /discriminator/);
  });
});
