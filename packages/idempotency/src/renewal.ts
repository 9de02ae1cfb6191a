import type { IdempotencyStore } from './store';

/**
 * Keeps a claim alive while its work runs: renews the lease every leaseMs / 3 (at least 50 ms),
 * tracked in `renewals` so close() can stop it. Returns the function that stops it.
 */
export function keepClaimed(
  store: Pick<IdempotencyStore, 'renew'>,
  storageKey: string,
  owner: string,
  leaseMs: number,
  renewals: Set<NodeJS.Timeout>,
): () => void {
  const renew = setInterval(
    () => {
      store.renew(storageKey, owner, leaseMs).catch(() => undefined);
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  renew.unref();
  renewals.add(renew);
  return () => {
    clearInterval(renew);
    renewals.delete(renew);
  };
}
