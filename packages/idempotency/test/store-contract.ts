// The contract every IdempotencyStore must pass (the `store` option takes any implementation).
// Reusable: call storeContract(name, factory) from a test file; the factory gives a fresh store
// and a function that makes keys unique to it. Real time only (no fake clocks: it must run
// against Redis too); expiries are awaited by polling with a bound, never by sleeping.
import { waitFor } from '@resil/testkit';
import type { IdempotencyStore, StoredResponse } from '../src';

export interface ContractSubject {
  store: IdempotencyStore;
  /** A key of this store no other test uses. */
  key(): string;
}

const response = (over: Partial<StoredResponse> = {}): StoredResponse => ({
  status: 201,
  headers: { 'content-type': 'application/json', vary: ['a', 'b'] },
  body: Buffer.from('{"id":1}\u0000\u00ff'),
  omitted: false,
  ...over,
});

export function storeContract(
  name: string,
  factory: () => ContractSubject | Promise<ContractSubject>,
) {
  describe(`IdempotencyStore contract: ${name}`, () => {
    let s: ContractSubject;
    beforeEach(async () => {
      s = await factory();
    });
    afterEach(async () => {
      await s.store.close();
    });

    it('claim: the first caller claims; the next sees running with the first fingerprint and the lease left', async () => {
      const k = s.key();
      expect(await s.store.claim(k, 'o1', 'fp1', 5_000)).toEqual({ claimed: true });
      const again = await s.store.claim(k, 'o2', 'fp2', 5_000);
      expect(again).toMatchObject({ claimed: false, state: 'running', fp: 'fp1' });
      if (again.claimed || again.state !== 'running') throw new Error('unreachable');
      expect(again.leaseLeftMs).toBeGreaterThan(0);
      expect(again.leaseLeftMs).toBeLessThanOrEqual(5_000);
    });

    it('claim is atomic: of 25 concurrent claims of one key exactly one wins', async () => {
      const k = s.key();
      const all = await Promise.all(
        Array.from({ length: 25 }, (_, i) => s.store.claim(k, `o${i}`, 'fp', 5_000)),
      );
      expect(all.filter((r) => r.claimed)).toHaveLength(1);
    });

    it('keys are independent', async () => {
      const a = s.key();
      const b = s.key();
      expect(await s.store.claim(a, 'o1', 'fp', 5_000)).toEqual({ claimed: true });
      expect(await s.store.claim(b, 'o2', 'fp', 5_000)).toEqual({ claimed: true });
    });

    it('complete: only the owner of the running claim stores; a repeat gets the exact response (status, header arrays, binary body)', async () => {
      const k = s.key();
      expect(await s.store.complete(k, 'o1', response(), 60_000)).toBe(false); // nothing claimed
      await s.store.claim(k, 'o1', 'fp', 5_000);
      expect(await s.store.complete(k, 'other', response(), 60_000)).toBe(false);
      expect(await s.store.complete(k, 'o1', response(), 60_000)).toBe(true);
      expect(await s.store.claim(k, 'o2', 'fp', 5_000)).toEqual({
        claimed: false,
        state: 'done',
        fp: 'fp',
        response: response(),
      });
      expect(await s.store.complete(k, 'o1', response({ status: 299 }), 60_000)).toBe(false); // done
    });

    it('complete: an omitted response stays omitted', async () => {
      const k = s.key();
      await s.store.claim(k, 'o1', 'fp', 5_000);
      const omitted = response({ headers: {}, body: Buffer.alloc(0), omitted: true });
      expect(await s.store.complete(k, 'o1', omitted, 60_000)).toBe(true);
      const r = await s.store.claim(k, 'o2', 'fp', 5_000);
      expect(r).toMatchObject({ claimed: false, state: 'done' });
      if (r.claimed || r.state !== 'done') throw new Error('unreachable');
      expect(r.response.omitted).toBe(true);
    });

    it('renew: only the owner of a running claim extends its lease', async () => {
      const k = s.key();
      // a 10 s lease: no stall of a loaded machine ends it before the renewal (1 s could), and
      // a renewal to 60 s still shows as more than 30 s left
      await s.store.claim(k, 'o1', 'fp', 10_000);
      expect(await s.store.renew(k, 'other', 60_000)).toBe(false);
      expect(await s.store.renew(k, 'o1', 60_000)).toBe(true);
      const r = await s.store.claim(k, 'o2', 'fp', 10_000);
      if (r.claimed || r.state !== 'running') throw new Error('expected running');
      expect(r.leaseLeftMs).toBeGreaterThan(30_000);
      await s.store.complete(k, 'o1', response(), 60_000);
      expect(await s.store.renew(k, 'o1', 60_000)).toBe(false); // done: never renewed
      expect(await s.store.renew(s.key(), 'o1', 60_000)).toBe(false); // nothing there
    });

    it('release: only the owner of a running claim deletes it; the key is then free; a done record is never released', async () => {
      const k = s.key();
      await s.store.claim(k, 'o1', 'fp', 5_000);
      expect(await s.store.release(k, 'other')).toBe(false);
      expect(await s.store.release(k, 'o1')).toBe(true);
      expect(await s.store.release(k, 'o1')).toBe(false);
      expect(await s.store.claim(k, 'o2', 'fp2', 5_000)).toEqual({ claimed: true });
      await s.store.complete(k, 'o2', response(), 60_000);
      expect(await s.store.release(k, 'o2')).toBe(false);
      expect(await s.store.claim(k, 'o3', 'fp2', 5_000)).toMatchObject({ state: 'done' });
    });

    it('a lease ends: the key is claimable by another after leaseMs, and the old owner can no longer complete', async () => {
      const k = s.key();
      await s.store.claim(k, 'o1', 'fp', 150);
      await waitFor(async () => (await s.store.claim(k, 'o2', 'fp', 5_000)).claimed, {
        timeoutMs: 5_000,
        what: 'the lease to end',
      });
      expect(await s.store.complete(k, 'o1', response(), 60_000)).toBe(false);
      expect(await s.store.complete(k, 'o2', response(), 60_000)).toBe(true);
    });

    it('a completed record ends after ttlMs', async () => {
      const k = s.key();
      await s.store.claim(k, 'o1', 'fp', 5_000);
      await s.store.complete(k, 'o1', response(), 150);
      await waitFor(async () => (await s.store.claim(k, 'o2', 'fp', 5_000)).claimed, {
        timeoutMs: 5_000,
        what: 'the record to expire',
      });
    });

    it('close() is idempotent', async () => {
      await s.store.close();
      await expect(s.store.close()).resolves.toBeUndefined();
    });
  });
}
