import { maxInWindow } from '@resil/testkit';

/**
 * The `margin` of the limiters in tests that count grants in real time on the callers' clocks.
 * The limiter's window holds on a caller's clock as long as the caller observes its grant at
 * most `margin × durationMs` late; on a shared 2-core machine under load, timers and replies
 * run more than the default 5 % (50 ms of a second) late, which a test would count as the
 * limiter's fault. The algorithm is the same; only the allowed lateness is larger.
 */
export const LOADED_MACHINE_MARGIN = 0.25;

/** Units (sum of costs) in the fullest half-open window [t, t + windowMs). */
export function maxUnitsInWindow(
  times: readonly number[],
  costs: readonly number[],
  windowMs: number,
): number {
  return maxInWindow(
    times.flatMap((t, i) => Array.from({ length: costs[i] ?? 1 }, () => t)),
    windowMs,
  );
}
