/** Symbol under which a given-up error carries the number of attempts made. */
export const ATTEMPTS: unique symbol = Symbol.for('@resil/retry.attempts') as never;

/** How many attempts were made before `err` was rethrown (undefined if it never went through retryable). */
export function attemptsOf(err: unknown): number | undefined {
  // Object() boxes a primitive (which carries no mark) and makes null or undefined an empty object.
  const n = (Object(err) as Record<symbol, unknown>)[ATTEMPTS];
  return typeof n === 'number' ? n : undefined;
}

/** Marks `err` (an object or a function) with the attempt count; a primitive cannot carry it. */
export function markAttempts(err: unknown, attempts: number): void {
  if (Object(err) !== err) return;
  // Reflect.defineProperty answers false instead of throwing on a frozen error: it keeps its
  // shape, and the count is then only in onGiveUp.
  Reflect.defineProperty(err as object, ATTEMPTS, {
    value: attempts,
    enumerable: false,
    configurable: true,
    writable: true,
  });
}
