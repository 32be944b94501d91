// IP addresses as (family, BigInt) values: one code path for IPv4 and IPv6.
//
// Pools are ranges of these values and are never enumerated, so a /8 or an IPv6 /64 costs the same
// as a /30. Parsing is strict (no leading zeros in IPv4 octets, no zone IDs) because the same
// strings are later read by other tools (kube-apiserver, routers) that are strict too.

export type IPFamily = 4 | 6;

/** An IPv4 or IPv6 address. `value` is the address as an unsigned integer of 32 or 128 bits. */
export interface IPAddress {
  readonly family: IPFamily;
  readonly value: bigint;
}

/** Thrown for text that is not an address, prefix or range; `input` is the offending text. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
  constructor(
    message: string,
    readonly input: string,
  ) {
    super(`${message}: ${JSON.stringify(input)}`);
  }
}

/** Number of bits in an address of the family. */
export function familyBits(family: IPFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/** The largest address value of the family (all ones). */
export function maxValue(family: IPFamily): bigint {
  return (1n << BigInt(familyBits(family))) - 1n;
}

export function ip(family: IPFamily, value: bigint): IPAddress {
  if (value < 0n || value > maxValue(family)) {
    throw new AddressError(`value out of range for IPv${family}`, value.toString());
  }
  return { family, value };
}

/**
 * Dotted quad to its 32-bit value, one pass over the characters (the hooks parse every IP of 10k
 * Services on each run: no split, no regular expression, one BigInt at the end). Strict: four
 * decimal octets up to 255, no leading zeros, nothing else.
 */
function parseV4Value(s: string): bigint | undefined {
  let v = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return undefined;
      v = v * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && octet === 0) return undefined; // leading zero
      octet = octet * 10 + (c - 0x30);
      if (octet > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return BigInt(v * 256 + octet);
}

function parseV6Value(s: string): bigint | undefined {
  if (s.length < 2 || s.includes('%')) return undefined;
  // An embedded IPv4 tail ("::ffff:192.0.2.1") stands for the last two groups.
  let tail: bigint[] = [];
  let head = s;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) !== -1) {
    const v4 = parseV4Value(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    head = s.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const group = (g: string): bigint | undefined => (/^[0-9a-fA-F]{1,4}$/.test(g) ? BigInt(`0x${g}`) : undefined);
  const parseGroups = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      const v = group(g);
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  };
  const left = parseGroups(halves[0] ?? '');
  const right = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!left || !right) return undefined;
  const explicit = left.length + right.length + tail.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (explicit > 7) return undefined; // "::" stands for at least one group
    groups = [...left, ...new Array<bigint>(8 - explicit).fill(0n), ...right, ...tail];
  } else {
    if (explicit !== 8) return undefined;
    groups = [...left, ...tail];
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses an IPv4 or IPv6 address, or returns undefined. */
export function tryParseIP(s: string): IPAddress | undefined {
  if (s.includes(':')) {
    const v = parseV6Value(s);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseV4Value(s);
  return v === undefined ? undefined : { family: 4, value: v };
}

/** Parses an IPv4 or IPv6 address; throws AddressError on anything else. */
export function parseIP(s: string): IPAddress {
  const a = tryParseIP(s);
  if (!a) throw new AddressError('not an IP address', s);
  return a;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as "::"). */
export function formatIP(a: IPAddress): string {
  if (a.family === 4) {
    const v = Number(a.value);
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a.value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** Orders IPv4 before IPv6, then by value. */
export function compareIP(a: IPAddress, b: IPAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function equalIP(a: IPAddress, b: IPAddress): boolean {
  return a.family === b.family && a.value === b.value;
}

/** The address `n` steps after `a` (n may be negative); throws when it leaves the family's space. */
export function addToIP(a: IPAddress, n: bigint): IPAddress {
  return ip(a.family, a.value + n);
}

/** Network byte order: 4 or 16 bytes. */
export function ipToBytes(a: IPAddress): Buffer {
  const len = a.family === 4 ? 4 : 16;
  const b = Buffer.alloc(len);
  let v = a.value;
  for (let i = len - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

/** Reads 4 bytes as IPv4 or 16 bytes as IPv6 (network byte order). */
export function ipFromBytes(b: Uint8Array): IPAddress {
  if (b.length !== 4 && b.length !== 16) {
    throw new AddressError('an address has 4 or 16 bytes', `${b.length} bytes`);
  }
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return { family: b.length === 4 ? 4 : 6, value: v };
}

/** Shorthand for tests and constants: parse and format round trip. */
export function canonicalIP(s: string): string {
  return formatIP(parseIP(s));
}
