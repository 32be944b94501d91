// Protocol errors as values: what to put in the NOTIFICATION and how hard to react (RFC 7606).

/**
 * RFC 7606 error handling levels, weakest first. The session acts on the level, never on text:
 * `attribute-discard` and `treat-as-withdraw` keep the session up, `session-reset` sends the
 * NOTIFICATION and closes. `afi-safi-disable` (RFC 7606 §3 j) is treated as a reset: we have no
 * per-family teardown and a peer sending broken NLRI is better restarted.
 */
export const Handling = ['none', 'attribute-discard', 'treat-as-withdraw', 'afi-safi-disable', 'session-reset'] as const;
export type HandlingLevel = (typeof Handling)[number];

/** True when level `a` is stronger than `b`. */
export function isStronger(a: HandlingLevel, b: HandlingLevel): boolean {
  return Handling.indexOf(a) > Handling.indexOf(b);
}

/** A malformed or unacceptable message: NOTIFICATION code, subcode and data plus the RFC 7606 level. */
export class BgpError extends Error {
  override readonly name = 'BgpError';
  readonly code: number;
  readonly subcode: number;
  readonly data: Buffer;
  readonly handling: HandlingLevel;

  constructor(opts: { code: number; subcode: number; data?: Uint8Array; handling?: HandlingLevel; message: string }) {
    super(`${opts.message} (NOTIFICATION ${opts.code}/${opts.subcode})`);
    this.code = opts.code;
    this.subcode = opts.subcode;
    this.data = Buffer.from(opts.data ?? Buffer.alloc(0));
    this.handling = opts.handling ?? 'session-reset';
  }
}

/** Shorthand for the common case: a session-resetting error. */
export function bgpError(code: number, subcode: number, message: string, data?: Uint8Array): BgpError {
  return new BgpError({ code, subcode, message, ...(data ? { data } : {}) });
}
