// Path attributes: encode, and decode with RFC 7606 error handling.
import { ipFromBytes, ipToBytes, type IPFamily } from '../../../../../lib/net/index.ts';
import { AttrFlag, AttrType, ErrorCode, UpdateSubcode, type OriginCode } from './constants.ts';
import { decodeAsPath, encodeAsPath, mergeAs4Path, needsAs4Path } from './aspath.ts';
import { BgpError, isStronger, type HandlingLevel } from './errors.ts';
import { decodePrefixes, encodePrefixes, familyOfAfi } from './nlri.ts';
import type { AsPathSegment, CodecContext, LargeCommunity, MpReach, MpUnreach, PathAttributes, RawAttribute } from './types.ts';

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPTIONAL_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;

/** Encodes one attribute; the Extended Length bit is set only when the value needs it. */
export function encodeAttribute(flags: number, typeCode: number, value: Buffer): Buffer {
  const ext = value.length > 255;
  const head = Buffer.alloc(ext ? 4 : 3);
  head[0] = (flags & ~AttrFlag.EXTENDED_LENGTH) | (ext ? AttrFlag.EXTENDED_LENGTH : 0);
  head[1] = typeCode;
  if (ext) head.writeUInt16BE(value.length, 2);
  else head[2] = value.length;
  return Buffer.concat([head, value]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** MP_REACH_NLRI value (RFC 4760 §3): AFI, SAFI, next hop length and next hops, reserved, NLRI. */
export function encodeMpReachValue(mp: MpReach): Buffer {
  const nh = Buffer.concat(mp.nextHops.map(ipToBytes));
  const head = Buffer.alloc(4);
  head.writeUInt16BE(mp.afi, 0);
  head[2] = mp.safi;
  head[3] = nh.length;
  return Buffer.concat([head, nh, Buffer.from([0]), encodePrefixes(mp.nlri)]);
}

/** MP_UNREACH_NLRI value (RFC 4760 §4). */
export function encodeMpUnreachValue(mp: MpUnreach): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt16BE(mp.afi, 0);
  head[2] = mp.safi;
  return Buffer.concat([head, encodePrefixes(mp.withdrawn)]);
}

/**
 * Encodes the attributes in the order RFC 7606 §5.1 asks (MP_REACH/MP_UNREACH first). On a
 * 2-octet session 4-octet ASNs become AS_TRANS and the true path goes in AS4_PATH (RFC 6793 §4.2.2).
 */
export function encodeAttributes(a: PathAttributes, ctx: CodecContext): Buffer {
  const parts: Buffer[] = [];
  const OPT = AttrFlag.OPTIONAL;
  if (a.mpReach) parts.push(encodeAttribute(OPT, AttrType.MP_REACH_NLRI, encodeMpReachValue(a.mpReach)));
  if (a.mpUnreach) parts.push(encodeAttribute(OPT, AttrType.MP_UNREACH_NLRI, encodeMpUnreachValue(a.mpUnreach)));
  if (a.origin !== undefined) parts.push(encodeAttribute(WELL_KNOWN, AttrType.ORIGIN, Buffer.from([a.origin])));
  if (a.asPath) parts.push(encodeAttribute(WELL_KNOWN, AttrType.AS_PATH, encodeAsPath(a.asPath, ctx.fourOctetAs ? 4 : 2)));
  if (a.nextHop) parts.push(encodeAttribute(WELL_KNOWN, AttrType.NEXT_HOP, ipToBytes(a.nextHop)));
  if (a.med !== undefined) parts.push(encodeAttribute(OPT, AttrType.MULTI_EXIT_DISC, u32(a.med)));
  if (a.localPref !== undefined) parts.push(encodeAttribute(WELL_KNOWN, AttrType.LOCAL_PREF, u32(a.localPref)));
  if (a.atomicAggregate) parts.push(encodeAttribute(WELL_KNOWN, AttrType.ATOMIC_AGGREGATE, Buffer.alloc(0)));
  if (a.communities?.length) {
    parts.push(encodeAttribute(OPTIONAL_TRANSITIVE, AttrType.COMMUNITIES, Buffer.concat(a.communities.map(u32))));
  }
  if (a.extendedCommunities?.length) {
    const v = Buffer.alloc(8 * a.extendedCommunities.length);
    a.extendedCommunities.forEach((c, i) => v.writeBigUInt64BE(c, 8 * i));
    parts.push(encodeAttribute(OPTIONAL_TRANSITIVE, AttrType.EXTENDED_COMMUNITIES, v));
  }
  if (a.asPath && !ctx.fourOctetAs && needsAs4Path(a.asPath)) {
    parts.push(encodeAttribute(OPTIONAL_TRANSITIVE, AttrType.AS4_PATH, encodeAsPath(a.asPath, 4)));
  }
  if (a.largeCommunities?.length) {
    const v = Buffer.alloc(12 * a.largeCommunities.length);
    a.largeCommunities.forEach((c, i) => {
      v.writeUInt32BE(c.globalAdmin >>> 0, 12 * i);
      v.writeUInt32BE(c.localData1 >>> 0, 12 * i + 4);
      v.writeUInt32BE(c.localData2 >>> 0, 12 * i + 8);
    });
    parts.push(encodeAttribute(OPTIONAL_TRANSITIVE, AttrType.LARGE_COMMUNITY, v));
  }
  for (const o of a.other ?? []) parts.push(encodeAttribute(o.flags, o.typeCode, o.value));
  return Buffer.concat(parts);
}

/** Result of decoding an attribute list: the attributes plus every tolerated problem (RFC 7606). */
export interface DecodedAttributes {
  attributes: PathAttributes;
  /** Problems that did not reset the session; the strongest decides treat-as-withdraw. */
  problems: BgpError[];
}

function updateError(subcode: number, message: string, handling: HandlingLevel, data?: Buffer): BgpError {
  return new BgpError({ code: ErrorCode.UPDATE_MESSAGE, subcode, message, handling, ...(data ? { data } : {}) });
}

/** Expected Optional/Transitive bits of the attributes we know (RFC 4271 §5, RFC 7606 §3 c). */
const EXPECTED_FLAGS: Record<number, number> = {
  [AttrType.ORIGIN]: WELL_KNOWN,
  [AttrType.AS_PATH]: WELL_KNOWN,
  [AttrType.NEXT_HOP]: WELL_KNOWN,
  [AttrType.MULTI_EXIT_DISC]: AttrFlag.OPTIONAL,
  [AttrType.LOCAL_PREF]: WELL_KNOWN,
  [AttrType.ATOMIC_AGGREGATE]: WELL_KNOWN,
  [AttrType.AGGREGATOR]: OPTIONAL_TRANSITIVE,
  [AttrType.COMMUNITIES]: OPTIONAL_TRANSITIVE,
  [AttrType.MP_REACH_NLRI]: AttrFlag.OPTIONAL,
  [AttrType.MP_UNREACH_NLRI]: AttrFlag.OPTIONAL,
  [AttrType.EXTENDED_COMMUNITIES]: OPTIONAL_TRANSITIVE,
  [AttrType.AS4_PATH]: OPTIONAL_TRANSITIVE,
  [AttrType.AS4_AGGREGATOR]: OPTIONAL_TRANSITIVE,
  [AttrType.LARGE_COMMUNITY]: OPTIONAL_TRANSITIVE,
};

/** How a malformed known attribute is handled (RFC 7606 §7). */
function handlingFor(typeCode: number): HandlingLevel {
  switch (typeCode) {
    case AttrType.ATOMIC_AGGREGATE:
    case AttrType.AGGREGATOR:
    case AttrType.AS4_PATH: // RFC 6793 §6
    case AttrType.AS4_AGGREGATOR:
      return 'attribute-discard';
    case AttrType.MP_REACH_NLRI:
    case AttrType.MP_UNREACH_NLRI:
      return 'session-reset';
    default:
      return 'treat-as-withdraw';
  }
}

function decodeMpReach(v: Buffer): MpReach {
  const bad = (why: string) => updateError(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, `malformed MP_REACH_NLRI: ${why}`, 'session-reset');
  if (v.length < 5) throw bad('too short');
  const afi = v.readUInt16BE(0);
  const safi = v[2] ?? 0;
  const nhLen = v[3] ?? 0;
  if (4 + nhLen + 1 > v.length) throw bad('next hop overruns the attribute');
  const family = familyOfAfi(afi);
  const nhBytes = v.subarray(4, 4 + nhLen);
  const nextHops = [];
  if (family !== undefined) {
    const size = family === 4 ? 4 : 16;
    // RFC 2545 §3: an IPv6 next hop is 16 octets, or 32 with a link-local address after the global one.
    if (nhLen === 0 || nhLen % size !== 0 || nhLen > 2 * size) throw bad(`next hop length ${nhLen}`);
    for (let o = 0; o < nhLen; o += size) nextHops.push(ipFromBytes(nhBytes.subarray(o, o + size)));
  }
  const nlriBytes = v.subarray(4 + nhLen + 1);
  const nlri = family !== undefined ? decodePrefixes(nlriBytes, family as IPFamily) : [];
  return { afi, safi, nextHops, nlri };
}

function decodeMpUnreach(v: Buffer): MpUnreach {
  if (v.length < 3) throw updateError(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, 'malformed MP_UNREACH_NLRI: too short', 'session-reset');
  const afi = v.readUInt16BE(0);
  const safi = v[2] ?? 0;
  const family = familyOfAfi(afi);
  return { afi, safi, withdrawn: family !== undefined ? decodePrefixes(v.subarray(3), family) : [] };
}

function fixedLength(typeCode: number, v: Buffer, lengths: number[], name: string): void {
  if (!lengths.includes(v.length)) {
    throw updateError(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `${name} has length ${v.length}`, handlingFor(typeCode));
  }
}

function multipleOf(typeCode: number, v: Buffer, size: number, name: string): void {
  // RFC 7606 §7.8, RFC 8092 §6: length must be a non-zero multiple of the element size.
  if (v.length === 0 || v.length % size !== 0) {
    throw updateError(UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR, `${name} length ${v.length} is not a non-zero multiple of ${size}`, 'treat-as-withdraw');
  }
}

/** Decodes one known attribute into `a`; throws BgpError with the attribute's handling level. */
function decodeKnown(typeCode: number, v: Buffer, ctx: CodecContext, a: PathAttributes, as4: { path?: AsPathSegment[] }): boolean {
  switch (typeCode) {
    case AttrType.ORIGIN:
      fixedLength(typeCode, v, [1], 'ORIGIN');
      if ((v[0] ?? 0) > 2) throw updateError(UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE, `ORIGIN ${v[0]}`, 'treat-as-withdraw');
      a.origin = v[0] as OriginCode;
      return true;
    case AttrType.AS_PATH:
      a.asPath = decodeAsPath(v, ctx.fourOctetAs ? 4 : 2);
      return true;
    case AttrType.NEXT_HOP:
      fixedLength(typeCode, v, [4], 'NEXT_HOP');
      a.nextHop = ipFromBytes(v);
      return true;
    case AttrType.MULTI_EXIT_DISC:
      fixedLength(typeCode, v, [4], 'MULTI_EXIT_DISC');
      a.med = v.readUInt32BE(0);
      return true;
    case AttrType.LOCAL_PREF:
      fixedLength(typeCode, v, [4], 'LOCAL_PREF');
      a.localPref = v.readUInt32BE(0);
      return true;
    case AttrType.ATOMIC_AGGREGATE:
      fixedLength(typeCode, v, [0], 'ATOMIC_AGGREGATE');
      a.atomicAggregate = true;
      return true;
    case AttrType.COMMUNITIES:
      multipleOf(typeCode, v, 4, 'COMMUNITIES');
      a.communities = Array.from({ length: v.length / 4 }, (_, i) => v.readUInt32BE(4 * i));
      return true;
    case AttrType.EXTENDED_COMMUNITIES:
      multipleOf(typeCode, v, 8, 'EXTENDED_COMMUNITIES');
      a.extendedCommunities = Array.from({ length: v.length / 8 }, (_, i) => v.readBigUInt64BE(8 * i));
      return true;
    case AttrType.LARGE_COMMUNITY:
      multipleOf(typeCode, v, 12, 'LARGE_COMMUNITY');
      a.largeCommunities = Array.from({ length: v.length / 12 }, (_, i): LargeCommunity => ({
        globalAdmin: v.readUInt32BE(12 * i),
        localData1: v.readUInt32BE(12 * i + 4),
        localData2: v.readUInt32BE(12 * i + 8),
      }));
      return true;
    case AttrType.MP_REACH_NLRI:
      a.mpReach = decodeMpReach(v);
      return true;
    case AttrType.MP_UNREACH_NLRI:
      a.mpUnreach = decodeMpUnreach(v);
      return true;
    case AttrType.AS4_PATH:
      // RFC 6793 §4.1: a 4-octet speaker ignores AS4_PATH from a 4-octet peer.
      if (!ctx.fourOctetAs) as4.path = decodeAsPath(v, 4, 'AS4_PATH');
      return true;
    case AttrType.AGGREGATOR:
      fixedLength(typeCode, v, [ctx.fourOctetAs ? 8 : 6], 'AGGREGATOR');
      return false;
    default:
      return false;
  }
}

/**
 * Decodes an attribute list. Framing errors inside the list (an attribute running past the end)
 * are "treat-as-withdraw" (RFC 7606 §4) unless an MP attribute was already seen, since then NLRI
 * of other families cannot be found; malformed MP attributes and duplicates of them reset the session.
 * Returns the attributes with every tolerated problem; throws only session-reset errors.
 */
export function decodeAttributes(buf: Buffer, ctx: CodecContext): DecodedAttributes {
  const attributes: PathAttributes = {};
  const problems: BgpError[] = [];
  const seen = new Set<number>();
  const as4: { path?: AsPathSegment[] } = {};
  let o = 0;
  while (o < buf.length) {
    if (o + 3 > buf.length) {
      problems.push(updateError(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'truncated attribute header', 'treat-as-withdraw'));
      break;
    }
    const flags = buf[o] ?? 0;
    const typeCode = buf[o + 1] ?? 0;
    const ext = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    if (ext && o + 4 > buf.length) {
      problems.push(updateError(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'truncated attribute header', 'treat-as-withdraw'));
      break;
    }
    const len = ext ? buf.readUInt16BE(o + 2) : (buf[o + 2] ?? 0);
    const start = o + (ext ? 4 : 3);
    if (start + len > buf.length) {
      const err = updateError(UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, `attribute ${typeCode} overruns the attribute list`, 'treat-as-withdraw');
      if (typeCode === AttrType.MP_REACH_NLRI || typeCode === AttrType.MP_UNREACH_NLRI) {
        throw new BgpError({ code: err.code, subcode: err.subcode, message: err.message, handling: 'session-reset' });
      }
      problems.push(err);
      break;
    }
    const value = buf.subarray(start, start + len);
    o = start + len;
    if (seen.has(typeCode)) {
      // RFC 7606 §3 g: MP attributes twice reset the session; others keep the first copy.
      if (typeCode === AttrType.MP_REACH_NLRI || typeCode === AttrType.MP_UNREACH_NLRI) {
        throw updateError(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `attribute ${typeCode} appears twice`, 'session-reset');
      }
      problems.push(updateError(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `attribute ${typeCode} appears twice`, 'attribute-discard'));
      continue;
    }
    seen.add(typeCode);
    const expected = EXPECTED_FLAGS[typeCode];
    if (expected !== undefined && (flags & OPTIONAL_TRANSITIVE) !== expected) {
      const data = buf.subarray(start - (ext ? 4 : 3), o);
      const err = updateError(UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, `attribute ${typeCode} has flags 0x${flags.toString(16)}`, handlingFor(typeCode), data);
      if (err.handling === 'session-reset') throw err;
      problems.push(err);
      continue;
    }
    if (expected === undefined && (flags & AttrFlag.OPTIONAL) === 0) {
      // RFC 4271 §6.3: an unrecognized well-known attribute.
      throw updateError(UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, `unknown well-known attribute ${typeCode}`, 'session-reset', Buffer.from(buf.subarray(start - (ext ? 4 : 3), o)));
    }
    try {
      if (!decodeKnown(typeCode, value, ctx, attributes, as4)) {
        // The Extended Length bit describes this encoding only; the encoder sets it when needed.
        (attributes.other ??= []).push({ flags: flags & ~AttrFlag.EXTENDED_LENGTH, typeCode, value: Buffer.from(value) } satisfies RawAttribute);
      }
    } catch (e) {
      if (!(e instanceof BgpError) || e.handling === 'session-reset') throw e;
      problems.push(e);
    }
  }
  if (as4.path && attributes.asPath) attributes.asPath = mergeAs4Path(attributes.asPath, as4.path);
  return { attributes, problems };
}

/** The strongest handling level among problems ('none' when there are none). */
export function strongestHandling(problems: readonly BgpError[]): HandlingLevel {
  let h: HandlingLevel = 'none';
  for (const p of problems) if (isStronger(p.handling, h)) h = p.handling;
  return h;
}
