import { ResilError } from '@resil/core';

/** Stable error codes of @resil/sanitize, never reused. */
export type SanitizeErrorCode = 'RESIL_SANITIZE_TOO_LONG' | 'RESIL_SANITIZE_PEER_MISSING';

/**
 * An input the sanitiser refuses (a core `ResilError`). The message names the rule (and the limit), never the input.
 * Check with `isSanitizeError(err)`, which compares `code` (works across two installed copies).
 */
export class SanitizeError extends ResilError<SanitizeErrorCode> {
  override readonly name = 'SanitizeError';
  /** The limit that was exceeded (UTF-16 code units), for `RESIL_SANITIZE_TOO_LONG`; 0 for other codes. */
  readonly limit: number;

  constructor(code: SanitizeErrorCode, message: string, limit: number, options?: ErrorOptions) {
    super(code, message, options);
    this.limit = limit;
  }
}

/** True for a `SanitizeError` from any copy of this package (checks `code`, not `instanceof`). */
export function isSanitizeError(err: unknown): err is SanitizeError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as { code: string }).code.startsWith('RESIL_SANITIZE_')
  );
}
