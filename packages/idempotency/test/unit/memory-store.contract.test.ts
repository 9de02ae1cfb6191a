// The memory store's contract pinned on a fake clock (issue #23, mutation testing): byte
// accounting, lease expiry at its exact end, the sweep every 1000 writes, what is evicted first,
// and the owner checks of complete, renew and release.
import { MemoryStore, type StoredResponse } from '../../src/store';

const response = (body = 'abc'): StoredResponse => ({
  status: 201,
  headers: { a: 'b' },
  body: Buffer.from(body),
  omitted: false,
});
const big = { maxRecords: 100_000, maxBytes: 1 << 30 };

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('MemoryStore (fake clock)', () => {
  it('counts 128 bytes per record plus key, owner, fingerprint, stored headers (JSON) and body', async () => {
    const s = new MemoryStore(big);
    expect(s.stats()).toEqual({ records: 0, bytes: 0, evicted: 0 });
    await s.claim('key', 'own', 'fp', 1_000);
    expect(s.stats()).toEqual({ records: 1, bytes: 128 + 3 + 3 + 2, evicted: 0 });
    expect(await s.complete('key', 'own', response('abcd'), 10_000)).toBe(true);
    const headers = Buffer.byteLength(JSON.stringify({ a: 'b' }));
    expect(s.stats().bytes).toBe(128 + 3 + 3 + 2 + 4 + headers);
    expect(await s.release('key', 'own')).toBe(false); // done: not released
    expect(s.stats().records).toBe(1);
  });

  it('a lease ends at exactly leaseMs: running until then (with the time left), free from then on', async () => {
    const s = new MemoryStore(big);
    expect(s.kind).toBe('memory');
    await s.claim('k', 'o1', 'fp', 100);
    jest.setSystemTime(1_000_099);
    expect(await s.claim('k', 'o2', 'fp', 100)).toEqual({
      claimed: false,
      state: 'running',
      fp: 'fp',
      leaseLeftMs: 1,
    });
    jest.setSystemTime(1_000_100);
    expect(await s.claim('k', 'o2', 'fp2', 100)).toEqual({ claimed: true });
    expect(await s.renew('k', 'o1', 100)).toBe(false); // the old owner lost it
  });

  it('renew extends a running claim by leaseMs from now, for its owner only', async () => {
    const s = new MemoryStore(big);
    await s.claim('k', 'o1', 'fp', 100);
    jest.setSystemTime(1_000_050);
    expect(await s.renew('k', 'other', 1_000)).toBe(false);
    expect(await s.renew('k', 'o1', 1_000)).toBe(true);
    jest.setSystemTime(1_001_049);
    expect(await s.claim('k', 'o2', 'fp', 100)).toMatchObject({ state: 'running', leaseLeftMs: 1 });
    jest.setSystemTime(1_001_050);
    expect(await s.renew('k', 'o1', 1_000)).toBe(false); // expired
  });

  it('complete keeps the record for ttlMs, for the owner only; release deletes a running claim for the owner only', async () => {
    const s = new MemoryStore(big);
    await s.claim('k', 'o1', 'fp', 100);
    expect(await s.complete('k', 'other', response(), 1_000)).toBe(false);
    expect(await s.complete('missing', 'o1', response(), 1_000)).toBe(false);
    expect(await s.complete('k', 'o1', response(), 1_000)).toBe(true);
    expect(await s.renew('k', 'o1', 1_000)).toBe(false); // done: no renewal
    jest.setSystemTime(1_000_999);
    expect(await s.claim('k', 'o2', 'fp', 100)).toEqual({
      claimed: false,
      state: 'done',
      fp: 'fp',
      response: response(),
    });
    jest.setSystemTime(1_001_000);
    expect(await s.claim('k', 'o2', 'fp', 100)).toEqual({ claimed: true });
    expect(await s.release('k', 'other')).toBe(false);
    expect(await s.release('k', 'o2')).toBe(true);
    expect(await s.release('k', 'o2')).toBe(false);
    expect(s.stats().records).toBe(0);
  });

  it('sweeps expired records on every 1000th new claim', async () => {
    const s = new MemoryStore(big);
    for (let i = 0; i < 998; i++) await s.claim(`k${i}`, 'o', 'fp', 10);
    jest.setSystemTime(1_000_010);
    await s.claim('fresh-1', 'o', 'fp', 10_000); // write 999: no sweep
    expect(s.stats().records).toBe(999);
    await s.claim('fresh-2', 'o', 'fp', 10_000); // write 1000: sweep
    expect(s.stats()).toMatchObject({ records: 2, evicted: 0 });
    expect(s.stats().bytes).toBe(2 * (128 + 7 + 1 + 2));
  });

  it('at the bound, the record dropped is the first, in order of last change, that is expired or completed (expired ones not counted as evicted); running claims stay', async () => {
    const s = new MemoryStore({ maxRecords: 3, maxBytes: 1 << 20 });
    await s.claim('done-old', 'o', 'fp', 1_000);
    await s.complete('done-old', 'o', response(), 60_000);
    await s.claim('done-new', 'o', 'fp', 1_000);
    await s.complete('done-new', 'o', response(), 60_000);
    await s.claim('short', 'o', 'fp', 10);
    jest.setSystemTime(1_000_010);
    await s.claim('c1', 'o', 'fp', 60_000); // drops done-old
    expect(s.stats()).toMatchObject({ records: 3, evicted: 1 });
    await s.claim('c2', 'o', 'fp', 60_000); // drops done-new
    expect(s.stats()).toMatchObject({ records: 3, evicted: 2 });
    expect(await s.claim('done-old', 'o2', 'fp', 60_000)).toEqual({ claimed: true }); // drops short
    expect(s.stats()).toMatchObject({ records: 3, evicted: 2 });
    await expect(s.claim('c3', 'o', 'fp', 60_000)).rejects.toMatchObject({
      code: 'RESIL_IDEMPOTENCY_STORE_FULL',
    });
    expect(await s.claim('c1', 'o2', 'fp', 60_000)).toMatchObject({ state: 'running' });
  });

  it('maxBytes is a bound inclusive of its value', async () => {
    const one = 128 + 1 + 1 + 2;
    const s = new MemoryStore({ maxRecords: 10, maxBytes: 2 * one });
    expect(await s.claim('a', 'o', 'fp', 1_000)).toEqual({ claimed: true });
    expect(await s.claim('b', 'o', 'fp', 1_000)).toEqual({ claimed: true });
    await expect(s.claim('c', 'o', 'fp', 1_000)).rejects.toMatchObject({
      code: 'RESIL_IDEMPOTENCY_STORE_FULL',
      message: 'idempotency: the memory store is full of requests in progress',
    });
    expect(s.stats().bytes).toBe(2 * one);
  });

  it('a completion that cannot fit keeps the status only (no headers, no body, omitted), at its new size', async () => {
    const s = new MemoryStore({ maxRecords: 10, maxBytes: 1_024 });
    await s.claim('k', 'o', 'fp', 1_000);
    expect(await s.complete('k', 'o', response('x'.repeat(2_000)), 60_000)).toBe(true);
    expect(await s.claim('k', 'o2', 'fp', 1_000)).toEqual({
      claimed: false,
      state: 'done',
      fp: 'fp',
      response: { status: 201, headers: {}, body: Buffer.alloc(0), omitted: true },
    });
    expect(s.stats().bytes).toBe(128 + 1 + 1 + 2 + 2);
  });

  it('a completion that fits after dropping an older completed record keeps its body', async () => {
    const s = new MemoryStore({ maxRecords: 10, maxBytes: 1_024 });
    await s.claim('old', 'o', 'fp', 1_000);
    await s.complete('old', 'o', response('x'.repeat(500)), 60_000);
    await s.claim('k', 'o', 'fp', 1_000);
    expect(await s.complete('k', 'o', response('y'.repeat(500)), 60_000)).toBe(true);
    const got = await s.claim('k', 'o2', 'fp', 1_000);
    expect(got).toMatchObject({ state: 'done', response: { omitted: false } });
    expect(s.stats()).toMatchObject({ records: 1, evicted: 1 });
  });
});
