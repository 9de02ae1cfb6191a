/**
 * Typed events as cockatiel has them: an `Event<T>` is a function that subscribes a listener and
 * returns a disposable; `emit` calls the listeners in order. A throwing listener never changes
 * the outcome of the call that emitted: its error goes to `onListenerError` (default: ignored).
 */

/** What a subscription returns: `dispose()` or `using sub = onX(...)` unsubscribes. */
export interface Disposable {
  dispose(): void;
  [Symbol.dispose](): void;
}

/** A subscription function: `onRetry(listener)`. */
export type Event<T> = (listener: (value: T) => void) => Disposable;

/** A disposable that runs `fn` once, however often it is disposed. */
export function toDisposable(fn: () => void): Disposable {
  let done = false;
  const dispose = () => {
    if (done) return;
    done = true;
    fn();
  };
  return { dispose, [Symbol.dispose]: dispose };
}

/** A disposable that does nothing. */
export const noopDisposable: Disposable = Object.freeze(toDisposable(() => {}));

export interface EventEmitterOptions {
  /** Receives what a listener threw (the emit carries on). @default ignore it */
  onListenerError?: (error: unknown) => void;
}

/** The emitting side of one event; expose `emitter.event` as the package's `onX`. */
export class EventEmitter<T> {
  #listeners: Array<(value: T) => void> = [];
  readonly #onListenerError: ((error: unknown) => void) | undefined;

  constructor(options: EventEmitterOptions = {}) {
    this.#onListenerError = options.onListenerError;
  }

  /** Subscribes a listener; the returned disposable removes it. */
  readonly event: Event<T> = (listener) => {
    if (typeof listener !== 'function') throw new TypeError('event: listener must be a function');
    // Copy on write: a listener that (un)subscribes during emit does not disturb that emit.
    const entry = (value: T) => listener(value);
    this.#listeners = [...this.#listeners, entry];
    return toDisposable(() => {
      this.#listeners = this.#listeners.filter((l) => l !== entry);
    });
  };

  /** How many listeners are subscribed (0: the emitter may skip building the event). */
  get size(): number {
    return this.#listeners.length;
  }

  emit(value: T): void {
    for (const l of this.#listeners) {
      try {
        l(value);
      } catch (err) {
        try {
          this.#onListenerError?.(err);
        } catch {
          // the error hook itself failed: nothing more to do without changing the outcome
        }
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners = [];
  }
}

/** Resolves with the next value of `event` (rejects with the signal's reason on abort). */
export function once<T>(event: Event<T>, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      sub.dispose();
      reject(signal?.reason);
    };
    const sub = event((value) => {
      sub.dispose();
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
