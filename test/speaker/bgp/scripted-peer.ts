// A scripted BGP router for shell tests on loopback: our codec on the other end of a real TCP
// connection. As a server it answers OPEN with OPEN + KEEPALIVE; `connect` makes it dial instead.
import net from 'node:net';
import { Framer, KEEPALIVE, decodeFrame, encodeOpen, type BgpMessage } from '../../../images/speaker/src/bgp/codec/index.ts';

const OPEN = encodeOpen({
  type: 'open', version: 4, myAs: 64512, holdTimeSec: 9, bgpId: 0xc0000201,
  capabilities: [{ type: 'multiprotocol', afi: 1, safi: 1 }, { type: 'routeRefresh' }, { type: 'fourOctetAs', asn: 64512 }],
});

/** A scripted router: answers OPEN and KEEPALIVE, records what it receives. */
export class ScriptedPeer {
  readonly server = net.createServer((s) => this.#accept(s));
  socket: net.Socket | undefined;
  received: BgpMessage[] = [];
  closed = false;
  #waiters: (() => void)[] = [];
  #opened = false;
  #dialled = false;

  /** Dials a listening speaker and sends our OPEN first. */
  connect(port: number): void {
    this.#dialled = true;
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => s.write(OPEN));
    this.#accept(s);
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  #accept(s: net.Socket): void {
    this.socket = s;
    this.#opened = false;
    const framer = new Framer();
    s.on('error', () => undefined);
    s.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    s.on('data', (chunk: Buffer) => {
      for (const f of framer.push(chunk)) {
        if (f instanceof Error) continue;
        const d = decodeFrame(f, { fourOctetAs: true, extendedMessage: false });
        if (!d.ok) continue;
        this.received.push(d.message);
        if (d.message.type === 'open' && !this.#opened) {
          this.#opened = true;
          if (!this.#dialled) s.write(OPEN);
          s.write(KEEPALIVE);
        }
      }
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /**
   * Resolves when `pred` holds over what was received (checked on every arrival); rejects after
   * `timeoutMs` naming what arrived, so that a failing test ends instead of hanging the run.
   */
  until(pred: () => boolean, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== check);
        reject(new Error(`scripted peer: condition not met within ${timeoutMs} ms; received ${this.received.map((m) => m.type).join(', ') || 'nothing'}${this.closed ? ', connection closed' : ''}`));
      }, timeoutMs);
      const check = (): void => {
        if (!pred()) {
          this.#waiters.push(check);
          return;
        }
        clearTimeout(timer);
        resolve();
      };
      check();
    });
  }

  updates(): Extract<BgpMessage, { type: 'update' }>[] {
    return this.received.filter((m): m is Extract<BgpMessage, { type: 'update' }> => m.type === 'update');
  }
}


/** `p`, or a rejection naming `what` after `timeoutMs`: an awaited event that never comes fails the test. */
export function within<T>(p: Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
