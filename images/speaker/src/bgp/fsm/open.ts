// Building our OPEN, checking the peer's (RFC 4271 §6.2) and what the two agree on.
import type { IPFamily } from '../../../../../lib/net/index.ts';
import { AS_TRANS, CapabilityCode, ErrorCode, OpenSubcode, Safi } from '../codec/constants.ts';
import { BgpError } from '../codec/errors.ts';
import { encodeCapability } from '../codec/open.ts';
import { afiOfFamily, familyOfAfi } from '../codec/nlri.ts';
import type { Capability, OpenMessage } from '../codec/types.ts';
import type { FsmConfig, Negotiated } from './types.ts';

/** Our OPEN: MP per family, route refresh, 4-octet AS, extended message, and GR when enabled. */
export function buildOpen(config: FsmConfig, bgpId: number, restarting: boolean): OpenMessage {
  const capabilities: Capability[] = config.families.map((f) => ({ type: 'multiprotocol', afi: afiOfFamily(f), safi: Safi.UNICAST }));
  capabilities.push({ type: 'routeRefresh' }, { type: 'fourOctetAs', asn: config.localAs }, { type: 'extendedMessage' });
  if (config.gracefulRestart) {
    capabilities.push({
      type: 'gracefulRestart',
      restartState: restarting,
      notification: false,
      restartTimeSec: Math.min(config.gracefulRestart.restartTimeSec, 0xfff),
      // F bit: the node keeps forwarding to its Services while the speaker restarts.
      families: config.families.map((f) => ({ afi: afiOfFamily(f), safi: Safi.UNICAST, forwardingState: true })),
    });
  }
  return {
    type: 'open',
    version: 4,
    myAs: config.localAs > 0xffff ? AS_TRANS : config.localAs,
    holdTimeSec: config.holdTimeSec,
    bgpId,
    capabilities,
  };
}

function openError(subcode: number, message: string, data?: Buffer): BgpError {
  return new BgpError({ code: ErrorCode.OPEN_MESSAGE, subcode, message, ...(data ? { data } : {}) });
}

/** The peer's AS: capability 65 when present (RFC 6793 §4.1), else the 2-octet field. */
export function peerAsOf(open: OpenMessage): number {
  const cap = open.capabilities.find((c) => c.type === 'fourOctetAs');
  return cap && cap.type === 'fourOctetAs' ? cap.asn : open.myAs;
}

/** Families the peer offers: its MP capabilities, or IPv4 unicast when it sends none (RFC 4760 §8). */
function peerFamilies(open: OpenMessage): IPFamily[] {
  const mp = open.capabilities.filter((c): c is Extract<Capability, { type: 'multiprotocol' }> => c.type === 'multiprotocol');
  if (mp.length === 0) return [4];
  const out: IPFamily[] = [];
  for (const c of mp) {
    const f = familyOfAfi(c.afi);
    if (f !== undefined && c.safi === Safi.UNICAST && !out.includes(f)) out.push(f);
  }
  return out;
}

/**
 * Checks a received OPEN against our configuration and returns the NOTIFICATION-carrying error,
 * or what was negotiated.
 */
export function checkOpen(open: OpenMessage, config: FsmConfig, localBgpId: number): BgpError | Negotiated {
  if (open.version !== 4) {
    // RFC 4271 §6.2: the data is the largest version we support.
    return openError(OpenSubcode.UNSUPPORTED_VERSION_NUMBER, `peer speaks BGP version ${open.version}`, Buffer.from([0, 4]));
  }
  const has = (t: Capability['type']) => open.capabilities.some((c) => c.type === t);
  const fourOctetAs = has('fourOctetAs');
  const peerAs = peerAsOf(open);
  // RFC 7607: AS 0 is invalid; RFC 6793 §4.1: AS_TRANS is never a real 4-octet AS.
  if (peerAs === 0 || (fourOctetAs && peerAs === AS_TRANS) || peerAs !== config.peerAs) {
    const data = Buffer.alloc(2);
    data.writeUInt16BE(open.myAs);
    return openError(OpenSubcode.BAD_PEER_AS, `peer AS ${peerAs}, expected ${config.peerAs}`, data);
  }
  if (open.holdTimeSec === 1 || open.holdTimeSec === 2 || (open.holdTimeSec !== 0 && open.holdTimeSec < config.minHoldTimeSec)) {
    return openError(OpenSubcode.UNACCEPTABLE_HOLD_TIME, `peer hold time ${open.holdTimeSec} s`);
  }
  // RFC 6286 §2.2: zero is invalid; on iBGP the identifiers must differ.
  if (open.bgpId === 0 || (config.localAs === config.peerAs && open.bgpId === localBgpId)) {
    const data = Buffer.alloc(4);
    data.writeUInt32BE(open.bgpId >>> 0);
    return openError(OpenSubcode.BAD_BGP_IDENTIFIER, `peer BGP identifier ${open.bgpId >>> 0}`, data);
  }
  if (config.localAs > 0xffff && !fourOctetAs) {
    // RFC 5492 §5: we need a capability the peer lacks; the data lists it.
    return openError(OpenSubcode.UNSUPPORTED_CAPABILITY, 'peer does not support 4-octet AS numbers', encodeCapability({ type: 'fourOctetAs', asn: config.localAs }));
  }
  const offered = peerFamilies(open);
  const families = config.families.filter((f) => offered.includes(f));
  if (families.length === 0) {
    const first = config.families[0] ?? 4;
    return openError(OpenSubcode.UNSUPPORTED_CAPABILITY, `peer does not offer IPv${first} unicast`, encodeCapability({ type: 'multiprotocol', afi: afiOfFamily(first), safi: Safi.UNICAST }));
  }
  const holdTimeSec = Math.min(open.holdTimeSec, config.holdTimeSec);
  return {
    holdTimeSec,
    // RFC 4271 §10: one third of the hold time, and never more often than once a second.
    keepaliveSec: holdTimeSec === 0 ? 0 : Math.max(1, Math.floor(holdTimeSec / 3)),
    fourOctetAs,
    extendedMessage: has('extendedMessage'),
    families,
    routeRefresh: has('routeRefresh') || open.capabilities.some((c) => c.type === 'unknown' && c.code === CapabilityCode.CISCO_ROUTE_REFRESH),
    peerGracefulRestart: has('gracefulRestart'),
    peerAs,
    peerBgpId: open.bgpId >>> 0,
    localBgpId,
  };
}

