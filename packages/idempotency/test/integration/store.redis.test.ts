// The Redis store's contract, script by script, on the shared test Redis (this file's own prefix;
// the store on a client of the kind RESIL_REDIS_CLIENT names, assertions through ioredis):
// what claim, complete, renew and release return and leave in Redis, owner checks, expiry, and
// the refusals (client not ready, command timeout, too few replicas).
import { CORE_ERROR_CODES } from '@resil/core';
import { untilReady, useRedis } from '@resil/testkit';
import type { Redis } from 'ioredis';
import { ERROR_CODES, isIdempotencyStoreError } from '../../src';
import { RedisStore, type StoredResponse } from '../../src/store';
import { fakeRedis, replyError } from '../helpers';

const r = useRedis('idempotency-store');
let seq = 0;
const key = () => `${r.prefix}{idem:${++seq}}`;

const response = (over: Partial<StoredResponse> = {}): StoredResponse => ({
  status: 201,
  headers: { 'content-type': 'application/json', vary: ['a', 'b'] },
  body: Buffer.from('{"id":1}\u0000\u00ff'),
  omitted: false,
  ...over,
});

const redisNow = async () => {
  const [sec, us] = await r.admin.time();
  return Number(sec) * 1000 + Math.floor(Number(us) / 1000);
};

describe('RedisStore', () => {
  it('claim: the first caller claims (a running hash with its lease as TTL); the next sees running, its fp and the lease left', async () => {
    const store = new RedisStore(r.redis, { timeoutMs: 2_000 });
    expect(store.kind).toBe('redis');
    const k = key();
    const leaseMs = 30_000; // long enough that no stall of the machine lets it expire mid-test
    // Redis's clock before the claim and after the read bound the expiry exactly (a loaded
    // machine that stalls between the calls cannot fail it).
    const before = await redisNow();
    expect(await store.claim(k, 'o1', 'fp1', leaseMs)).toEqual({ claimed: true });
    expect(await r.admin.hgetall(k)).toEqual({ state: 'running', owner: 'o1', fp: 'fp1' });
    const expiresAt = Number(await r.admin.call('PEXPIRETIME', k));
    const after = await redisNow();
    expect(expiresAt).toBeGreaterThanOrEqual(before + leaseMs);
    expect(expiresAt).toBeLessThanOrEqual(after + leaseMs);
    // The lease left is the key's PTTL when the second claim ran: between the expiry minus
    // Redis's clock after that claim and the expiry minus its clock before it.
    const beforeAgain = await redisNow();
    const again = await store.claim(k, 'o2', 'fp2', leaseMs);
    const afterAgain = await redisNow();
    expect(again).toMatchObject({ claimed: false, state: 'running', fp: 'fp1' });
    if (again.claimed || again.state !== 'running') throw new Error('unreachable');
    expect(again.leaseLeftMs).toBeGreaterThanOrEqual(expiresAt - afterAgain);
    expect(again.leaseLeftMs).toBeLessThanOrEqual(Math.min(leaseMs, expiresAt - beforeAgain));
    expect((await r.admin.hgetall(k)).owner).toBe('o1'); // the second claim changed nothing
  });

  it('complete: only the owner stores; the record is done with ttlMs and is replayed exactly (status, headers, binary body)', async () => {
    const store = new RedisStore(r.redis, { timeoutMs: 2_000 });
    const k = key();
    await store.claim(k, 'o1', 'fp', 5_000);
    expect(await store.complete(k, 'other', response(), 60_000)).toBe(false);
    expect((await r.admin.hget(k, 'state')) ?? '').toBe('running');
    expect(await store.complete(k, 'o1', response(), 60_000)).toBe(true);
    expect(await r.admin.hget(k, 'state')).toBe('done');
    expect(await r.admin.hget(k, 'omitted')).toBe('0');
    expect(await r.admin.pttl(k)).toBeGreaterThan(50_000);
    const replay = await store.claim(k, 'o2', 'fp', 5_000);
    expect(replay).toEqual({ claimed: false, state: 'done', fp: 'fp', response: response() });
    // a completed record is never renewed or released
    expect(await store.renew(k, 'o1', 1_000)).toBe(false);
    expect(await store.release(k, 'o1')).toBe(false);
    expect(await r.admin.pttl(k)).toBeGreaterThan(50_000);
  });

  it('complete: an omitted body and no headers are kept as such', async () => {
    const store = new RedisStore(r.redis, { timeoutMs: 2_000 });
    const k = key();
    await store.claim(k, 'o1', 'fp', 5_000);
    const omitted = response({ headers: {}, body: Buffer.alloc(0), omitted: true, status: 200 });
    expect(await store.complete(k, 'o1', omitted, 60_000)).toBe(true);
    expect(await store.claim(k, 'o2', 'fp', 5_000)).toEqual({
      claimed: false,
      state: 'done',
      fp: 'fp',
      response: omitted,
    });
  });

  it('renew: only the owner of a running claim extends its lease', async () => {
    const store = new RedisStore(r.redis, { timeoutMs: 2_000 });
    const k = key();
    // a 10 s lease: no stall of a loaded machine ends it before the renewal (1 s could)
    await store.claim(k, 'o1', 'fp', 10_000);
    expect(await store.renew(k, 'other', 60_000)).toBe(false);
    expect(await r.admin.pttl(k)).toBeLessThanOrEqual(10_000);
    expect(await store.renew(k, 'o1', 60_000)).toBe(true);
    expect(await r.admin.pttl(k)).toBeGreaterThan(50_000);
    expect(await store.renew(key(), 'o1', 60_000)).toBe(false); // no record
  });

  it('release: only the owner of a running claim deletes it; then the key can be claimed again', async () => {
    const store = new RedisStore(r.redis, { timeoutMs: 2_000 });
    const k = key();
    await store.claim(k, 'o1', 'fp', 5_000);
    expect(await store.release(k, 'other')).toBe(false);
    expect(await r.admin.exists(k)).toBe(1);
    expect(await store.release(k, 'o1')).toBe(true);
    expect(await r.admin.exists(k)).toBe(0);
    expect(await store.release(k, 'o1')).toBe(false);
    expect(await store.claim(k, 'o2', 'fp', 5_000)).toEqual({ claimed: true });
  });

  it('an expired claim is free again (Redis TTL is the truth)', async () => {
    const store = new RedisStore(r.redis, { timeoutMs: 2_000 });
    const k = key();
    await store.claim(k, 'o1', 'fp', 100);
    await r.admin.pexpire(k, 1); // expire it now rather than waiting for the lease
    let claimed = false;
    for (let i = 0; i < 100 && !claimed; i++)
      claimed = (await store.claim(k, 'o2', 'fp', 5_000)).claimed;
    expect(claimed).toBe(true);
  });

  it('refuses at once when the client is not connected (never queued)', async () => {
    const closed = r.client(); // of the kind RESIL_REDIS_CLIENT names
    await untilReady(closed);
    await r.kind.quit(closed);
    const store = new RedisStore(closed, { timeoutMs: 2_000 });
    await expect(store.claim(key(), 'o', 'fp', 1_000)).rejects.toMatchObject({
      code: CORE_ERROR_CODES.REDIS_UNAVAILABLE,
    });
  });

  it('a command slower than the timeout rejects with a timeout (never hangs)', async () => {
    const slow = fakeRedis({ claim: () => new Promise(() => {}) }).client as unknown as Redis;
    const store = new RedisStore(slow, { timeoutMs: 20 });
    await expect(store.claim('k', 'o', 'fp', 1_000)).rejects.toMatchObject({
      code: CORE_ERROR_CODES.REDIS_TIMEOUT,
    });
    // then the back-off: the next call fails at once, without a command
    const fake = fakeRedis({ claim: () => new Promise(() => {}) });
    const backingOff = new RedisStore(fake.client as never, { timeoutMs: 20, backoffMs: 60_000 });
    await expect(backingOff.claim('k', 'o', 'fp', 1_000)).rejects.toMatchObject({
      code: CORE_ERROR_CODES.REDIS_TIMEOUT,
    });
    await expect(backingOff.claim('k', 'o', 'fp', 1_000)).rejects.toMatchObject({
      code: CORE_ERROR_CODES.REDIS_UNAVAILABLE,
    });
    expect(fake.calls.claim).toHaveLength(1);
  });

  it('a second store on the same client shares the scripts (cached by Redis under their SHA)', async () => {
    const a = new RedisStore(r.redis, { timeoutMs: 2_000 });
    const b = new RedisStore(r.redis, { timeoutMs: 2_000 });
    const k = key();
    expect(await a.claim(k, 'o1', 'fp', 5_000)).toEqual({ claimed: true });
    expect(await b.claim(k, 'o2', 'fp', 5_000)).toMatchObject({ claimed: false });
  });

  it('waitForReplicas on a Redis without replicas: the claim is released and refused (NOT_REPLICATED); a completion stored but not acknowledged throws it too', async () => {
    const store = new RedisStore(r.redis, {
      timeoutMs: 2_000,
      waitForReplicas: { replicas: 1, timeoutMs: 20 },
    });
    const k = key();
    const err = await store.claim(k, 'o1', 'fp', 5_000).catch((e: unknown) => e);
    expect(isIdempotencyStoreError(err)).toBe(true);
    expect(err).toMatchObject({ code: ERROR_CODES.NOT_REPLICATED, name: 'IdempotencyStoreError' });
    expect(await r.admin.exists(k)).toBe(0); // released
    // a record already claimed elsewhere is answered as usual (no refusal needed)
    const plain = new RedisStore(r.redis, { timeoutMs: 2_000 });
    await plain.claim(k, 'o1', 'fp', 5_000);
    expect(await store.claim(k, 'o2', 'fp', 5_000)).toMatchObject({ claimed: false, fp: 'fp' });
    await expect(store.complete(k, 'o1', response(), 60_000)).rejects.toMatchObject({
      code: ERROR_CODES.NOT_REPLICATED,
    });
    expect(await r.admin.hget(k, 'state')).toBe('done'); // stored, just not acknowledged
    // the owner check still applies under WAIT
    expect(await store.complete(k, 'other', response(), 60_000)).toBe(false);
  });

  it('waitForReplicas with 0 acknowledgements needed passes (WAIT answers 0 >= 0)', async () => {
    const store = new RedisStore(r.redis, {
      timeoutMs: 2_000,
      waitForReplicas: { replicas: 0, timeoutMs: 20 },
    });
    const k = key();
    expect(await store.claim(k, 'o1', 'fp', 5_000)).toEqual({ claimed: true });
    expect(await store.complete(k, 'o1', response(), 60_000)).toBe(true);
  });
});

describe('RedisStore refusals (stub clients)', () => {
  /** A client whose scripts answer at once, in a given connection state. */
  const stub = (status: string, pipelineOut?: unknown) =>
    ({
      ...fakeRedis({ status }).client,
      pipeline: () => ({
        evalsha() {},
        wait() {},
        exec: async () => pipelineOut,
      }),
    }) as unknown as Redis;

  it.each(['ready', 'wait', 'connecting', 'connect'])(
    'runs commands while the client is %s',
    async (status) => {
      expect(await new RedisStore(stub(status), { timeoutMs: 1_000 }).renew('k', 'o', 1_000)).toBe(
        true,
      );
    },
  );

  it.each(['reconnecting', 'close', 'end'])(
    'refuses at once while the client is %s',
    async (status) => {
      await expect(
        new RedisStore(stub(status), { timeoutMs: 1_000 }).release('k', 'o'),
      ).rejects.toMatchObject({ code: CORE_ERROR_CODES.REDIS_UNAVAILABLE });
    },
  );

  it('waitForReplicas: an empty pipeline answer, or a failed script, is a store failure; a failed WAIT counts as no acknowledgement', async () => {
    const wait = { replicas: 1, timeoutMs: 10 };
    await expect(
      new RedisStore(stub('ready', null), { timeoutMs: 1_000, waitForReplicas: wait }).claim(
        'k',
        'o',
        'f',
        1,
      ),
    ).rejects.toMatchObject({ code: ERROR_CODES.NO_REPLY, name: 'IdempotencyStoreError' });
    const boom = new Error('script failed');
    await expect(
      new RedisStore(stub('ready', [[boom, null]]), {
        timeoutMs: 1_000,
        waitForReplicas: wait,
      }).claim('k', 'o', 'f', 1),
    ).rejects.toBe(boom);
    await expect(
      new RedisStore(
        stub('ready', [
          [null, ['claimed']],
          [new Error('no WAIT'), null],
        ]),
        { timeoutMs: 1_000, waitForReplicas: wait },
      ).claim('k', 'o', 'f', 1),
    ).rejects.toMatchObject({ code: ERROR_CODES.NOT_REPLICATED });
    expect(
      await new RedisStore(
        stub('ready', [
          [null, ['claimed']],
          [null, 1],
        ]),
        { timeoutMs: 1_000, waitForReplicas: wait },
      ).claim('k', 'o', 'f', 1),
    ).toEqual({ claimed: true });
    expect(
      await new RedisStore(
        stub('ready', [
          [null, 1],
          [null, 2],
        ]),
        { timeoutMs: 1_000, waitForReplicas: wait },
      ).complete('k', 'o', response(), 1_000),
    ).toBe(true);
  });
});

describe('RedisStore edge cases (stub clients)', () => {
  const wait = { replicas: 1, timeoutMs: 200 };
  const client = (over: Record<string, unknown>, replies: Parameters<typeof fakeRedis>[0] = {}) =>
    ({ ...fakeRedis(replies).client, ...over }) as unknown as Redis;

  it('waitForReplicas: the refusals carry their documented messages; a failed release does not replace the refusal', async () => {
    const refused = client(
      {
        pipeline: () => ({
          evalsha() {},
          wait() {},
          exec: async () => [[null, ['claimed']]], // no WAIT answer at all: no acknowledgement
        }),
      },
      { release: replyError('ERR release failed') },
    );
    const store = new RedisStore(refused, { timeoutMs: 1_000, waitForReplicas: wait });
    await expect(store.claim('k', 'o', 'f', 1)).rejects.toThrow(
      new Error('idempotency: fewer replicas than waitForReplicas.replicas acknowledged the claim'),
    );
    const completing = new RedisStore(
      client({
        pipeline: () => ({
          evalsha() {},
          wait() {},
          exec: async () => [
            [null, 1],
            [null, 0],
          ],
        }),
      }),
      { timeoutMs: 1_000, waitForReplicas: wait },
    );
    await expect(completing.complete('k', 'o', response(), 1_000)).rejects.toThrow(
      new Error(
        'idempotency: fewer replicas than waitForReplicas.replicas acknowledged the completion',
      ),
    );
  });

  it('waitForReplicas: the time allowed is commandTimeoutMs plus the WAIT timeout', async () => {
    let answer: (v: unknown) => void = () => {};
    const slow = client({
      pipeline: () => ({
        evalsha() {},
        wait() {},
        exec: () =>
          new Promise((resolve) => {
            answer = resolve;
          }),
      }),
    });
    jest.useFakeTimers();
    try {
      const store = new RedisStore(slow, { timeoutMs: 100, waitForReplicas: wait }); // 100 + 200 ms
      const result = store.claim('k', 'o', 'f', 1);
      await jest.advanceTimersByTimeAsync(250); // past 100 - 200 and past 100, not past 300
      answer([
        [null, ['claimed']],
        [null, 1],
      ]);
      await expect(result).resolves.toEqual({ claimed: true });
      const late = store.claim('k', 'o', 'f', 1);
      const settled = expect(late).rejects.toMatchObject({ code: CORE_ERROR_CODES.REDIS_TIMEOUT });
      await jest.advanceTimersByTimeAsync(300);
      await settled;
    } finally {
      jest.useRealTimers();
    }
  });

  it('waitForReplicas: NOSCRIPT in the pipeline (a restarted Redis) re-sends the script whole with EVAL, WAIT again after it', async () => {
    const sent: string[][] = [];
    let execs = 0;
    const noscript = client({
      pipeline: () => {
        const ops: string[] = [];
        sent.push(ops);
        return {
          evalsha: () => ops.push('evalsha'),
          eval: () => ops.push('eval'),
          wait: () => ops.push('wait'),
          exec: async () =>
            ++execs === 1
              ? [
                  [replyError('NOSCRIPT No matching script.'), null],
                  [null, 1],
                ]
              : [
                  [null, ['claimed']],
                  [null, 1],
                ],
        };
      },
    });
    const store = new RedisStore(noscript, { timeoutMs: 1_000, waitForReplicas: wait });
    expect(await store.claim('k', 'o', 'f', 1)).toEqual({ claimed: true });
    expect(sent).toEqual([
      ['evalsha', 'wait'],
      ['eval', 'wait'],
    ]);
  });

  it('a done record with fields missing reads as empty fingerprint, headers and body', async () => {
    const store = new RedisStore(fakeRedis({ claim: ['done'] }).client as never, {
      timeoutMs: 1_000,
    });
    expect(await store.claim('k', 'o', 'f', 1)).toEqual({
      claimed: false,
      state: 'done',
      fp: '',
      response: { status: Number.NaN, headers: {}, body: Buffer.alloc(0), omitted: false },
    });
    const running = new RedisStore(fakeRedis({ claim: ['running'] }).client as never, {
      timeoutMs: 1_000,
    });
    expect(await running.claim('k', 'o', 'f', 1)).toMatchObject({ state: 'running', fp: '' });
  });
});

describe('middleware on the shared Redis', () => {
  it('default lease (30 s) while the handler runs and ttlMs (24 h) once done, under keyPrefix; close() closes a client made from a URL', async () => {
    const express = (await import('express')).default;
    const request = (await import('supertest')).default;
    const { idempotency } = await import('../../src');
    const keyPrefix = `${r.prefix}mw:`;
    const mw = idempotency({ redis: r.url, keyPrefix, logger: false });
    const app = express();
    app.use(express.json());
    app.use(mw);
    const ttls: number[] = [];
    app.post('/h', async (_req, res) => {
      const [k] = await r.admin.keys(`${keyPrefix}*`);
      ttls.push(await r.admin.pttl(k as string));
      res.status(201).json({ ok: true });
    });
    const first = await request(app).post('/h').set('Idempotency-Key', 'ttl').send({});
    expect(first.status).toBe(201);
    const keys = await r.admin.keys(`${keyPrefix}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      new RegExp(`^${keyPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\{idem:[0-9a-f]{64}\\}$`),
    );
    expect(ttls[0]).toBeGreaterThan(20_000);
    expect(ttls[0]).toBeLessThanOrEqual(30_000);
    let ttl = -1;
    for (let i = 0; i < 200 && ttl < 0; i++)
      ttl = await r.admin.pttl(keys[0] as string).then((t) => (t > 30_000 ? t : -1)); // the record is written right after the answer
    expect(ttl).toBeGreaterThan(86_000_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
    await mw.close();
    const after = await request(app).post('/h').set('Idempotency-Key', 'ttl2').send({});
    expect(after.status).toBe(503); // its client is closed
  });
});
