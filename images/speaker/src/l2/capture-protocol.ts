// Framing between the speaker and its capture workers over stdio: 4-byte big-endian length, then
// a 1-byte message type, then the payload.
//
//   speaker → worker   'O' owned IPs (JSON string array)      'S' an Ethernet frame to send
//   worker → speaker   'R' capture open                       'C' counters since last (JSON)
//                      'X' fatal error text, then the worker exits

/** Message types. */
export const MSG = { owned: 0x4f, send: 0x53, ready: 0x52, counters: 0x43, fatal: 0x58 } as const;

/** Counters a worker reports about once a second (and at exit). */
export interface WorkerCounters {
  requests: Record<string, number>;
  responses: Record<string, number>;
  dropped: Record<string, number>;
  sendErrors: number;
}

/** Encodes one message. */
export function frameMessage(type: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + payload.length);
  b.writeUInt32BE(1 + payload.length, 0);
  b[4] = type;
  b.set(payload, 5);
  return b;
}

/** Splits a byte stream into messages, whatever the chunk boundaries. */
export class MessageReader {
  #buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onMessage: (type: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length >= 4) {
      const len = this.#buf.readUInt32BE(0);
      if (this.#buf.length < 4 + len) return;
      const msg = this.#buf.subarray(4, 4 + len);
      this.#buf = this.#buf.subarray(4 + len);
      if (len >= 1) this.onMessage(msg[0] as number, Buffer.from(msg.subarray(1)));
    }
  }
}
