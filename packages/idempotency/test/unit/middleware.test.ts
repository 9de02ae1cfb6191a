import express from 'express';
import request from 'supertest';
import {
  canonicalJson,
  type IdempotencyOptions,
  idempotency,
  idempotencyKeyFor,
  markExecuted,
  PROBLEM_TYPES,
  parseIdempotencyKey,
} from '../../src';
import { deferred } from '../helpers';

function makeApp(options: IdempotencyOptions = {}, handler?: express.RequestHandler) {
  const calls: unknown[] = [];
  const app = express();
  app.use(express.json());
  app.use(idempotency({ logger: false, ...options }));
  app.post(
    '/hospitals',
    handler ??
      ((req, res) => {
        calls.push(req.body);
        res.setHeader('Set-Cookie', 'session=abc');
        res.setHeader('Location', `/hospitals/${calls.length}`);
        res.setHeader('X-Upstream-Key', idempotencyKeyFor(req) ?? '');
        res.status(201).json({ id: calls.length, name: req.body.name });
      }),
  );
  app.get('/hospitals', (_req, res) => {
    res.json([]);
  });
  return { app, calls };
}

describe('idempotency (memory store)', () => {
  it('runs the first request, replays the repeat with the same status, body and headers (less the deny-list)', async () => {
    const { app, calls } = makeApp();
    const first = await request(app)
      .post('/hospitals')
      .set('Idempotency-Key', 'k1')
      .send({ name: "O'Brien Clinic" });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await request(app)
      .post('/hospitals')
      .set('Idempotency-Key', 'k1')
      .send({ name: "O'Brien Clinic" });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it('the same payload with keys in another order is the same request; another payload is 422', async () => {
    const { app, calls } = makeApp();
    await request(app)
      .post('/hospitals')
      .set('Idempotency-Key', 'k2')
      .send({ name: 'A', city: 'B' });
    const reordered = await request(app)
      .post('/hospitals')
      .set('Idempotency-Key', 'k2')
      .send({ city: 'B', name: 'A' });
    expect(reordered.status).toBe(201);
    expect(reordered.headers['idempotent-replayed']).toBe('true');
    const other = await request(app)
      .post('/hospitals')
      .set('Idempotency-Key', 'k2')
      .send({ name: 'C' });
    expect(other.status).toBe(422);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(other.text).type).toBe(PROBLEM_TYPES.MISMATCH);
    expect(other.text).not.toContain('"C"'); // never echoes the input
    expect(calls).toHaveLength(1);
  });

  it('missing key → 400, malformed key → 400, GET untouched, quoted form equals the bare token', async () => {
    const { app, calls } = makeApp();
    const missing = await request(app).post('/hospitals').send({ name: 'A' });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text).type).toBe(PROBLEM_TYPES.MISSING_KEY);
    for (const bad of ['', 'a'.repeat(256), 'has space', '"unterminated', 'caf\u00e9'])
      expect(
        (await request(app).post('/hospitals').set('Idempotency-Key', bad).send({})).status,
      ).toBe(400);
    expect((await request(app).get('/hospitals')).status).toBe(200);
    await request(app).post('/hospitals').set('Idempotency-Key', 'tok-1').send({ name: 'Q' });
    const quoted = await request(app)
      .post('/hospitals')
      .set('Idempotency-Key', '"tok-1"')
      .send({ name: 'Q' });
    expect(quoted.headers['idempotent-replayed']).toBe('true');
    expect(calls).toHaveLength(1);
  });

  it('a repeat while the first runs: 409 with Retry-After (reject), or the replay (wait)', async () => {
    for (const mode of ['reject', 'wait'] as const) {
      const { promise: gate, resolve: release } = deferred();
      const { promise: inHandler, resolve: entered } = deferred();
      let runs = 0;
      const { app } = makeApp({ onConcurrent: mode }, async (_req, res) => {
        runs++;
        entered();
        await gate;
        res.status(201).json({ run: runs });
      });
      const first = request(app)
        .post('/hospitals')
        .set('Idempotency-Key', 'busy')
        .send({ a: 1 })
        .then((r) => r);
      await inHandler; // the first request holds the key
      const secondP = request(app)
        .post('/hospitals')
        .set('Idempotency-Key', 'busy')
        .send({ a: 1 })
        .then((r) => r);
      if (mode === 'reject') {
        const second = await secondP;
        expect(second.status).toBe(409);
        expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(JSON.parse(second.text).type).toBe(PROBLEM_TYPES.IN_PROGRESS);
        release();
        expect((await first).status).toBe(201);
      } else {
        // the second request polls while the first still runs, then gets its response
        setTimeout(release, 100);
        const [a, b] = await Promise.all([first, secondP]);
        expect(a.status).toBe(201);
        expect(b.status).toBe(201);
        expect(b.body).toEqual(a.body);
        expect(b.headers['idempotent-replayed']).toBe('true');
      }
      expect(runs).toBe(1);
    }
  });

  it('a 5xx releases the key (the retry runs); a 4xx is stored and replayed when the handler marked the request executed', async () => {
    let status = 503;
    let runs = 0;
    const { app } = makeApp({}, (req, res) => {
      runs++;
      markExecuted(req);
      res.status(status).json({ runs });
    });
    expect(
      (await request(app).post('/hospitals').set('Idempotency-Key', 'e1').send({})).status,
    ).toBe(503);
    status = 201;
    expect(
      (await request(app).post('/hospitals').set('Idempotency-Key', 'e1').send({})).status,
    ).toBe(201);
    expect(runs).toBe(2);
    status = 404;
    expect(
      (await request(app).post('/hospitals').set('Idempotency-Key', 'e2').send({})).status,
    ).toBe(404);
    const replay = await request(app).post('/hospitals').set('Idempotency-Key', 'e2').send({});
    expect(replay.status).toBe(404);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(runs).toBe(3);
  });

  it('a 3xx is an execution: stored and replayed without a mark (POST-redirect-GET)', async () => {
    let runs = 0;
    const { app } = makeApp({}, (_req, res) => {
      runs++;
      res.redirect(303, `/hospitals/${runs}`);
    });
    const first = await request(app).post('/hospitals').set('Idempotency-Key', 'r1').send({});
    const again = await request(app).post('/hospitals').set('Idempotency-Key', 'r1').send({});
    expect(first.status).toBe(303);
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/hospitals/1');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(runs).toBe(1);
  });

  it('a storeStatus that throws stores nothing: the answer goes out, the key is released', async () => {
    let runs = 0;
    const { app } = makeApp(
      {
        storeStatus: () => {
          throw new Error('bad classifier');
        },
      },
      (_req, res) => {
        runs++;
        res.status(201).json({ runs });
      },
    );
    for (const expected of [1, 2]) {
      const r = await request(app).post('/hospitals').set('Idempotency-Key', 'sx').send({});
      expect(r.status).toBe(201);
      expect(r.body).toEqual({ runs: expected });
    }
  });

  it('excludeHeaders keeps a header out of the replay; storeStatus decides what is stored', async () => {
    const { app } = makeApp({ excludeHeaders: ['Location'] });
    await request(app).post('/hospitals').set('Idempotency-Key', 'x1').send({ name: 'A' });
    const replay = await request(app)
      .post('/hospitals')
      .set('Idempotency-Key', 'x1')
      .send({ name: 'A' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers.location).toBeUndefined();
    expect(replay.headers['x-upstream-key']).toBeDefined();

    let runs = 0;
    const onlyCreated = makeApp({ storeStatus: (s) => s === 201 }, (req, res) => {
      runs++;
      markExecuted(req); // a 409 the handler decided, kept out by storeStatus alone
      res.status(runs === 1 ? 409 : 201).json({ runs });
    });
    expect(
      (await request(onlyCreated.app).post('/hospitals').set('Idempotency-Key', 'x2').send({}))
        .status,
    ).toBe(409);
    expect(
      (await request(onlyCreated.app).post('/hospitals').set('Idempotency-Key', 'x2').send({}))
        .status,
    ).toBe(201); // the 409 was not stored
    const third = await request(onlyCreated.app)
      .post('/hospitals')
      .set('Idempotency-Key', 'x2')
      .send({});
    expect(third.headers['idempotent-replayed']).toBe('true');
    expect(runs).toBe(2);
  });

  it('scopes: the same key from two clients runs twice and never crosses over', async () => {
    const { app, calls } = makeApp({ scope: (req) => req.get('X-Client') });
    const a = await request(app)
      .post('/hospitals')
      .set('X-Client', 'a')
      .set('Idempotency-Key', 'same')
      .send({ name: 'A' });
    const b = await request(app)
      .post('/hospitals')
      .set('X-Client', 'b')
      .set('Idempotency-Key', 'same')
      .send({ name: 'B' });
    expect(a.body.name).toBe('A');
    expect(b.body.name).toBe('B');
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(calls).toHaveLength(2);
    expect(a.headers['x-upstream-key']).toMatch(/^[0-9a-f]{32}$/);
    expect(a.headers['x-upstream-key']).not.toBe(b.headers['x-upstream-key']);
  });

  it('a response larger than maxBodyBytes is not kept: the repeat gets 409 and the handler does not run again', async () => {
    let runs = 0;
    const { app } = makeApp({ maxBodyBytes: 100 }, (_req, res) => {
      runs++;
      res.status(201).send('x'.repeat(1000));
    });
    expect(
      (await request(app).post('/hospitals').set('Idempotency-Key', 'big').send({})).text,
    ).toHaveLength(1000);
    const again = await request(app).post('/hospitals').set('Idempotency-Key', 'big').send({});
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text).type).toBe(PROBLEM_TYPES.NOT_REPLAYABLE);
    expect(runs).toBe(1);
  });

  it('helpers: canonical JSON and key parsing', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
    expect(parseIdempotencyKey('"a\\"b"')).toBe('a"b');
    expect(parseIdempotencyKey('abc')).toBe('abc');
    expect(parseIdempotencyKey('a\u0000b')).toBeUndefined();
  });

  it('rejects bad options naming the option', () => {
    expect(() => idempotency({ leaseMs: 5 })).toThrow(/leaseMs/);
    expect(() => idempotency({ onConcurrent: 'queue' as never })).toThrow(/onConcurrent/);
    expect(() => idempotency({ onStoreError: 'ignore' as never })).toThrow(/onStoreError/);
    expect(() => idempotency({ tll: 1 } as never)).toThrow(/unknown option "tll"/);
    expect(() => idempotency({ redis: {} as never })).toThrow(/redis/);
  });
});
