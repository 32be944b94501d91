// OPEN and its capabilities (RFC 4271 §4.2, RFC 5492, RFC 9072 extended optional parameters).
import { CapabilityCode, ErrorCode, HeaderSubcode, MessageType, OpenSubcode, OptionalParameterType } from './constants.ts';
import { BgpError } from './errors.ts';
import { encodeFrame } from './header.ts';
import type { Capability, OpenMessage } from './types.ts';

function capabilityValue(c: Capability): { code: number; value: Buffer } {
  switch (c.type) {
    case 'multiprotocol': {
      const v = Buffer.alloc(4);
      v.writeUInt16BE(c.afi, 0);
      v[3] = c.safi;
      return { code: CapabilityCode.MULTIPROTOCOL, value: v };
    }
    case 'routeRefresh':
      return { code: CapabilityCode.ROUTE_REFRESH, value: Buffer.alloc(0) };
    case 'enhancedRouteRefresh':
      return { code: CapabilityCode.ENHANCED_ROUTE_REFRESH, value: Buffer.alloc(0) };
    case 'extendedMessage':
      return { code: CapabilityCode.EXTENDED_MESSAGE, value: Buffer.alloc(0) };
    case 'fourOctetAs': {
      const v = Buffer.alloc(4);
      v.writeUInt32BE(c.asn >>> 0);
      return { code: CapabilityCode.FOUR_OCTET_AS, value: v };
    }
    case 'gracefulRestart': {
      // RFC 4724 §3: R (0x8) and N (0x4, RFC 8538) in the top nibble, 12-bit restart time.
      const v = Buffer.alloc(2 + 4 * c.families.length);
      const flags = (c.restartState ? 0x8 : 0) | (c.notification ? 0x4 : 0);
      v.writeUInt16BE((flags << 12) | (c.restartTimeSec & 0xfff), 0);
      c.families.forEach((f, i) => {
        v.writeUInt16BE(f.afi, 2 + 4 * i);
        v[4 + 4 * i] = f.safi;
        v[5 + 4 * i] = f.forwardingState ? 0x80 : 0;
      });
      return { code: CapabilityCode.GRACEFUL_RESTART, value: v };
    }
    case 'unknown':
      return { code: c.code, value: c.value };
  }
}

/** Encodes one capability TLV (code, length, value). */
export function encodeCapability(c: Capability): Buffer {
  const { code, value } = capabilityValue(c);
  return Buffer.concat([Buffer.from([code, value.length]), value]);
}

function openError(subcode: number, message: string, data?: Buffer): BgpError {
  return new BgpError({ code: ErrorCode.OPEN_MESSAGE, subcode, message, ...(data ? { data } : {}) });
}

/** Decodes one capability value; malformed known capabilities are OPEN errors. */
export function decodeCapability(code: number, value: Buffer): Capability {
  const bad = () => openError(0, `malformed capability ${code} (length ${value.length})`);
  switch (code) {
    case CapabilityCode.MULTIPROTOCOL:
      if (value.length !== 4) throw bad();
      return { type: 'multiprotocol', afi: value.readUInt16BE(0), safi: value[3] ?? 0 };
    case CapabilityCode.ROUTE_REFRESH:
      return { type: 'routeRefresh' };
    case CapabilityCode.ENHANCED_ROUTE_REFRESH:
      return { type: 'enhancedRouteRefresh' };
    case CapabilityCode.EXTENDED_MESSAGE:
      return { type: 'extendedMessage' };
    case CapabilityCode.FOUR_OCTET_AS:
      if (value.length !== 4) throw bad();
      return { type: 'fourOctetAs', asn: value.readUInt32BE(0) };
    case CapabilityCode.GRACEFUL_RESTART: {
      if (value.length < 2 || (value.length - 2) % 4 !== 0) throw bad();
      const word = value.readUInt16BE(0);
      const families: { afi: number; safi: number; forwardingState: boolean }[] = [];
      for (let o = 2; o < value.length; o += 4) {
        families.push({ afi: value.readUInt16BE(o), safi: value[o + 2] ?? 0, forwardingState: ((value[o + 3] ?? 0) & 0x80) !== 0 });
      }
      return {
        type: 'gracefulRestart',
        restartState: (word & 0x8000) !== 0,
        notification: (word & 0x4000) !== 0,
        restartTimeSec: word & 0xfff,
        families,
      };
    }
    default:
      return { type: 'unknown', code, value: Buffer.from(value) };
  }
}

/** Encodes an OPEN message (header included). All capabilities go in one Capabilities parameter. */
export function encodeOpen(m: OpenMessage): Buffer {
  const caps = Buffer.concat(m.capabilities.map(encodeCapability));
  if (caps.length + 2 > 255) throw new RangeError(`capabilities too long for an OPEN: ${caps.length} octets`);
  const params = caps.length > 0 ? Buffer.concat([Buffer.from([OptionalParameterType.CAPABILITIES, caps.length]), caps]) : Buffer.alloc(0);
  const body = Buffer.alloc(10 + params.length);
  body[0] = m.version;
  body.writeUInt16BE(m.myAs, 1);
  body.writeUInt16BE(m.holdTimeSec, 3);
  body.writeUInt32BE(m.bgpId >>> 0, 5);
  body[9] = params.length;
  params.copy(body, 10);
  return encodeFrame(MessageType.OPEN, body);
}

function lengthError(body: Buffer): BgpError {
  const data = Buffer.alloc(2);
  data.writeUInt16BE(body.length + 19);
  return new BgpError({
    code: ErrorCode.MESSAGE_HEADER,
    subcode: HeaderSubcode.BAD_MESSAGE_LENGTH,
    data,
    message: 'OPEN length does not match its optional parameters',
  });
}

/**
 * Decodes an OPEN body. Checks that need session context (peer AS, hold time, identifier) are in
 * fsm/open-check.ts; here only the structure is checked, so a capture decodes whatever it says.
 */
export function decodeOpen(body: Buffer): OpenMessage {
  if (body.length < 10) throw lengthError(body);
  const version = body[0] ?? 0;
  const myAs = body.readUInt16BE(1);
  const holdTimeSec = body.readUInt16BE(3);
  const bgpId = body.readUInt32BE(5);
  let paramsLength = body[9] ?? 0;
  let offset = 10;
  let extended = false;
  // RFC 9072: Opt Parm Len 255 and a first parameter type 255 mean 2-octet lengths follow.
  if (paramsLength === 255 && body[10] === OptionalParameterType.EXTENDED_LENGTH) {
    if (body.length < 13) throw lengthError(body);
    paramsLength = body.readUInt16BE(11);
    offset = 13;
    extended = true;
  }
  if (offset + paramsLength !== body.length) throw lengthError(body);
  const capabilities: Capability[] = [];
  const end = offset + paramsLength;
  while (offset < end) {
    const paramType = body[offset] ?? 0;
    const headerLen = extended ? 3 : 2;
    if (offset + headerLen > end) throw lengthError(body);
    const paramLen = extended ? body.readUInt16BE(offset + 1) : (body[offset + 1] ?? 0);
    const start = offset + headerLen;
    if (start + paramLen > end) throw lengthError(body);
    if (paramType !== OptionalParameterType.CAPABILITIES) {
      // RFC 4271 §6.2: an optional parameter we do not recognise.
      throw openError(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, `unsupported optional parameter ${paramType}`);
    }
    let c = start;
    while (c < start + paramLen) {
      if (c + 2 > start + paramLen) throw openError(0, 'truncated capability header');
      const code = body[c] ?? 0;
      const len = body[c + 1] ?? 0;
      if (c + 2 + len > start + paramLen) throw openError(0, `capability ${code} overruns its parameter`);
      capabilities.push(decodeCapability(code, body.subarray(c + 2, c + 2 + len)));
      c += 2 + len;
    }
    offset = start + paramLen;
  }
  return { type: 'open', version, myAs, holdTimeSec, bgpId, capabilities };
}
