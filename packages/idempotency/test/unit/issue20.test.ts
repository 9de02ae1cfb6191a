// #20 options on the memory store: header, fingerprint, store (any IdempotencyStore, never closed
// by us), encryptionKey validation and its keyed hashes, and makeIdempotent's contract.
import request from 'supertest';
import {
  type ClaimResult,
  ERROR_CODES,
  type IdempotencyStore,
  idempotency,
  MemoryStore,
  makeIdempotent,
  type StoredResponse,
} from '../../src';
import { Keyring, sha256Hasher } from '../../src/crypto';
import { appWith, deferred, post } from '../helpers';

/** A store written from the interface alone, around a Map-less memory store, counting calls. */
function countingStore() {
  const inner = new MemoryStore();
  const calls: string[] = [];
  let closed = 0;
  const store: IdempotencyStore = {
    kind: 'mine',
    claim(k, o, fp, l): Promise<ClaimResult> {
      calls.push('claim');
      return inner.claim(k, o, fp, l);
    },
    complete(k, o, r: StoredResponse, t) {
      calls.push('complete');
      return inner.complete(k, o, r, t);
    },
    renew: (k, o, l) => inner.renew(k, o, l),
    release(k, o) {
      calls.push('release');
      return inner.release(k, o);
    },
    async close() {
      closed++;
    },
  };
  return { store, calls, closed: () => closed };
}

describe('header', () => {
  it('reads the key from the configured header (any case); the default header is then ignored', async () => {
    const { app, runs } = appWith({ header: 'X-Request-Key' });
    const a = await request(app).post('/h').set('x-request-key', 'k1').send({});
    const b = await request(app).post('/h').set('X-REQUEST-KEY', 'k1').send({});
    expect(a.status).toBe(201);
    expect(b.headers['idempotent-replayed']).toBe('true');
    const missing = await post(app, 'k1');
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toBe('POST requests need an X-Request-Key header.');
    expect(runs.n).toBe(1);
  });

  it.each([[''], ['bad header'], ['a:b'], [7]])('refuses %p with an error naming header', (h) => {
    expect(() => idempotency({ header: h as string })).toThrow(/header/);
  });
});

describe('fingerprint', () => {
  it('replaces the body in the fingerprint: an ignored field does not make a mismatch, a kept one does', async () => {
    const { app, runs } = appWith({
      fingerprint: (req) => ({ amount: (req.body as { amount?: unknown }).amount }),
    });
    expect((await post(app, 'k', { amount: 5, sentAt: 1 })).status).toBe(201);
    const same = await post(app, 'k', { amount: 5, sentAt: 2 });
    expect(same.headers['idempotent-replayed']).toBe('true');
    expect((await post(app, 'k', { amount: 6, sentAt: 1 })).status).toBe(422);
    expect(runs.n).toBe(1);
  });

  it('the method and path stay in the fingerprint', async () => {
    const { app } = appWith({ fingerprint: () => 'same' });
    await post(app, 'k');
    expect((await request(app).patch('/h').set('Idempotency-Key', 'k').send({})).status).toBe(422);
  });

  it('a throwing fingerprint goes to the error handler; nothing is claimed', async () => {
    const { app, runs } = appWith({
      fingerprint: () => {
        throw new Error('nope');
      },
    });
    expect((await post(app, 'k')).status).toBe(500);
    expect(runs.n).toBe(0);
  });

  it('must be a function', () => {
    expect(() => idempotency({ fingerprint: 'x' as never })).toThrow(
      new TypeError('idempotency: fingerprint must be a function'),
    );
  });
});

describe('store', () => {
  it('uses any IdempotencyStore, and close() leaves it open (it stays yours)', async () => {
    const mine = countingStore();
    const { app, runs, mw } = appWith({ store: mine.store });
    await post(app, 'k');
    await post(app, 'k');
    expect(runs.n).toBe(1);
    expect(mine.calls).toEqual(['claim', 'complete', 'claim']);
    await mw.close();
    expect(mine.closed()).toBe(0);
  });

  it('an encrypted custom store sees only sealed responses', async () => {
    const seen: StoredResponse[] = [];
    const inner = new MemoryStore();
    const store: IdempotencyStore = {
      claim: (k, o, f, l) => inner.claim(k, o, f, l),
      complete: (k, o, r, t) => {
        seen.push(r);
        return inner.complete(k, o, r, t);
      },
      renew: (k, o, l) => inner.renew(k, o, l),
      release: (k, o) => inner.release(k, o),
      close: () => inner.close(),
    };
    const { app } = appWith({ store, encryptionKey: Buffer.alloc(32, 1) });
    const first = await post(app, 'k', { name: 'Ada' });
    const again = await post(app, 'k', { name: 'Ada' });
    expect(again.body).toEqual(first.body);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.status).toBe(0);
    expect(seen[0]?.headers).toEqual({});
    expect(seen[0]?.body.toString('latin1')).not.toContain('run');
  });

  it.each([
    [null, /store must implement IdempotencyStore/],
    [{}, /store.claim must be a function/],
    [{ claim() {}, complete() {}, renew() {}, release() {} }, /store.close must be a function/],
  ])('refuses %p', (store, msg) => {
    expect(() => idempotency({ store: store as never })).toThrow(msg);
  });

  it.each([
    ['redis', 'redis://127.0.0.1:1'],
    ['memoryMaxRecords', 10],
    ['memoryMaxBytes', 4096],
    ['commandTimeoutMs', 10],
    ['redisBackoffMs', 10],
  ])('refuses %s together with store', (name, value) => {
    expect(() => idempotency({ store: new MemoryStore(), [name]: value })).toThrow(
      new TypeError(`idempotency: ${name} does not apply with store (configure your store)`),
    );
  });
});

describe('encryptionKey', () => {
  it.each([
    ['a string', 'k'.repeat(32), TypeError],
    ['an empty list', [], TypeError],
    ['31 bytes', Buffer.alloc(31), RangeError],
    ['an entry of 33 bytes', [{ id: 'a', key: Buffer.alloc(33) }], RangeError],
    ['a bad id', [{ id: 'a b', key: Buffer.alloc(32) }], TypeError],
    ['an entry without key', [{ id: 'a' }], TypeError],
    [
      'duplicate ids',
      [
        { id: 'a', key: Buffer.alloc(32) },
        { id: 'a', key: Buffer.alloc(32, 1) },
      ],
      TypeError,
    ],
  ])('refuses %s', (_what, key, type) => {
    expect(() => idempotency({ encryptionKey: key as never })).toThrow(type);
    expect(() => idempotency({ encryptionKey: key as never })).toThrow(/encryptionKey/);
  });

  it('hashes with HMAC keyed by the last key: same for [k] and [new, k], different from SHA-256 and from another key', () => {
    const k = Buffer.alloc(32, 5);
    const one = new Keyring(k);
    const rotated = new Keyring([
      { id: 'new', key: Buffer.alloc(32, 6) },
      { id: 'default', key: k },
    ]);
    const other = new Keyring(Buffer.alloc(32, 6));
    expect(one.hash('x')).toBe(rotated.hash('x'));
    expect(one.hash('x')).not.toBe(other.hash('x'));
    expect(one.hash('x')).not.toBe(sha256Hasher.hash('x'));
    expect(one.hash('x')).toHaveLength(64);
    expect(one.hash('x', 16)).toBe(one.hash('x').slice(0, 16));
    expect(rotated.encryptingKeyId).toBe('new');
  });

  it('seal: a fresh IV each time; open refuses other AAD, a truncated or foreign envelope with DECRYPT_FAILED', () => {
    const k = new Keyring(Buffer.alloc(32, 5));
    const a = k.seal('key', Buffer.from('patient'));
    const b = k.seal('key', Buffer.from('patient'));
    expect(a.equals(b)).toBe(false);
    expect(k.open('key', a).toString()).toBe('patient');
    for (const bad of [
      () => k.open('other', a),
      () => k.open('key', a.subarray(0, 20)),
      () => k.open('key', Buffer.from('{"plain":true}')),
      () => k.open('key', Buffer.alloc(0)),
    ])
      expect(bad).toThrow(expect.objectContaining({ code: ERROR_CODES.DECRYPT_FAILED }));
    const stranger = new Keyring([{ id: 'zz', key: Buffer.alloc(32, 5) }]);
    expect(() => stranger.open('key', a)).toThrow(
      expect.objectContaining({ code: ERROR_CODES.UNKNOWN_KEY_ID }),
    );
  });
});

describe('makeIdempotent (memory store)', () => {
  it('runs once per key and returns the stored result (JSON) to repeats; other keys run', async () => {
    let runs = 0;
    const fn = makeIdempotent(
      async (m: { id: string; n: number }) => ({ run: ++runs, n: m.n, at: new Date(0) }),
      { key: (m) => m.id },
    );
    const first = await fn({ id: 'a', n: 1 });
    expect(first).toEqual({ run: 1, n: 1, at: new Date(0) });
    expect(await fn({ id: 'a', n: 1 })).toEqual({ run: 1, n: 1, at: new Date(0).toJSON() });
    expect(await fn({ id: 'b', n: 1 })).toMatchObject({ run: 2 });
    expect(runs).toBe(2);
    await fn.close();
  });

  it('undefined results replay as undefined', async () => {
    let runs = 0;
    const fn = makeIdempotent(
      async () => {
        runs++;
      },
      { key: () => 'k' },
    );
    expect(await fn()).toBeUndefined();
    expect(await fn()).toBeUndefined();
    expect(runs).toBe(1);
  });

  it('other arguments under the same key: RESIL_IDEMPOTENCY_MISMATCH; fingerprint narrows or disables the check', async () => {
    const fn = makeIdempotent(async (m: { id: string; n: number }) => m.n, { key: (m) => m.id });
    await fn({ id: 'a', n: 1 });
    await expect(fn({ id: 'a', n: 2 })).rejects.toMatchObject({
      code: ERROR_CODES.MISMATCH,
      name: 'IdempotencyError',
    });
    const loose = makeIdempotent(async (m: { id: string; n: number }) => m.n, {
      key: (m) => m.id,
      fingerprint: false,
    });
    await loose({ id: 'a', n: 1 });
    expect(await loose({ id: 'a', n: 2 })).toBe(1);
    const narrow = makeIdempotent(async (m: { id: string; n: number; at: number }) => m.n, {
      key: (m) => m.id,
      fingerprint: (m) => m.n,
    });
    await narrow({ id: 'a', n: 1, at: 1 });
    expect(await narrow({ id: 'a', n: 1, at: 2 })).toBe(1);
    await expect(narrow({ id: 'a', n: 3, at: 1 })).rejects.toMatchObject({
      code: ERROR_CODES.MISMATCH,
    });
  });

  it('a throwing function releases the key: the error is rethrown and a retry runs again', async () => {
    let runs = 0;
    const fn = makeIdempotent(
      async () => {
        runs++;
        if (runs === 1) throw new Error('transient');
        return 'ok';
      },
      { key: () => 'k' },
    );
    await expect(fn()).rejects.toThrow('transient');
    expect(await fn()).toBe('ok');
    expect(await fn()).toBe('ok');
    expect(runs).toBe(2);
  });

  it("a concurrent call: 'wait' (default) gets the result, 'reject' a typed RESIL_IDEMPOTENCY_IN_PROGRESS", async () => {
    const gate = deferred();
    let runs = 0;
    const store = new MemoryStore();
    const make = (onConcurrent: 'wait' | 'reject') =>
      makeIdempotent(
        async () => {
          runs++;
          await gate.promise;
          return runs;
        },
        { key: () => 'k', store, onConcurrent },
      );
    const waiting = make('wait');
    const rejecting = make('reject');
    const first = waiting();
    const second = waiting();
    await expect(rejecting()).rejects.toMatchObject({ code: ERROR_CODES.IN_PROGRESS });
    gate.resolve();
    expect(await first).toBe(1);
    expect(await second).toBe(1);
    expect(await rejecting()).toBe(1);
    expect(runs).toBe(1);
  });

  it("'wait' gives up after waitTimeoutMs with RESIL_IDEMPOTENCY_IN_PROGRESS", async () => {
    const gate = deferred();
    const store = new MemoryStore();
    const fn = makeIdempotent(() => gate.promise, { key: () => 'k', store, waitTimeoutMs: 0 });
    const first = fn();
    await expect(fn()).rejects.toMatchObject({ code: ERROR_CODES.IN_PROGRESS });
    gate.resolve();
    await first;
  });

  it('a result larger than maxResultBytes is returned once, then RESIL_IDEMPOTENCY_NOT_REPLAYABLE (never run again)', async () => {
    let runs = 0;
    const fn = makeIdempotent(async () => ({ big: 'x'.repeat(100), run: ++runs }), {
      key: () => 'k',
      maxResultBytes: 50,
    });
    expect((await fn()).run).toBe(1);
    await expect(fn()).rejects.toMatchObject({ code: ERROR_CODES.NOT_REPLAYABLE });
    expect(runs).toBe(1);
  });

  it('encrypted: the stored record is sealed and still replays', async () => {
    const seen: StoredResponse[] = [];
    const inner = new MemoryStore();
    const store: IdempotencyStore = {
      claim: (k, o, f, l) => inner.claim(k, o, f, l),
      complete: (k, o, r, t) => {
        seen.push(r);
        return inner.complete(k, o, r, t);
      },
      renew: (k, o, l) => inner.renew(k, o, l),
      release: (k, o) => inner.release(k, o),
      close: () => inner.close(),
    };
    const fn = makeIdempotent(async () => ({ patient: 'Ada Lovelace' }), {
      key: () => 'k',
      store,
      encryptionKey: Buffer.alloc(32, 3),
    });
    await fn();
    expect(await fn()).toEqual({ patient: 'Ada Lovelace' });
    expect(seen[0]?.body.toString('latin1')).not.toContain('Ada');
  });

  it('validates its options and the key', async () => {
    expect(() => makeIdempotent('x' as never, { key: () => 'k' })).toThrow(
      new TypeError('makeIdempotent: fn must be a function'),
    );
    expect(() => makeIdempotent(async () => 1, {} as never)).toThrow(
      new TypeError('makeIdempotent: key must be a function'),
    );
    expect(() => makeIdempotent(async () => 1, { key: () => 'k', bogus: 1 } as never)).toThrow(
      /bogus/,
    );
    expect(() => makeIdempotent(async () => 1, { key: () => 'k', leaseMs: 99 })).toThrow(
      RangeError,
    );
    expect(() =>
      makeIdempotent(async () => 1, { key: () => 'k', onConcurrent: 'x' as never }),
    ).toThrow(/onConcurrent/);
    const fn = makeIdempotent(async () => 1, { key: () => '' });
    await expect(fn()).rejects.toThrow(
      new TypeError('makeIdempotent: key() must return a non-empty string'),
    );
  });
});
