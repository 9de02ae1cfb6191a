/** Symbol under which a given-up error carries the number of attempts made. */
export const ATTEMPTS: unique symbol = Symbol.for('@resil/retry.attempts') as never;

/** How many attempts were made before `err` was rethrown (undefined if it never went through retryable). */
export function attemptsOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const n = (err as Record<symbol, unknown>)[ATTEMPTS];
  return typeof n === 'number' ? n : undefined;
}

export function markAttempts(err: unknown, attempts: number): void {
  if ((typeof err !== 'object' && typeof err !== 'function') || err === null) return;
  try {
    Object.defineProperty(err, ATTEMPTS, {
      value: attempts,
      enumerable: false,
      configurable: true,
      writable: true,
    });
  } catch {
    // a frozen error keeps its shape: the count is then only in onGiveUp
  }
}
