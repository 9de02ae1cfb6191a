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

  constructor(options: RetryBudgetOptions = {}) {
    const ratio = options.ratio ?? 0.2;
    const floor = options.minRetriesPerSecond ?? 1;
    const max = options.maxTokens ?? 20;
    if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 10))
      throw new RangeError('RetryBudget: ratio must be a number between 0 and 10');
    // Infinity would let every retry through (and turn the token count into NaN): refused.
    // Number.isFinite is false for anything but a number: no typeof check needed.
    if (!(floor >= 0 && Number.isFinite(floor)))
      throw new RangeError('RetryBudget: minRetriesPerSecond must be a finite number >= 0');
    if (!(max >= 1 && Number.isFinite(max)))
      throw new RangeError('RetryBudget: maxTokens must be a finite number >= 1');
    if (options.clock !== undefined && typeof options.clock !== 'function')
      throw new TypeError('RetryBudget: clock must be a function');
    this.ratio = ratio;
    this.minRetriesPerSecond = floor;
    this.maxTokens = max;
    this.#clock = options.clock ?? Date.now;
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

  /** Takes one token for a retry; false when the budget is spent. */
  tryWithdraw(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
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
