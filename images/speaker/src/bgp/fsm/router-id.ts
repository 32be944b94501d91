// BGP Identifier selection (RFC 6286: a non-zero 32-bit number, unique within the AS).
import type { IPAddress } from '../../../../../lib/net/index.ts';

/** CRC-32 (IEEE), used to derive a router ID from a node name as MetalLB does for IPv6-only nodes. */
export function crc32(text: string): number {
  let c = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The router ID to use: the configured one; else the IPv4 address this session uses; else the
 * fallback (derived from the node name). Zero is never returned (RFC 6286 §2.1).
 */
export function selectRouterId(configured: number | undefined, localAddress: IPAddress | undefined, fallback: number): number {
  if (configured) return configured >>> 0;
  if (localAddress?.family === 4 && localAddress.value !== 0n) return Number(localAddress.value);
  return fallback >>> 0 || 1;
}

/** The router ID of a node name (crc32, never 0). */
export function routerIdFromName(name: string): number {
  return crc32(name) || 1;
}
