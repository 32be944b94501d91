// BfdSession on an injected clock: two of our sessions talk over an in-memory wire (a fake
// BfdTransport that delivers after 1 ms of clock time and can be cut or given another TTL).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.ts';
import { BfdSession, type BfdDownEvent, type BfdEndpoint, type BfdTransport, type BfdSessionOptions } from './session.ts';
import { decodeControlPacket, type ControlPacket } from './packet.ts';

interface Sent { at: number; from: string; packet: ControlPacket }

/** An in-memory network: what one endpoint sends arrives at the endpoint whose local is the peer. */
class Wire {
  readonly sent: Sent[] = [];
  cut = false;
  ttl = 255;
  #ends = new Map<string, (data: Buffer, ttl: number) => void>();
  constructor(readonly clock: ManualClock) {}

  transport(): BfdTransport {
    return {
      attach: (ep: BfdEndpoint, receive) => {
        this.#ends.set(ep.local, receive);
        return {
          send: (packet) => {
            const d = decodeControlPacket(packet);
            assert.ok(d.ok, 'we only ever send valid packets');
            this.sent.push({ at: this.clock.now(), from: ep.local, packet: d.packet });
            if (this.cut) return;
            const ttl = this.ttl;
            this.clock.setTimeout(() => this.#ends.get(ep.peer)?.(packet, ttl), 1);
          },
          close: () => { this.#ends.delete(ep.local); },
        };
      },
    };
  }
}

const opts = (local: string, peer: string, o: Partial<BfdSessionOptions> = {}): BfdSessionOptions =>
  ({ local, peer, receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3, ...o });

function pair(o: Partial<BfdSessionOptions> = {}, randoms?: number[]): { clock: ManualClock; wire: Wire; a: BfdSession; b: BfdSession; log: string[] } {
  const clock = new ManualClock(randoms);
  const wire = new Wire(clock);
  const log: string[] = [];
  const a = new BfdSession(opts('192.0.2.11', '192.0.2.1', o), wire.transport(), clock);
  const b = new BfdSession(opts('192.0.2.1', '192.0.2.11', o), wire.transport(), clock);
  for (const [name, s] of [['a', a], ['b', b]] as const) {
    s.on('up', () => log.push(`${name} up`));
    s.on('down', (e: BfdDownEvent) => log.push(`${name} down ${e.diagnostic}/${e.remoteDiagnostic}`));
  }
  return { clock, wire, a, b, log };
}

describe('BfdSession with an injected clock', () => {
  it('two sessions come Up through Down -> Init -> Up and emit up once each', () => {
    const { clock, a, b, log } = pair();
    const states: string[] = [];
    a.on('stateChange', (c) => states.push(`${c.from}->${c.to}`));
    clock.advance(3000);
    assert.equal(a.state, 'Up');
    assert.equal(b.state, 'Up');
    // The three-way handshake: Down -> Init -> Up, or straight Down -> Up on hearing Init.
    assert.ok(['Down->Init,Init->Up', 'Down->Up'].includes(states.join(',')), states.join(','));
    assert.deepEqual(log.sort(), ['a up', 'b up']);
  });

  it('sends slowly (>= 750 ms apart) before Up and at the configured pace with jitter after', () => {
    const { clock, wire } = pair({}, [0, 0.999, 0.5, 0.25]);
    clock.advance(5000);
    const fromA = wire.sent.filter((s) => s.from === '192.0.2.11');
    const periodic = (xs: Sent[]): number[] => xs.slice(1).map((s, i) => s.at - xs[i]!.at);
    const down = fromA.filter((s) => s.packet.state !== 3 && !s.packet.final);
    for (const gap of periodic(down.slice(0, 2))) assert.ok(gap >= 750, `slow gap ${gap}`);
    const up = fromA.filter((s) => s.packet.state === 3 && !s.packet.final);
    const gaps = periodic(up);
    assert.ok(gaps.length >= 10);
    for (const gap of gaps) assert.ok(gap >= 225 && gap <= 300, `gap ${gap} within 75-100 % of 300 ms`);
    assert.ok(new Set(gaps).size > 1, 'jittered, not fixed');
  });

  it('runs a Poll Sequence after coming Up: P until the peer answers with F', () => {
    const { clock, wire } = pair();
    clock.advance(5000);
    const up = wire.sent.filter((s) => s.from === '192.0.2.11' && s.packet.state === 3);
    const firstPoll = up.findIndex((s) => s.packet.poll);
    assert.ok(firstPoll >= 0, 'a poll after the interval dropped from 1 s to 300 ms');
    const finalFromB = wire.sent.find((s) => s.from === '192.0.2.1' && s.packet.final);
    assert.ok(finalFromB, 'the peer answered with F');
    assert.ok(up.filter((s) => s.at > finalFromB.at + 1).every((s) => !s.packet.poll), 'no P after the F arrived');
    assert.equal(up.at(-1)?.packet.desiredMinTxUs, 300_000);
    assert.ok(wire.sent.every((s) => !(s.packet.poll && s.packet.final)));
  });

  it('goes down with controlDetectionTimeExpired exactly one detection time after the last packet', () => {
    const { clock, wire, a, log } = pair();
    clock.advance(3000);
    wire.cut = true;
    const cutAt = clock.now();
    const detection = 3 * 300;
    // The last packet from B before the cut arrived 1 ms after it was sent.
    const deadline = wire.sent.filter((s) => s.from === '192.0.2.1' && s.at <= cutAt).at(-1)!.at + 1 + detection;
    clock.advance(deadline - clock.now() - 1);
    assert.equal(a.state, 'Up', 'still Up 1 ms before the detection time');
    clock.advance(1);
    assert.equal(a.state, 'Down');
    assert.ok(log.includes('a down controlDetectionTimeExpired/none'));
  });

  it('recovers after the wire is repaired', () => {
    const { clock, wire, a, b } = pair();
    clock.advance(3000);
    wire.cut = true;
    clock.advance(2000);
    assert.deepEqual([a.state, b.state], ['Down', 'Down']);
    wire.cut = false;
    clock.advance(5000);
    assert.deepEqual([a.state, b.state], ['Up', 'Up']);
    assert.equal(a.counters.upTransitions, 2);
  });

  it('close() tells the peer at once: it goes Down with neighborSignaledSessionDown / administrativelyDown', () => {
    const { clock, a, b, log } = pair();
    clock.advance(3000);
    a.close();
    clock.advance(2);
    assert.equal(b.state, 'Down');
    assert.ok(log.includes('b down neighborSignaledSessionDown/administrativelyDown'));
    assert.equal(a.state, 'AdminDown');
    a.close(); // idempotent
  });

  it('setTimers moves both sides to the new pace by a Poll Sequence without leaving Up', () => {
    const { clock, wire, a, b, log } = pair();
    clock.advance(3000);
    const states: string[] = [];
    b.on('stateChange', (c) => states.push(c.to));
    a.setTimers({ transmitInterval: 100, receiveInterval: 100, detectMultiplier: 5 });
    clock.advance(3000);
    assert.deepEqual([a.state, b.state, states], ['Up', 'Up', []]);
    assert.ok(log.every((l) => !l.includes('down')));
    const late = wire.sent.filter((s) => s.from === '192.0.2.11' && s.at > clock.now() - 1000 && !s.packet.final);
    assert.ok(late.every((s) => s.packet.desiredMinTxUs === 100_000 && s.packet.detectMult === 5 && !s.packet.poll));
    // b paces itself by a's Required Min RX (100 ms) now; its own Desired Min TX is still 300 ms.
    assert.equal(b.variables.remoteMinRxUs, 100_000);
    assert.throws(() => a.setTimers({ transmitInterval: 100, receiveInterval: 100, detectMultiplier: 0 }), /detect multiplier/);
  });

  it('single hop: discards packets that arrive with a TTL other than 255 (RFC 5881 §5)', () => {
    const { clock, wire, a } = pair();
    wire.ttl = 254;
    clock.advance(3000);
    assert.equal(a.state, 'Down');
    assert.ok((a.counters.dropped.ttl ?? 0) > 0);
    assert.equal(a.counters.packetsReceived, 0);
  });

  it('multihop: accepts a TTL down to minimumTtl (RFC 5883)', () => {
    const { clock, wire, a } = pair({ multihop: true, minimumTtl: 250 });
    wire.ttl = 250;
    clock.advance(3000);
    assert.equal(a.state, 'Up');
    wire.ttl = 249;
    clock.advance(2000);
    assert.equal(a.state, 'Down');
  });

  it('counts malformed datagrams instead of failing', () => {
    const clock = new ManualClock();
    let deliver: (data: Buffer, ttl: number) => void = () => {};
    const s = new BfdSession(opts('192.0.2.11', '192.0.2.1'), { attach: (_ep, r) => { deliver = r; return { send: () => {}, close: () => {} }; } }, clock);
    const events: string[] = [];
    s.on('dropped', (reason) => events.push(reason));
    deliver(Buffer.from('not bfd'), 255);
    deliver(Buffer.alloc(24), 255);
    assert.deepEqual(s.counters.dropped, { tooShort: 1, badVersion: 1 });
    assert.deepEqual(events, ['tooShort', 'badVersion']);
    s.close();
  });

  it('rejects a configuration the protocol cannot carry', () => {
    const t: BfdTransport = { attach: () => ({ send: () => {}, close: () => {} }) };
    assert.throws(() => new BfdSession(opts('192.0.2.11', '192.0.2.1', { detectMultiplier: 0 }), t, new ManualClock()), /detect multiplier/);
    assert.throws(() => new BfdSession(opts('192.0.2.11', '192.0.2.1', { receiveInterval: 0 }), t, new ManualClock()), /requiredMinRxUs/);
  });
});
