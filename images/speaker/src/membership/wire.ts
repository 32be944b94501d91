// Heartbeat wire format (DESIGN §5), version 1:
//
//   off  len  field
//   0    1    version (1)
//   1    1    flags: bit 0 = leave (graceful shutdown)
//   2    1    node name length n (1..253)
//   3    n    node name, UTF-8
//   3+n  8    incarnation (random 64-bit, new at every start)
//   11+n 8    sequence number (starts at 1, +1 per heartbeat)
//   19+n 32   HMAC-SHA256 over bytes 0 .. 19+n with the membership key
//
// The HMAC is checked against every accepted key (current and, during a rotation, previous) in
// constant time; nothing in a packet is trusted before that.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WIRE_VERSION = 1;
const FLAG_LEAVE = 0x01;
const MAC_LEN = 32;
const MAX_NAME = 253;

/** A heartbeat as sent or as accepted. */
export interface Heartbeat {
  node: string;
  incarnation: bigint;
  seq: bigint;
  leave: boolean;
}

/** Why a datagram was not accepted as a heartbeat. */
export type HeartbeatRejectReason = 'short' | 'version' | 'name' | 'auth';

/** Encodes and signs a heartbeat with `key`. */
export function encodeHeartbeat(hb: Heartbeat, key: Uint8Array): Buffer {
  const name = Buffer.from(hb.node, 'utf8');
  if (name.length === 0 || name.length > MAX_NAME) throw new Error(`node name must be 1..${MAX_NAME} bytes: ${JSON.stringify(hb.node)}`);
  const body = Buffer.alloc(3 + name.length + 16);
  body[0] = WIRE_VERSION;
  body[1] = hb.leave ? FLAG_LEAVE : 0;
  body[2] = name.length;
  name.copy(body, 3);
  body.writeBigUInt64BE(hb.incarnation, 3 + name.length);
  body.writeBigUInt64BE(hb.seq, 11 + name.length);
  return Buffer.concat([body, createHmac('sha256', key).update(body).digest()]);
}

/** Verifies and decodes a datagram; `keys` are the accepted keys (current first). Never throws. */
export function decodeHeartbeat(buf: Uint8Array, keys: readonly Uint8Array[]): Heartbeat | { error: HeartbeatRejectReason } {
  if (buf.length < 3) return { error: 'short' };
  if (buf[0] !== WIRE_VERSION) return { error: 'version' };
  const n = buf[2] as number;
  if (n === 0) return { error: 'name' };
  const bodyLen = 3 + n + 16;
  if (buf.length !== bodyLen + MAC_LEN) return { error: 'short' };
  const body = buf.subarray(0, bodyLen);
  const mac = buf.subarray(bodyLen);
  if (!keys.some((k) => timingSafeEqual(createHmac('sha256', k).update(body).digest(), mac))) return { error: 'auth' };
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return {
    node: b.toString('utf8', 3, 3 + n),
    incarnation: b.readBigUInt64BE(3 + n),
    seq: b.readBigUInt64BE(11 + n),
    leave: ((buf[1] as number) & FLAG_LEAVE) !== 0,
  };
}
