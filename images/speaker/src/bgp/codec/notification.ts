// NOTIFICATION (RFC 4271 §4.5) with the shutdown communication of RFC 9003.
import { CeaseSubcode, ErrorCode, HeaderSubcode, MessageType } from './constants.ts';
import { BgpError } from './errors.ts';
import { encodeFrame } from './header.ts';
import type { NotificationMessage } from './types.ts';

export function encodeNotification(m: Omit<NotificationMessage, 'type'>): Buffer {
  return encodeFrame(MessageType.NOTIFICATION, Buffer.concat([Buffer.from([m.code, m.subcode]), m.data]));
}

/** The NOTIFICATION that reports a BgpError. */
export function notificationFor(err: BgpError): NotificationMessage {
  return { type: 'notification', code: err.code, subcode: err.subcode, data: err.data };
}

export function decodeNotification(body: Buffer): NotificationMessage {
  if (body.length < 2) {
    const data = Buffer.alloc(2);
    data.writeUInt16BE(body.length + 19);
    throw new BgpError({ code: ErrorCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_LENGTH, data, message: 'NOTIFICATION too short' });
  }
  return { type: 'notification', code: body[0] ?? 0, subcode: body[1] ?? 0, data: Buffer.from(body.subarray(2)) };
}

/** Cease data carrying a shutdown communication (RFC 9003 §2): length octet then UTF-8, ≤ 255 octets. */
export function shutdownCommunication(text: string): Buffer {
  let t = Buffer.from(text, 'utf8');
  if (t.length > 255) t = t.subarray(0, 255);
  return Buffer.concat([Buffer.from([t.length]), t]);
}

/** The shutdown communication of a Cease/2 or Cease/4 NOTIFICATION, if it carries a valid one. */
export function readShutdownCommunication(m: NotificationMessage): string | undefined {
  if (m.code !== ErrorCode.CEASE) return undefined;
  if (m.subcode !== CeaseSubcode.ADMINISTRATIVE_SHUTDOWN && m.subcode !== CeaseSubcode.ADMINISTRATIVE_RESET) return undefined;
  const len = m.data[0];
  if (len === undefined || len === 0 || 1 + len > m.data.length) return undefined;
  return m.data.subarray(1, 1 + len).toString('utf8');
}

const CODE_NAMES: Record<number, string> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'Finite State Machine Error',
  6: 'Cease',
  7: 'ROUTE-REFRESH Message Error',
  8: 'Send Hold Timer Expired',
};

/** Human text for logs, e.g. "Cease/2 (Administrative Shutdown)". */
export function describeNotification(m: Pick<NotificationMessage, 'code' | 'subcode'>): string {
  return `${CODE_NAMES[m.code] ?? `code ${m.code}`} ${m.code}/${m.subcode}`;
}
