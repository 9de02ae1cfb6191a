// TODO(interim): delete when @resil/breaker lands; src/resil.ts then re-exports the package.
// Memory only: no state shared between workers (that is what @resil/breaker adds).
import { EventEmitter } from 'node:events';
import { type AnyAsyncFn, makeWrapper, type WrapperDecorator } from './wrap';

export type BreakerState = 'closed' | 'open' | 'halfOpen';

export class CircuitOpenError extends Error {
  readonly code = 'ECIRCUITOPEN';
  readonly breakerName: string;
  readonly retryAfterMs: number;
  constructor(breakerName: string, retryAfterMs: number) {
    super(`circuit ${breakerName} is open`);
    this.name = 'CircuitOpenError';
    this.breakerName = breakerName;
    this.retryAfterMs = retryAfterMs;
  }
}

export function isCircuitOpenError(err: unknown): err is CircuitOpenError {
  return (err as { code?: unknown } | null)?.code === 'ECIRCUITOPEN';
}

export interface CircuitBreakerOptions {
  name: string;
  failureThreshold?: number;
  resetTimeoutMs?: number;
  redis?: unknown;
  keyPrefix?: string;
  isFailure?: (err: unknown) => boolean;
}

export class Breaker extends EventEmitter {
  readonly name: string;
  readonly storage = 'memory' as const;
  state: BreakerState = 'closed';
  failures = 0;
  openedAt = 0;
  readonly failureThreshold: number;
  readonly resetTimeoutMs: number;
  #probing = false;

  constructor(name: string, failureThreshold: number, resetTimeoutMs: number) {
    super();
    this.name = name;
    this.failureThreshold = failureThreshold;
    this.resetTimeoutMs = resetTimeoutMs;
  }

  #to(state: BreakerState): void {
    if (state === this.state) return;
    const from = this.state;
    this.state = state;
    if (state === 'open') this.openedAt = Date.now();
    if (state === 'closed') this.failures = 0;
    this.emit(state, { name: this.name, from, to: state });
    this.emit('stateChange', { name: this.name, from, to: state });
  }
  open(): void {
    this.#to('open');
  }
  close(): void {
    this.#to('closed');
  }
  get nextProbeInMs(): number {
    return this.state === 'open'
      ? Math.max(0, this.openedAt + this.resetTimeoutMs - Date.now())
      : 0;
  }
  /** @internal */
  async run(fn: () => Promise<unknown>, isFailure: (e: unknown) => boolean): Promise<unknown> {
    if (this.state === 'open') {
      if (this.nextProbeInMs > 0) throw new CircuitOpenError(this.name, this.nextProbeInMs);
      this.#to('halfOpen');
    }
    if (this.state === 'halfOpen') {
      if (this.#probing) throw new CircuitOpenError(this.name, this.resetTimeoutMs);
      this.#probing = true;
    }
    const probe = this.state === 'halfOpen';
    try {
      const out = await fn();
      if (probe) this.#to('closed');
      else this.failures = 0;
      return out;
    } catch (err) {
      if (isFailure(err)) {
        this.failures++;
        this.emit('failure', { name: this.name });
        if (probe || this.failures >= this.failureThreshold) {
          this.#to('open');
        }
      } else if (probe) this.#to('closed');
      throw err;
    } finally {
      if (probe) this.#probing = false;
    }
  }
  shutdown(): void {
    this.removeAllListeners();
  }
}

const defaultIsFailure = (err: unknown): boolean => {
  const s = (err as { status?: unknown } | null)?.status;
  return !(typeof s === 'number' && s >= 400 && s < 500);
};

export function circuitBreaker(
  options: CircuitBreakerOptions,
): WrapperDecorator<{ breaker: Breaker }> {
  const breaker = new Breaker(
    options.name,
    options.failureThreshold ?? 5,
    options.resetTimeoutMs ?? 60000,
  );
  const isFailure = options.isFailure ?? defaultIsFailure;
  return makeWrapper(
    (fn: AnyAsyncFn) =>
      function (this: unknown, ...args: unknown[]) {
        return breaker.run(() => fn.apply(this, args), isFailure);
      },
    { breaker },
  );
}
