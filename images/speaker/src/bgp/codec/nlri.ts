// Prefixes on the wire: a length in bits, then just enough octets (RFC 4271 §4.3, RFC 4760 §5).
import { familyBits, ipFromBytes, ipToBytes, prefixOf, type IPFamily, type Prefix } from '../../../../../lib/net/index.ts';
import { Afi, ErrorCode, UpdateSubcode } from './constants.ts';
import { BgpError } from './errors.ts';

/** Octets one prefix takes on the wire. */
export function prefixWireLength(p: Prefix): number {
  return 1 + Math.ceil(p.length / 8);
}

/** Writes one prefix at `offset`; returns the offset after it. */
export function writePrefix(out: Buffer, offset: number, p: Prefix): number {
  const n = Math.ceil(p.length / 8);
  out[offset] = p.length;
  ipToBytes(p.address).copy(out, offset + 1, 0, n);
  return offset + 1 + n;
}

/** Encodes a list of prefixes back to back. */
export function encodePrefixes(prefixes: readonly Prefix[]): Buffer {
  const out = Buffer.alloc(prefixes.reduce((s, p) => s + prefixWireLength(p), 0));
  let o = 0;
  for (const p of prefixes) o = writePrefix(out, o, p);
  return out;
}

/** The address family of an AFI, or undefined for families we do not carry. */
export function familyOfAfi(afi: number): IPFamily | undefined {
  return afi === Afi.IPV4 ? 4 : afi === Afi.IPV6 ? 6 : undefined;
}

export function afiOfFamily(family: IPFamily): number {
  return family === 4 ? Afi.IPV4 : Afi.IPV6;
}

/**
 * Decodes back-to-back prefixes of one family. A length beyond the family's bits or a prefix
 * running past the end is an Invalid Network Field (RFC 4271 §6.3; RFC 7606 §5.3: session reset,
 * because the rest of the NLRI cannot be located). Host bits past the length are ignored.
 */
export function decodePrefixes(buf: Buffer, family: IPFamily): Prefix[] {
  const bits = familyBits(family);
  const size = bits / 8;
  const out: Prefix[] = [];
  let o = 0;
  while (o < buf.length) {
    const length = buf[o] ?? 0;
    const n = Math.ceil(length / 8);
    if (length > bits || o + 1 + n > buf.length) {
      throw new BgpError({
        code: ErrorCode.UPDATE_MESSAGE,
        subcode: UpdateSubcode.INVALID_NETWORK_FIELD,
        message: `invalid IPv${family} prefix of length ${length} at offset ${o}`,
      });
    }
    const bytes = Buffer.alloc(size);
    buf.copy(bytes, 0, o + 1, o + 1 + n);
    out.push(prefixOf(ipFromBytes(bytes), length));
    o += 1 + n;
  }
  return out;
}
