// CIDR prefixes ("198.51.100.0/24", "2001:db8::/64") over the one address type of address.ts.
import { AddressError, familyBits, formatIP, ip, maxValue, tryParseIP, type IPAddress, type IPFamily } from './address.ts';

/** A prefix; `address` is the network address (host bits zero). */
export interface Prefix {
  readonly address: IPAddress;
  readonly length: number;
}

/** Mask with the first `length` bits set. */
export function prefixMask(family: IPFamily, length: number): bigint {
  const bits = BigInt(familyBits(family));
  return maxValue(family) ^ ((1n << (bits - BigInt(length))) - 1n);
}

/** The prefix of `length` bits that contains `a`. */
export function prefixOf(a: IPAddress, length: number): Prefix {
  if (!Number.isInteger(length) || length < 0 || length > familyBits(a.family)) {
    throw new AddressError(`prefix length must be 0..${familyBits(a.family)}`, String(length));
  }
  return { address: ip(a.family, a.value & prefixMask(a.family, length)), length };
}

export interface ParsePrefixOptions {
  /** Refuse host bits after the prefix length ("192.0.2.5/24"); default: mask them off. */
  strict?: boolean;
}

/** Parses "address/length"; undefined when the text is not a prefix. */
export function tryParsePrefix(s: string, opts: ParsePrefixOptions = {}): Prefix | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const a = tryParseIP(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!a || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > familyBits(a.family)) return undefined;
  const p = prefixOf(a, length);
  if (opts.strict && p.address.value !== a.value) return undefined;
  return p;
}

/** Parses "address/length"; throws AddressError naming the text otherwise. */
export function parsePrefix(s: string, opts: ParsePrefixOptions = {}): Prefix {
  const p = tryParsePrefix(s, opts);
  if (!p) throw new AddressError(opts.strict ? 'not a CIDR prefix with zero host bits' : 'not a CIDR prefix', s);
  return p;
}

export function formatPrefix(p: Prefix): string {
  return `${formatIP(p.address)}/${p.length}`;
}

/** The last address of the prefix. */
export function prefixLast(p: Prefix): IPAddress {
  const hostBits = BigInt(familyBits(p.address.family) - p.length);
  return ip(p.address.family, p.address.value | ((1n << hostBits) - 1n));
}

export function prefixContains(p: Prefix, a: IPAddress): boolean {
  return a.family === p.address.family && (a.value & prefixMask(a.family, p.length)) === p.address.value;
}

/** The host prefix (/32 or /128) of an address. */
export function hostPrefix(a: IPAddress): Prefix {
  return { address: a, length: familyBits(a.family) };
}
