/**
 * A fake clock (Date and performance.now, timers) with real promise jobs: durations and reset
 * timeouts are exact however slow the machine, and awaiting a breaker's promises still works.
 * Undo with `jest.useRealTimers()`.
 */
export function useFakeClock(): void {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
}
