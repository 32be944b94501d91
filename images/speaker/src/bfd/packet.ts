// BFD Control packet codec (RFC 5880 §4.1), pure: bytes in, record out, and back.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
// |                       My Discriminator                        |
// |                      Your Discriminator                       |
// |                    Desired Min TX Interval                    |
// |                   Required Min RX Interval                    |
// |                 Required Min Echo RX Interval                 |

/** Session states as carried in the Sta field (RFC 5880 §4.1). */
export const BfdState = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
export type BfdState = (typeof BfdState)[keyof typeof BfdState];
/** Printable state names, indexed by the wire value. */
export const BFD_STATE_NAMES = ['AdminDown', 'Down', 'Init', 'Up'] as const;
export type BfdStateName = (typeof BFD_STATE_NAMES)[number];

/** Diagnostic codes (RFC 5880 §4.1), indexed by the wire value. */
export const BFD_DIAGNOSTICS = [
  'none', 'controlDetectionTimeExpired', 'echoFunctionFailed', 'neighborSignaledSessionDown',
  'forwardingPlaneReset', 'pathDown', 'concatenatedPathDown', 'administrativelyDown',
  'reverseConcatenatedPathDown',
] as const;
export type BfdDiagnostic = (typeof BFD_DIAGNOSTICS)[number];

/** A decoded BFD Control packet; intervals in microseconds, as on the wire. */
export interface ControlPacket {
  version: number;
  diagnostic: number;
  state: BfdState;
  poll: boolean;
  final: boolean;
  controlPlaneIndependent: boolean;
  authenticationPresent: boolean;
  demand: boolean;
  multipoint: boolean;
  detectMult: number;
  myDiscriminator: number;
  yourDiscriminator: number;
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  requiredMinEchoRxUs: number;
}

/** Length of a Control packet without authentication. */
export const CONTROL_PACKET_LENGTH = 24;

/** Why a received packet was discarded before reaching a session (RFC 5880 §6.8.6). */
export type DecodeDrop =
  | 'tooShort' | 'badVersion' | 'badLength' | 'zeroDetectMult' | 'multipoint' | 'zeroMyDiscriminator'
  | 'authenticationUnsupported';

/** Result of decodeControlPacket: the packet, or the reason it must be discarded. */
export type DecodeResult = { ok: true; packet: ControlPacket } | { ok: false; reason: DecodeDrop };

/** The RFC 5880 §6.8.6 checks that need no session: version, length, multiplier, M bit, discriminator. */
export function decodeControlPacket(b: Uint8Array): DecodeResult {
  if (b.length < CONTROL_PACKET_LENGTH) return drop('tooShort');
  const version = b[0]! >> 5;
  // "If the version number is not correct (1), the packet MUST be discarded."
  if (version !== 1) return drop('badVersion');
  const flags = b[1]!;
  const authenticationPresent = (flags & 0x04) !== 0;
  const length = b[3]!;
  // "If the Length field is less than the minimum correct value (24 if the A bit is clear, or 26
  // if the A bit is set), the packet MUST be discarded." / "... greater than the payload ...".
  if (length < (authenticationPresent ? 26 : 24) || length > b.length) return drop('badLength');
  const detectMult = b[2]!;
  if (detectMult === 0) return drop('zeroDetectMult');
  if ((flags & 0x01) !== 0) return drop('multipoint');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const myDiscriminator = view.getUint32(4);
  if (myDiscriminator === 0) return drop('zeroMyDiscriminator');
  // "If the A bit is set and no authentication is in use (bfd.AuthType is zero), the packet MUST
  // be discarded." This implementation has no authentication.
  if (authenticationPresent) return drop('authenticationUnsupported');
  return {
    ok: true,
    packet: {
      version,
      diagnostic: b[0]! & 0x1f,
      state: (flags >> 6) as BfdState,
      poll: (flags & 0x20) !== 0,
      final: (flags & 0x10) !== 0,
      controlPlaneIndependent: (flags & 0x08) !== 0,
      authenticationPresent,
      demand: (flags & 0x02) !== 0,
      multipoint: false,
      detectMult,
      myDiscriminator,
      yourDiscriminator: view.getUint32(8),
      desiredMinTxUs: view.getUint32(12),
      requiredMinRxUs: view.getUint32(16),
      requiredMinEchoRxUs: view.getUint32(20),
    },
  };
}

function drop(reason: DecodeDrop): DecodeResult {
  return { ok: false, reason };
}

/** Fields a sender chooses; the rest (version 1, length 24, no auth, M clear) are fixed. */
export type ControlPacketFields = Omit<ControlPacket, 'version' | 'authenticationPresent' | 'multipoint'>;

/** Encodes a Control packet without authentication (24 octets). */
export function encodeControlPacket(p: ControlPacketFields): Buffer {
  // RFC 5880 §6.5: a packet never carries both P and F.
  if (p.poll && p.final) throw new RangeError('BFD packet with both Poll and Final set');
  const b = Buffer.alloc(CONTROL_PACKET_LENGTH);
  b[0] = (1 << 5) | (p.diagnostic & 0x1f);
  b[1] = (p.state << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.controlPlaneIndependent ? 0x08 : 0) | (p.demand ? 0x02 : 0);
  b[2] = p.detectMult;
  b[3] = CONTROL_PACKET_LENGTH;
  b.writeUInt32BE(p.myDiscriminator >>> 0, 4);
  b.writeUInt32BE(p.yourDiscriminator >>> 0, 8);
  b.writeUInt32BE(p.desiredMinTxUs >>> 0, 12);
  b.writeUInt32BE(p.requiredMinRxUs >>> 0, 16);
  b.writeUInt32BE(p.requiredMinEchoRxUs >>> 0, 20);
  return b;
}
