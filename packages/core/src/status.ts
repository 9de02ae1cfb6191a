type Loose = { status?: unknown; statusCode?: unknown; response?: { status?: unknown } | null };

/**
 * The HTTP status an error carries, from `status`, `statusCode` or `response.status` (fetch,
 * axios, got, http-errors); undefined when none is an integer.
 */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as Loose;
  for (const s of [e.status, e.statusCode, e.response?.status]) {
    if (typeof s === 'number' && Number.isInteger(s)) return s;
  }
  return undefined;
}
