// One entry point to decode any framed message, and one to encode any message.
import { ErrorCode, HEADER_LENGTH, HeaderSubcode, MessageType, RouteRefreshSubcode } from './constants.ts';
import { BgpError, type HandlingLevel } from './errors.ts';
import { encodeFrame, type Frame } from './header.ts';
import { decodeNotification, encodeNotification } from './notification.ts';
import { decodeOpen, encodeOpen } from './open.ts';
import { decodeUpdate, encodeUpdate } from './update.ts';
import type { BgpMessage, CodecContext, RouteRefreshMessage } from './types.ts';

export const KEEPALIVE: Buffer = encodeFrame(MessageType.KEEPALIVE, Buffer.alloc(0));

export function encodeRouteRefresh(m: Omit<RouteRefreshMessage, 'type'>): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt16BE(m.afi, 0);
  body[2] = m.subtype;
  body[3] = m.safi;
  return encodeFrame(MessageType.ROUTE_REFRESH, body);
}

function decodeRouteRefresh(body: Buffer): RouteRefreshMessage {
  if (body.length !== 4) {
    // RFC 7313 §5: a ROUTE-REFRESH of the wrong length is a ROUTE-REFRESH Message Error.
    throw new BgpError({
      code: ErrorCode.ROUTE_REFRESH_MESSAGE,
      subcode: RouteRefreshSubcode.INVALID_MESSAGE_LENGTH,
      data: body,
      message: `ROUTE-REFRESH body of ${body.length} octets`,
    });
  }
  return { type: 'routeRefresh', afi: body.readUInt16BE(0), subtype: body[2] ?? 0, safi: body[3] ?? 0 };
}

/** Encodes any message (header included). */
export function encodeMessage(m: BgpMessage, ctx: CodecContext): Buffer {
  switch (m.type) {
    case 'open':
      return encodeOpen(m);
    case 'update':
      return encodeUpdate(m, ctx);
    case 'notification':
      return encodeNotification(m);
    case 'keepalive':
      return KEEPALIVE;
    case 'routeRefresh':
      return encodeRouteRefresh(m);
  }
}

/** A decoded message; for UPDATEs also the RFC 7606 outcome. */
export type Decoded =
  | { ok: true; message: BgpMessage; handling: HandlingLevel; problems: BgpError[] }
  | { ok: false; error: BgpError };

/** Decodes a framed message; never throws for bad input (errors come back as values). */
export function decodeFrame(frame: Frame, ctx: CodecContext): Decoded {
  try {
    switch (frame.type) {
      case MessageType.OPEN:
        return { ok: true, message: decodeOpen(frame.body), handling: 'none', problems: [] };
      case MessageType.UPDATE: {
        const d = decodeUpdate(frame.body, ctx);
        return { ok: true, message: d.update, handling: d.handling, problems: d.problems };
      }
      case MessageType.NOTIFICATION:
        return { ok: true, message: decodeNotification(frame.body), handling: 'none', problems: [] };
      case MessageType.KEEPALIVE:
        return { ok: true, message: { type: 'keepalive' }, handling: 'none', problems: [] };
      case MessageType.ROUTE_REFRESH:
        return { ok: true, message: decodeRouteRefresh(frame.body), handling: 'none', problems: [] };
      default:
        return {
          ok: false,
          error: new BgpError({ code: ErrorCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_TYPE, data: Buffer.from([frame.type]), message: `unknown message type ${frame.type}` }),
        };
    }
  } catch (e) {
    if (e instanceof BgpError) return { ok: false, error: e };
    // Anything else is a bug in a decoder: report it as a malformed message rather than crash.
    return {
      ok: false,
      error: new BgpError({ code: ErrorCode.MESSAGE_HEADER, subcode: 0, message: `decoder failure: ${(e as Error).message}` }),
    };
  }
}

/** Decodes one whole message (header included): for tests and captures. */
export function decodeMessage(buf: Buffer, ctx: CodecContext): Decoded {
  if (buf.length < HEADER_LENGTH) {
    return { ok: false, error: new BgpError({ code: ErrorCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_LENGTH, message: 'shorter than a header' }) };
  }
  return decodeFrame({ type: buf[18] ?? 0, body: buf.subarray(HEADER_LENGTH, buf.readUInt16BE(16)) }, ctx);
}
