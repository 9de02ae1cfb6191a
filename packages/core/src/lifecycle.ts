/**
 * One lifecycle for every object that holds anything (clients, timers, subscriptions): an async
 * `close()` that releases it, idempotent (a second call returns the first call's promise), and
 * `Symbol.asyncDispose`, so `await using x = ...` works (TypeScript >= 5.2 with the
 * `esnext.disposable` lib; Node 20 defines the symbol). Not to be confused with a circuit's state.
 */
export interface Closeable {
  /** Releases what the object holds. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Base class: implement `onClose()`; `close()` runs it once. */
export abstract class Resource implements Closeable {
  #closing: Promise<void> | undefined;

  /** True once `close()` was called (the release may still be running). */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  close(): Promise<void> {
    this.#closing ??= Promise.resolve().then(() => this.onClose());
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Releases what the object holds. Called once. */
  protected abstract onClose(): void | Promise<void>;
}

/** Adds `close()` and `Symbol.asyncDispose` to `target`, running `release` once. */
export function makeCloseable<T extends object>(
  target: T,
  release: () => void | Promise<void>,
): T & Closeable {
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= Promise.resolve().then(release);
    return closing;
  };
  Object.defineProperty(target, 'close', { value: close, configurable: true, writable: true });
  Object.defineProperty(target, Symbol.asyncDispose, {
    value: close,
    configurable: true,
    writable: true,
  });
  return target as T & Closeable;
}

/**
 * Closes every resource, all of them even when some fail; rejects with an AggregateError of the
 * failures (in order) after all have settled.
 */
export async function closeAll(resources: Iterable<Closeable | undefined>): Promise<void> {
  const results = await Promise.allSettled([...resources].map((r) => r?.close()));
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (errors.length > 0)
    throw new AggregateError(errors, `closeAll: ${errors.length} resource(s) failed to close`);
}
