// Issue #16.6: the memory store is bounded (records and bytes); what happens at the bound.
import express from 'express';
import request from 'supertest';
import { type IdempotencyOptions, idempotency, PROBLEM_TYPES } from '../../src';
import { MemoryStore, type StoredResponse } from '../../src/store';

const response = (bytes: number): StoredResponse => ({
  status: 201,
  headers: { 'content-type': 'text/plain' },
  body: Buffer.alloc(bytes, 120),
  omitted: false,
});

describe('MemoryStore bounds', () => {
  it('#16.6 holds at most maxRecords and maxBytes, by default 10000 records, under any number of keys', async () => {
    const store = new MemoryStore();
    let claimed = 0;
    for (let i = 0; i < 12_000; i++) {
      if ((await store.claim(`k${i}`, 'o', 'fp', 60_000)).claimed) claimed++;
      await store.complete(`k${i}`, 'o', response(10), 60_000);
    }
    expect(claimed).toBe(12_000);
    expect(store.stats().records).toBe(10_000);
    expect(store.stats().evicted).toBe(2_000);

    const small = new MemoryStore({ maxRecords: 1_000, maxBytes: 50_000 });
    let most = 0;
    for (let i = 0; i < 500; i++) {
      await small.claim(`k${i}`, 'o', 'fp', 60_000);
      await small.complete(`k${i}`, 'o', response(900), 60_000);
      most = Math.max(most, small.stats().bytes);
    }
    expect(most).toBeLessThanOrEqual(50_000);
    expect(small.stats().records).toBeLessThan(60);
  });

  it('drops the oldest completed record first, never an in-progress claim; refuses a claim when only claims are left', async () => {
    const store = new MemoryStore({ maxRecords: 3, maxBytes: 1_000_000 });
    await store.claim('running', 'o', 'fp', 60_000);
    for (const k of ['a', 'b']) {
      await store.claim(k, 'o', 'fp', 60_000);
      await store.complete(k, 'o', response(1), 60_000);
    }
    await store.claim('c', 'o', 'fp', 60_000); // drops 'a', the oldest completed
    expect(await store.claim('a', 'o2', 'fp', 60_000)).toEqual({ claimed: true }); // drops 'b'
    const still = await store.claim('running', 'o2', 'fp', 60_000);
    expect(still).toMatchObject({ claimed: false, state: 'running' });
    await expect(store.claim('d', 'o', 'fp', 60_000)).rejects.toMatchObject({
      name: 'IdempotencyStoreError',
      code: 'RESIL_IDEMPOTENCY_STORE_FULL',
    });
    expect(store.stats()).toMatchObject({ records: 3, evicted: 2 });
  });

  it('keeps a response that cannot fit without its body (a repeat is told it was not kept)', async () => {
    const store = new MemoryStore({ maxRecords: 10, maxBytes: 2_000 });
    await store.claim('big', 'o', 'fp', 60_000);
    expect(await store.complete('big', 'o', response(5_000), 60_000)).toBe(true);
    const again = await store.claim('big', 'o2', 'fp', 60_000);
    expect(again).toMatchObject({
      claimed: false,
      state: 'done',
      response: { status: 201, omitted: true },
    });
    expect(store.stats().bytes).toBeLessThanOrEqual(2_000);
  });
});

describe('idempotency with a bounded memory store', () => {
  function makeApp(options: IdempotencyOptions) {
    let runs = 0;
    const gates: Array<() => void> = [];
    const app = express();
    app.use(express.json());
    app.use(idempotency({ logger: false, ...options }));
    app.post('/h', async (req, res) => {
      runs++;
      if (req.body.hold) {
        await new Promise<void>((r) => gates.push(r));
      }
      res.status(201).send('x'.repeat(req.body.size ?? 10));
    });
    return {
      app,
      runs: () => runs,
      release: () => {
        for (const g of gates.splice(0)) g();
      },
      gates,
    };
  }

  it('at memoryMaxRecords, the oldest completed key is forgotten (its repeat runs again); the newer ones still replay', async () => {
    const t = makeApp({ memoryMaxRecords: 2 });
    const send = (key: string) => request(t.app).post('/h').set('Idempotency-Key', key).send({});
    for (const k of ['a', 'b', 'c']) expect((await send(k)).status).toBe(201);
    expect((await send('c')).headers['idempotent-replayed']).toBe('true');
    expect((await send('b')).headers['idempotent-replayed']).toBe('true');
    expect(t.runs()).toBe(3);
    expect((await send('a')).headers['idempotent-replayed']).toBeUndefined(); // forgotten
    expect(t.runs()).toBe(4);
  });

  it('full of requests in progress: a new key gets 503 problem+json (onStoreError deny), a repeat of a running key still 409', async () => {
    const t = makeApp({ memoryMaxRecords: 2 });
    const hold = (key: string) =>
      request(t.app)
        .post('/h')
        .set('Idempotency-Key', key)
        .send({ hold: true })
        .then((r) => r);
    const h1 = hold('r1');
    const h2 = hold('r2');
    while (t.gates.length < 2) await new Promise((r) => setImmediate(r));
    const full = await request(t.app).post('/h').set('Idempotency-Key', 'r3').send({});
    expect(full.status).toBe(503);
    expect(full.headers['retry-after']).toBe('1');
    expect(JSON.parse(full.text).type).toBe(PROBLEM_TYPES.STORE_UNAVAILABLE);
    const busy = await request(t.app).post('/h').set('Idempotency-Key', 'r1').send({ hold: true });
    expect(busy.status).toBe(409);
    t.release();
    expect((await h1).status).toBe(201);
    expect((await h2).status).toBe(201);
    expect(t.runs()).toBe(2);
  });

  it('rejects bad bounds, and bounds given with redis, naming the option', () => {
    expect(() => idempotency({ memoryMaxRecords: 0 })).toThrow(/memoryMaxRecords/);
    expect(() => idempotency({ memoryMaxBytes: 10 })).toThrow(/memoryMaxBytes/);
    expect(() => idempotency({ memoryMaxBytes: 1.5 as never })).toThrow(RangeError);
    expect(() => idempotency({ redis: 'redis://127.0.0.1:1', memoryMaxRecords: 5 })).toThrow(
      TypeError,
    );
  });
});
