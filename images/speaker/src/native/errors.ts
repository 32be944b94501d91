// Errors of the native socket layer.

/** A socket operation failed; `code` is the errno name (ECONNREFUSED, ETIMEDOUT, EADDRINUSE...). */
export class NativeSocketError extends Error {
  override readonly name = 'NativeSocketError';
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Wraps an error thrown by the addon (which carries `code`) with what was being done. */
export function socketError(what: string, err: unknown): NativeSocketError {
  const code = (err as { code?: unknown })?.code;
  const msg = err instanceof Error ? err.message : String(err);
  return new NativeSocketError(`${what}: ${msg}`, typeof code === 'string' ? code : 'EUNKNOWN', { cause: err });
}
