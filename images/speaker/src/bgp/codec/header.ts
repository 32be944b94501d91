// The 19-octet header and the stream framer (RFC 4271 §4.1, §6.1).
import {
  ErrorCode,
  HEADER_LENGTH,
  HeaderSubcode,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
} from './constants.ts';
import { BgpError } from './errors.ts';

const MARKER = Buffer.alloc(16, 0xff);

/** Smallest legal total length per type (RFC 4271 §4, RFC 2918 §3). */
const MIN_LENGTH: Record<number, number> = {
  [MessageType.OPEN]: 29,
  [MessageType.UPDATE]: 23,
  [MessageType.NOTIFICATION]: 21,
  [MessageType.KEEPALIVE]: 19,
  [MessageType.ROUTE_REFRESH]: 23,
};

/** Prefixes `body` with the marker, length and type. */
export function encodeFrame(type: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  MARKER.copy(out, 0);
  out.writeUInt16BE(HEADER_LENGTH + body.length, 16);
  out[18] = type;
  out.set(body, HEADER_LENGTH);
  return out;
}

/** A message cut out of the stream, header checked, body not yet decoded. */
export interface Frame {
  type: number;
  body: Buffer;
}

function badLength(length: number): BgpError {
  const data = Buffer.alloc(2);
  data.writeUInt16BE(length);
  return new BgpError({
    code: ErrorCode.MESSAGE_HEADER,
    subcode: HeaderSubcode.BAD_MESSAGE_LENGTH,
    data,
    message: `bad message length ${length}`,
  });
}

/**
 * Checks a header (RFC 4271 §6.1): marker all ones, length within bounds and legal for the type,
 * known type. `maxLength` is 4096, or 65535 once Extended Message is negotiated (RFC 8654; OPEN and
 * KEEPALIVE stay at 4096 either way).
 */
export function checkHeader(header: Buffer, maxLength: number): BgpError | undefined {
  if (!header.subarray(0, 16).equals(MARKER)) {
    return new BgpError({
      code: ErrorCode.MESSAGE_HEADER,
      subcode: HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED,
      message: 'marker is not all ones',
    });
  }
  const length = header.readUInt16BE(16);
  const type = header[18] ?? 0;
  const min = MIN_LENGTH[type];
  if (length < HEADER_LENGTH || length > maxLength) return badLength(length);
  if (min === undefined) {
    return new BgpError({
      code: ErrorCode.MESSAGE_HEADER,
      subcode: HeaderSubcode.BAD_MESSAGE_TYPE,
      data: Buffer.from([type]),
      message: `unknown message type ${type}`,
    });
  }
  const typeMax =
    type === MessageType.OPEN || type === MessageType.KEEPALIVE ? Math.min(maxLength, MAX_MESSAGE_LENGTH) : maxLength;
  if (length < min || length > typeMax) return badLength(length);
  if (type === MessageType.KEEPALIVE && length !== HEADER_LENGTH) return badLength(length);
  return undefined;
}

/**
 * Re-assembles messages from TCP chunks: TCP is a byte stream, so one chunk may hold several
 * messages or a part of one. After the first header error the framer yields nothing more (the
 * session is reset anyway).
 */
export class Framer {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #failed = false;
  #maxLength = MAX_MESSAGE_LENGTH;

  /** Raises the length limit once Extended Message is negotiated. */
  setExtendedMessage(on: boolean): void {
    this.#maxLength = on ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  }

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds a chunk and returns the complete messages it finished (or the header error met). */
  push(chunk: Buffer): (Frame | BgpError)[] {
    if (this.#failed) return [];
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const out: (Frame | BgpError)[] = [];
    let buf = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#buffered);
    let offset = 0;
    while (buf.length - offset >= HEADER_LENGTH) {
      const header = buf.subarray(offset, offset + HEADER_LENGTH);
      const err = checkHeader(header, this.#maxLength);
      if (err) {
        this.#failed = true;
        out.push(err);
        this.#chunks = [];
        this.#buffered = 0;
        return out;
      }
      const length = header.readUInt16BE(16);
      if (buf.length - offset < length) break;
      // Copy the body: the caller may keep it while the chunk buffer is reused by the next read.
      out.push({ type: header[18] ?? 0, body: Buffer.from(buf.subarray(offset + HEADER_LENGTH, offset + length)) });
      offset += length;
    }
    buf = buf.subarray(offset);
    this.#chunks = buf.length > 0 ? [buf] : [];
    this.#buffered = buf.length;
    return out;
  }
}
