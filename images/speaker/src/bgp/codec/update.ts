// UPDATE (RFC 4271 §4.3): encode, decode with RFC 7606 handling, and packing of many prefixes.
import type { IPAddress, Prefix } from '../../../../../lib/net/index.ts';
import { AttrType, ErrorCode, HEADER_LENGTH, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH, MessageType, Safi, UpdateSubcode } from './constants.ts';
import { decodeAttributes, encodeAttribute, encodeAttributes, encodeMpUnreachValue, strongestHandling } from './attributes.ts';
import { BgpError, type HandlingLevel } from './errors.ts';
import { encodeFrame } from './header.ts';
import { afiOfFamily, decodePrefixes, encodePrefixes, prefixWireLength, writePrefix } from './nlri.ts';
import type { CodecContext, PathAttributes, UpdateMessage } from './types.ts';

/** Encodes an UPDATE (header included). Throws RangeError when it exceeds the negotiated maximum. */
export function encodeUpdate(m: UpdateMessage, ctx: CodecContext): Buffer {
  const withdrawn = encodePrefixes(m.withdrawn);
  const attrs = encodeAttributes(m.attributes, ctx);
  const nlri = encodePrefixes(m.nlri);
  const body = Buffer.alloc(4 + withdrawn.length + attrs.length + nlri.length);
  let o = body.writeUInt16BE(withdrawn.length, 0);
  o += withdrawn.copy(body, o);
  o = body.writeUInt16BE(attrs.length, o);
  o += attrs.copy(body, o);
  nlri.copy(body, o);
  const max = ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  if (body.length + HEADER_LENGTH > max) throw new RangeError(`UPDATE of ${body.length + HEADER_LENGTH} octets exceeds ${max}`);
  return encodeFrame(MessageType.UPDATE, body);
}

/** A decoded UPDATE with the RFC 7606 outcome of its tolerated problems. */
export interface DecodedUpdate {
  update: UpdateMessage;
  /** `treat-as-withdraw` means: the NLRI must be handled as withdrawn (RFC 7606 §2). */
  handling: HandlingLevel;
  problems: BgpError[];
}

function malformedList(message: string): BgpError {
  return new BgpError({ code: ErrorCode.UPDATE_MESSAGE, subcode: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, message });
}

/**
 * Decodes an UPDATE body. Throws a session-reset BgpError when the message structure is broken
 * (RFC 4271 §6.3 lengths, NLRI that cannot be parsed); attribute problems are returned instead.
 */
export function decodeUpdate(body: Buffer, ctx: CodecContext): DecodedUpdate {
  if (body.length < 4) throw malformedList('UPDATE shorter than its two length fields');
  const withdrawnLength = body.readUInt16BE(0);
  // RFC 4271 §6.3: Withdrawn Routes Length + Total Attribute Length + 23 must not exceed the message.
  if (2 + withdrawnLength + 2 > body.length) throw malformedList(`withdrawn routes length ${withdrawnLength} overruns the message`);
  const attrsLength = body.readUInt16BE(2 + withdrawnLength);
  const attrsStart = 4 + withdrawnLength;
  if (attrsStart + attrsLength > body.length) throw malformedList(`total path attribute length ${attrsLength} overruns the message`);
  const withdrawn = decodePrefixes(body.subarray(2, 2 + withdrawnLength), 4);
  const { attributes, problems } = decodeAttributes(body.subarray(attrsStart, attrsStart + attrsLength), ctx);
  const nlri = decodePrefixes(body.subarray(attrsStart + attrsLength), 4);
  // RFC 4271 §6.3 / RFC 7606 §3 d: ORIGIN, AS_PATH (and NEXT_HOP for IPv4 NLRI) must be present
  // when the UPDATE announces anything; if not, treat as withdraw.
  const announces = nlri.length > 0 || (attributes.mpReach?.nlri.length ?? 0) > 0;
  if (announces) {
    const missing: number[] = [];
    if (attributes.origin === undefined) missing.push(AttrType.ORIGIN);
    if (attributes.asPath === undefined) missing.push(AttrType.AS_PATH);
    if (nlri.length > 0 && attributes.nextHop === undefined) missing.push(AttrType.NEXT_HOP);
    for (const t of missing) {
      problems.push(
        new BgpError({
          code: ErrorCode.UPDATE_MESSAGE,
          subcode: UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE,
          data: Buffer.from([t]),
          message: `missing well-known attribute ${t}`,
          handling: 'treat-as-withdraw',
        }),
      );
    }
  }
  return { update: { type: 'update', withdrawn, attributes, nlri }, handling: strongestHandling(problems), problems };
}

/** True for an End-of-RIB marker (RFC 4724 §2): empty UPDATE (IPv4) or a lone empty MP_UNREACH. */
export function isEndOfRib(u: UpdateMessage): boolean {
  if (u.withdrawn.length > 0 || u.nlri.length > 0) return false;
  const keys = Object.keys(u.attributes).filter((k) => u.attributes[k as keyof PathAttributes] !== undefined);
  if (keys.length === 0) return true;
  return keys.length === 1 && u.attributes.mpUnreach !== undefined && u.attributes.mpUnreach.withdrawn.length === 0;
}

/** End-of-RIB for a family (RFC 4724 §2). */
export function encodeEndOfRib(family: 4 | 6, ctx: CodecContext): Buffer {
  if (family === 4) return encodeUpdate({ type: 'update', withdrawn: [], attributes: {}, nlri: [] }, ctx);
  return encodeUpdate({ type: 'update', withdrawn: [], attributes: { mpUnreach: { afi: afiOfFamily(6), safi: Safi.UNICAST, withdrawn: [] } }, nlri: [] }, ctx);
}

function maxLength(ctx: CodecContext): number {
  return ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

/** Splits prefixes into runs whose encoded size fits `room` octets each. */
function* chunksFitting(prefixes: readonly Prefix[], room: number): Generator<Prefix[]> {
  let chunk: Prefix[] = [];
  let used = 0;
  for (const p of prefixes) {
    const n = prefixWireLength(p);
    if (used + n > room && chunk.length > 0) {
      yield chunk;
      chunk = [];
      used = 0;
    }
    chunk.push(p);
    used += n;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Packs announcements of prefixes that share one attribute set into as few UPDATEs as fit in the
 * negotiated maximum: IPv4 in the NLRI field with NEXT_HOP, IPv6 in MP_REACH_NLRI (no NEXT_HOP
 * attribute then, RFC 4760 §3). `attributes` must not hold nextHop or MP attributes.
 */
export function packAnnouncements(
  family: 4 | 6,
  prefixes: readonly Prefix[],
  attributes: PathAttributes,
  nextHops: IPAddress[],
  ctx: CodecContext,
): Buffer[] {
  const out: Buffer[] = [];
  if (prefixes.length === 0) return out;
  const max = maxLength(ctx);
  if (family === 4) {
    const [nextHop] = nextHops;
    if (!nextHop) throw new RangeError('an IPv4 announcement needs a next hop');
    const attrs = encodeAttributes({ ...attributes, nextHop }, ctx);
    const room = max - HEADER_LENGTH - 4 - attrs.length;
    if (room < 5) throw new RangeError(`path attributes of ${attrs.length} octets leave no room for NLRI`);
    for (const chunk of chunksFitting(prefixes, room)) {
      const nlriLen = chunk.reduce((s, p) => s + prefixWireLength(p), 0);
      const body = Buffer.alloc(4 + attrs.length + nlriLen);
      body.writeUInt16BE(0, 0);
      body.writeUInt16BE(attrs.length, 2);
      attrs.copy(body, 4);
      let o = 4 + attrs.length;
      for (const p of chunk) o = writePrefix(body, o, p);
      out.push(encodeFrame(MessageType.UPDATE, body));
    }
    return out;
  }
  const rest = encodeAttributes(attributes, ctx);
  const nhLen = 16 * nextHops.length;
  // MP_REACH with the extended length header (4) + AFI/SAFI/NH len (4) + NH + reserved (1).
  const mpOverhead = 4 + 4 + nhLen + 1;
  const room = max - HEADER_LENGTH - 4 - rest.length - mpOverhead;
  if (room < 17) throw new RangeError(`path attributes of ${rest.length} octets leave no room for NLRI`);
  for (const chunk of chunksFitting(prefixes, room)) {
    const mp = encodeAttributes({ mpReach: { afi: afiOfFamily(6), safi: Safi.UNICAST, nextHops, nlri: chunk } }, ctx);
    const body = Buffer.alloc(4 + mp.length + rest.length);
    body.writeUInt16BE(0, 0);
    body.writeUInt16BE(mp.length + rest.length, 2);
    mp.copy(body, 4);
    rest.copy(body, 4 + mp.length);
    out.push(encodeFrame(MessageType.UPDATE, body));
  }
  return out;
}

/** Packs withdrawals: IPv4 in the Withdrawn Routes field, IPv6 in MP_UNREACH_NLRI. */
export function packWithdrawals(family: 4 | 6, prefixes: readonly Prefix[], ctx: CodecContext): Buffer[] {
  const out: Buffer[] = [];
  const max = maxLength(ctx);
  if (family === 4) {
    for (const chunk of chunksFitting(prefixes, max - HEADER_LENGTH - 4)) {
      const w = encodePrefixes(chunk);
      const body = Buffer.alloc(4 + w.length);
      body.writeUInt16BE(w.length, 0);
      w.copy(body, 2);
      body.writeUInt16BE(0, 2 + w.length);
      out.push(encodeFrame(MessageType.UPDATE, body));
    }
    return out;
  }
  for (const chunk of chunksFitting(prefixes, max - HEADER_LENGTH - 4 - 4 - 3)) {
    const attr = encodeAttribute(0x80, AttrType.MP_UNREACH_NLRI, encodeMpUnreachValue({ afi: afiOfFamily(6), safi: Safi.UNICAST, withdrawn: chunk }));
    const body = Buffer.alloc(4 + attr.length);
    body.writeUInt16BE(0, 0);
    body.writeUInt16BE(attr.length, 2);
    attr.copy(body, 4);
    out.push(encodeFrame(MessageType.UPDATE, body));
  }
  return out;
}
