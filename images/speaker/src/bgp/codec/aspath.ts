// AS_PATH and AS4_PATH (RFC 4271 §4.3, RFC 6793): 2- or 4-octet segments, AS_TRANS substitution.
import { AS_TRANS, AsPathSegmentType, ErrorCode, UpdateSubcode } from './constants.ts';
import { BgpError } from './errors.ts';
import type { AsPathSegment } from './types.ts';

/** Encodes segments with 2- or 4-octet ASNs; 4-octet ASNs become AS_TRANS in 2-octet form. */
export function encodeAsPath(segments: readonly AsPathSegment[], asnOctets: 2 | 4): Buffer {
  const parts: Buffer[] = [];
  for (const seg of segments) {
    // A segment holds 1..255 ASNs: split longer ones (same type, same order), drop empty ones.
    for (let i = 0; i < seg.asns.length; i += 255) {
      const chunk = seg.asns.slice(i, i + 255);
      const b = Buffer.alloc(2 + chunk.length * asnOctets);
      b[0] = seg.segmentType;
      b[1] = chunk.length;
      chunk.forEach((asn, j) => {
        if (asnOctets === 4) b.writeUInt32BE(asn >>> 0, 2 + 4 * j);
        else b.writeUInt16BE(asn > 0xffff ? AS_TRANS : asn, 2 + 2 * j);
      });
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

/** Decodes segments; a wrong segment type, a zero count or an overrun is Malformed AS_PATH. */
export function decodeAsPath(value: Buffer, asnOctets: 2 | 4, attrName = 'AS_PATH'): AsPathSegment[] {
  const malformed = (why: string) =>
    new BgpError({
      code: ErrorCode.UPDATE_MESSAGE,
      subcode: UpdateSubcode.MALFORMED_AS_PATH,
      message: `malformed ${attrName}: ${why}`,
      handling: 'treat-as-withdraw',
    });
  const out: AsPathSegment[] = [];
  let o = 0;
  while (o < value.length) {
    if (o + 2 > value.length) throw malformed('truncated segment header');
    const segmentType = value[o] ?? 0;
    const count = value[o + 1] ?? 0;
    if (segmentType < AsPathSegmentType.AS_SET || segmentType > AsPathSegmentType.AS_CONFED_SET) {
      throw malformed(`segment type ${segmentType}`);
    }
    // RFC 7606 §7.2: a segment with a zero count is malformed.
    if (count === 0) throw malformed('empty segment');
    if (o + 2 + count * asnOctets > value.length) throw malformed('segment overruns the attribute');
    const asns: number[] = [];
    for (let i = 0; i < count; i++) {
      const p = o + 2 + i * asnOctets;
      asns.push(asnOctets === 4 ? value.readUInt32BE(p) : value.readUInt16BE(p));
    }
    out.push({ segmentType, asns });
    o += 2 + count * asnOctets;
  }
  return out;
}

/** Number of ASes counted as RFC 4271 §9.1.2.2 counts them: a set is one, confederation segments none. */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.segmentType === AsPathSegmentType.AS_SEQUENCE) n += s.asns.length;
    else if (s.segmentType === AsPathSegmentType.AS_SET) n += 1;
  }
  return n;
}

/** True when a 4-octet ASN would be lost on a 2-octet session (so AS4_PATH must be sent). */
export function needsAs4Path(segments: readonly AsPathSegment[]): boolean {
  return segments.some((s) => s.asns.some((a) => a > 0xffff));
}

/**
 * Rebuilds the true path from a 2-octet AS_PATH and an AS4_PATH (RFC 6793 §4.2.3): keep the
 * leading ASes of AS_PATH that AS4_PATH does not cover, then append AS4_PATH. An AS4_PATH longer
 * than AS_PATH is ignored.
 */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  const keep = asPathLength(asPath) - asPathLength(as4Path);
  if (keep < 0) return asPath.map((s) => ({ segmentType: s.segmentType, asns: [...s.asns] }));
  const out: AsPathSegment[] = [];
  let left = keep;
  for (const s of asPath) {
    if (left <= 0) break;
    if (s.segmentType === AsPathSegmentType.AS_SEQUENCE) {
      const take = s.asns.slice(0, left);
      out.push({ segmentType: s.segmentType, asns: take });
      left -= take.length;
    } else if (s.segmentType === AsPathSegmentType.AS_SET) {
      out.push({ segmentType: s.segmentType, asns: [...s.asns] });
      left -= 1;
    } else {
      out.push({ segmentType: s.segmentType, asns: [...s.asns] });
    }
  }
  for (const s of as4Path) out.push({ segmentType: s.segmentType, asns: [...s.asns] });
  return out;
}
