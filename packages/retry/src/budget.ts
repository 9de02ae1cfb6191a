import { checkOptions, functionOption, numberOption } from '@resil/core';

export interface RetryBudgetOptions {
  /** Tokens deposited by each call (first attempt): the share of calls that may be retried. @default 0.2 */
  ratio?: number;
  /** Retries always allowed per second, whatever the traffic (so rare calls can still retry). @default 1 */
  minRetriesPerSecond?: number;
  /** Most tokens the budget holds (bounds a burst of retries after a quiet period). @default 20 */
  maxTokens?: number;
  /** Clock in ms. @default Date.now */
  clock?: () => number;
}

const KNOWN = ['ratio', 'minRetriesPerSecond', 'maxTokens', 'clock'];

/**
 * A retry budget (gRPC retry throttling, Finagle/Envoy retry budgets): each call deposits `ratio`
 * of a token, each retry withdraws a whole one, and `minRetriesPerSecond` tokens are added per
 * second as a floor. Share one budget between the functions that call one dependency: when it
 * is empty, their failures are returned at once instead of retried, so retries cannot multiply an
 * outage by `maxAttempts`.
 */
export class RetryBudget {
  readonly ratio: number;
  readonly minRetriesPerSecond: number;
  readonly maxTokens: number;
  #tokens: number;
  #last: number;
  readonly #clock: () => number;
  #refused = false;

  constructor(options: RetryBudgetOptions = {}) {
    const o = checkOptions('RetryBudget', options, KNOWN);
    const ratio = numberOption('RetryBudget', 'ratio', o.ratio, { default: 0.2, min: 0, max: 10 });
    // Infinity would let every retry through (and turn the token count into NaN): refused (finite).
    const floor = numberOption('RetryBudget', 'minRetriesPerSecond', o.minRetriesPerSecond, {
      default: 1,
      min: 0,
    });
    const max = numberOption('RetryBudget', 'maxTokens', o.maxTokens, { default: 20, min: 1 });
    this.ratio = ratio;
    this.minRetriesPerSecond = floor;
    this.maxTokens = max;
    this.#clock = functionOption<() => number>(
      'RetryBudget',
      'clock',
      o.clock,
      Date.now,
    ) as () => number;
    this.#tokens = Math.min(max, floor);
    this.#last = this.#clock();
  }

  /** Tokens available now. */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** A call was made (its first attempt). */
  deposit(): void {
    this.#refill();
    this.#tokens = Math.min(this.maxTokens, this.#tokens + this.ratio);
  }

  /** True after a refused withdrawal, until the next one succeeds: the budget is spent. */
  get exhausted(): boolean {
    return this.#refused;
  }

  /** Takes one token for a retry; false when the budget is spent. */
  tryWithdraw(): boolean {
    this.#refill();
    this.#refused = this.#tokens < 1;
    if (this.#refused) return false;
    this.#tokens -= 1;
    return true;
  }

  #refill(): void {
    const now = this.#clock();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(
      this.maxTokens,
      this.#tokens + (elapsed / 1000) * this.minRetriesPerSecond,
    );
  }
}
