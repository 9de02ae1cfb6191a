/**
 * Polls `check` until it returns a truthy value, or rejects after `timeoutMs`. For waiting on a
 * condition another process or Redis makes true: it synchronises on the condition, not on time.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5_000, intervalMs = 10, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`waitFor: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
