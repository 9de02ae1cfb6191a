/**
 * `pending`, or a rejection with the signal's reason as soon as it fires (at once if it already
 * has): a function that ignores its signal no longer holds its caller, and its late outcome is
 * dropped. Without a signal, `pending` itself. The listener is removed when either side settles,
 * so a long-lived signal does not collect one listener per call.
 */
export function untilAborted<T>(
  pending: PromiseLike<T> | T,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal === undefined) return Promise.resolve(pending);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(pending).then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
