// Regression tests for issue #16, findings 1–5 (@resil/idempotency), each on the real test Redis.
import type { AddressInfo } from 'node:net';
import { redisCommand } from '@resil/core';
import { useRedis, waitFor } from '@resil/testkit';
import express from 'express';
import request from 'supertest';
import { type IdempotencyOptions, idempotency, markExecuted, PROBLEM_TYPES } from '../../src';
import { deferred, type HttpAnswer, httpPost, warnLogger } from '../helpers';

const r = useRedis('idempotency-issue16');
let seq = 0;

/** A fresh key prefix per test, so record counts are per test. */
function prefix(): string {
  return `${r.prefix}${++seq}:`;
}

/**
 * The records under `keyPrefix`, read on the middleware's own connection (`r.redis`, of either
 * kind): a release or write the middleware sent before is answered before this KEYS.
 */
async function records(keyPrefix: string): Promise<string[]> {
  const pattern = `${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  return (await redisCommand(r.redis, ['KEYS', pattern])) as string[];
}

function middleware(keyPrefix: string, extra: IdempotencyOptions = {}) {
  return idempotency({
    redis: r.redis,
    keyPrefix,
    scope: () => 'one-client',
    logger: false,
    ...extra,
  });
}

/** POST with a real HTTP client; resolves with status and body. */
function post(
  port: number,
  path: string,
  key: string,
  body: unknown,
  opts: { giveUpWhen?: Promise<void> } = {},
): Promise<HttpAnswer> {
  const p = httpPost(port, path, key, body);
  // a client that gives up on the request (as on its timeout) and destroys its socket; tied
  // to an event, not to a duration, so that it cannot fire before the handler runs
  opts.giveUpWhen?.then(() => p.destroy(new Error('client timeout')));
  return p.promise;
}

describe('idempotency: issue #16 regressions', () => {
  it('#16.1 a client that times out and disconnects while the handler runs: its retries get 409 for as long as the handler runs, the handler runs once', async () => {
    // Renewed every 1 s: 2 s of room for a stalled event loop before the lease lapses (with 1 s
    // renewed every 333 ms, a 667 ms stall let a retry win the claim).
    const leaseMs = 3_000;
    const keyPrefix = prefix();
    const gate = deferred();
    const entered = deferred();
    const closedOnServer = deferred();
    let runs = 0;
    const app = express();
    app.use(express.json());
    app.use(middleware(keyPrefix, { leaseMs }));
    app.post('/transfer', async (_req, res) => {
      runs++;
      if (runs === 1) {
        res.on('close', closedOnServer.resolve);
        entered.resolve();
        await gate.promise; // still working after the client gave up
      }
      res.status(201).json({ run: runs });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((ok) => server.once('listening', ok));
    const { port } = server.address() as AddressInfo;
    try {
      // A real client that times out: it gives up and destroys its socket while the handler runs
      // (the handler waits for the gate, which opens only at the end of the test).
      const first = post(
        port,
        '/transfer',
        'k-timeout',
        { amount: 1 },
        { giveUpWhen: entered.promise },
      );
      first.catch(() => undefined);
      await entered.promise;
      await expect(first).rejects.toThrow('client timeout');
      await closedOnServer.promise; // the server saw the disconnect
      const closedAt = Date.now();
      // Retries (as a client with a timeout does) across two lease lengths: all 409.
      const statuses: number[] = [];
      while (Date.now() - closedAt < 2 * leaseMs) {
        statuses.push((await post(port, '/transfer', 'k-timeout', { amount: 1 })).status);
        await new Promise((ok) => setTimeout(ok, leaseMs / 4)); // pacing, not synchronisation
      }
      expect(statuses.length).toBeGreaterThan(3);
      expect(new Set(statuses)).toEqual(new Set([409]));
      gate.resolve();
      const replay = await waitFor(
        async () => {
          const a = await post(port, '/transfer', 'k-timeout', { amount: 1 });
          return a.status === 201 ? a : undefined;
        },
        { timeoutMs: 5_000, what: 'the stored response' },
      );
      expect(replay.replayed).toBe(true);
      expect(JSON.parse(replay.body)).toEqual({ run: 1 });
      expect(runs).toBe(1);
    } finally {
      gate.resolve();
      server.closeAllConnections();
      server.close();
    }
  });

  it('#16.2 an error thrown after the handler answered 201: the client gets the 201, not a 500, and the replay is that 201', async () => {
    const keyPrefix = prefix();
    let runs = 0;
    const errors: unknown[] = [];
    const app = express();
    app.use(express.json());
    app.use(middleware(keyPrefix));
    app.post('/hospitals', (_req, res) => {
      runs++;
      res.status(201).json({ id: runs });
      throw new Error('after the answer');
    });
    // the usual Express error handler
    app.use(
      (err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
        errors.push(err);
        if (res.headersSent) return next(err);
        res.status(500).json({ error: 'internal' });
      },
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((ok) => server.once('listening', ok));
    const { port } = server.address() as AddressInfo;
    try {
      const first = await post(port, '/hospitals', 'k-after', { name: 'A' });
      expect(first.status).toBe(201);
      expect(JSON.parse(first.body)).toEqual({ id: 1 });
      expect(errors).toHaveLength(1);
      const replay = await waitFor(
        async () => {
          const a = await post(port, '/hospitals', 'k-after', { name: 'A' });
          return a.status !== 409 ? a : undefined;
        },
        { timeoutMs: 5_000, what: 'the stored response' },
      );
      expect(replay.status).toBe(201);
      expect(replay.replayed).toBe(true);
      expect(JSON.parse(replay.body)).toEqual({ id: 1 });
      expect(runs).toBe(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('#16.3 a handler whose res.end throws gets the 500 Express gives without the middleware, and nothing is stored as success', async () => {
    const keyPrefix = prefix();
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on('unhandledRejection', onRejection);
    try {
      const make = (withMiddleware: boolean) => {
        let runs = 0;
        const app = express();
        app.use(express.json());
        if (withMiddleware) app.use(middleware(keyPrefix));
        app.post('/hospitals', (_req, res) => {
          runs++;
          res.status(201);
          res.end(42 as never);
        });
        return { app, runs: () => runs };
      };
      const bare = make(false);
      const expected = await request(bare.app)
        .post('/hospitals')
        .set('Idempotency-Key', 'k-end')
        .send({})
        .timeout(5_000);
      expect(expected.status).toBe(500);

      const wrapped = make(true);
      const first = await request(wrapped.app)
        .post('/hospitals')
        .set('Idempotency-Key', 'k-end')
        .send({})
        .timeout(5_000);
      expect(first.status).toBe(500);
      expect(first.headers['content-type']).toBe(expected.headers['content-type']);
      expect(first.text).toContain('TypeError'); // Express's own error page, as without it
      // a 5xx releases the key: nothing stored, the retry runs the handler (and fails the same way)
      expect(await records(keyPrefix)).toHaveLength(0);
      const retry = await request(wrapped.app)
        .post('/hospitals')
        .set('Idempotency-Key', 'k-end')
        .send({})
        .timeout(5_000);
      expect(retry.status).toBe(500);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(wrapped.runs()).toBe(2);
      expect(rejections).toHaveLength(0);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  describe('#16.4 fingerprint', () => {
    it('includes the query string: the same key with another query is 422 (parameter order ignored)', async () => {
      const keyPrefix = prefix();
      const amounts: string[] = [];
      const app = express();
      app.use(express.json());
      app.use(middleware(keyPrefix));
      app.post('/transfer', (req, res) => {
        amounts.push(String(req.query.amount));
        res.status(201).json({ amount: req.query.amount });
      });
      const send = (q: string) =>
        request(app).post(`/transfer?${q}`).set('Idempotency-Key', 'k-q').send({ to: 'x' });
      expect((await send('amount=1&currency=EUR')).status).toBe(201);
      const reordered = await send('currency=EUR&amount=1');
      expect(reordered.status).toBe(201);
      expect(reordered.headers['idempotent-replayed']).toBe('true');
      const other = await send('amount=1000000&currency=EUR');
      expect(other.status).toBe(422);
      expect(JSON.parse(other.text).type).toBe(PROBLEM_TYPES.MISMATCH);
      expect(other.text).not.toContain('1000000');
      expect(amounts).toEqual(['1']);
    });

    it('refuses (415, nothing run) a body no parser before the middleware has read; a body parsed before it is fingerprinted', async () => {
      const keyPrefix = prefix();
      const seen: unknown[] = [];
      const warnings: string[] = [];
      const app = express();
      // only a route-level parser: the middleware cannot see the body
      app.use(middleware(keyPrefix, { logger: warnLogger((m) => warnings.push(m)) }));
      app.post('/notes', express.text(), (req, res) => {
        seen.push(req.body);
        res.status(201).json({ ok: true });
      });
      for (const body of ['amount=1', 'amount=1000000']) {
        const a = await request(app)
          .post('/notes')
          .set('Idempotency-Key', 'k-text')
          .set('Content-Type', 'text/plain')
          .send(body);
        expect(a.status).toBe(415);
        expect(a.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(a.text).type).toBe(PROBLEM_TYPES.BODY_UNPARSED);
        expect(a.text).not.toContain('amount');
      }
      expect(seen).toEqual([]);
      expect(warnings).toHaveLength(1); // said once, not per request
      expect(await records(keyPrefix)).toHaveLength(0);

      // text, urlencoded and raw parsed before the middleware: their content is in the fingerprint
      const parsed = express();
      parsed.use(express.text(), express.urlencoded({ extended: false }), express.raw());
      parsed.use(middleware(keyPrefix));
      parsed.post('/notes', (req, res) => {
        seen.push(req.body);
        res.status(201).json({ ok: true });
      });
      for (const [type, a, b] of [
        ['text/plain', 'amount=1', 'amount=1000000'],
        ['application/x-www-form-urlencoded', 'amount=1', 'amount=1000000'],
        ['application/octet-stream', 'amount=1', 'amount=1000000'],
      ] as const) {
        const key = `k-${type}`;
        const send = (body: string) =>
          request(parsed)
            .post('/notes')
            .set('Idempotency-Key', key)
            .set('Content-Type', type)
            .send(body);
        expect((await send(a)).status).toBe(201);
        expect((await send(a)).headers['idempotent-replayed']).toBe('true');
        expect((await send(b)).status).toBe(422);
      }
      expect(seen).toHaveLength(3);
      // a POST without a body needs no parser
      const empty = await request(app).post('/notes').set('Idempotency-Key', 'k-empty');
      expect(empty.status).toBe(201);
    });

    it('keeps headers passed straight to res.writeHead() in the replay', async () => {
      const keyPrefix = prefix();
      let runs = 0;
      const app = express();
      app.disable('x-powered-by'); // no header set before writeHead: Node keeps them apart
      app.use(express.json());
      app.use(middleware(keyPrefix));
      app.post('/hospitals', (_req, res) => {
        runs++;
        res.writeHead(201, { 'Content-Type': 'application/json', Location: '/hospitals/7' });
        res.end(JSON.stringify({ id: 7 }));
      });
      app.post('/raw', (_req, res) => {
        runs++;
        res.writeHead(202, 'Accepted', ['Location', '/jobs/1', 'X-Tag', 'a', 'X-Tag', 'b']);
        res.end('queued');
      });
      const first = await request(app).post('/hospitals').set('Idempotency-Key', 'k-wh').send({});
      const again = await request(app).post('/hospitals').set('Idempotency-Key', 'k-wh').send({});
      expect(first.headers.location).toBe('/hospitals/7');
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.status).toBe(201);
      expect(again.headers.location).toBe('/hospitals/7');
      expect(again.headers['content-type']).toBe('application/json');
      expect(again.body).toEqual({ id: 7 });

      const raw1 = await request(app).post('/raw').set('Idempotency-Key', 'k-wh2').send({});
      const raw2 = await request(app).post('/raw').set('Idempotency-Key', 'k-wh2').send({});
      expect(raw1.headers['x-tag']).toBe('a, b');
      expect(raw2.headers['idempotent-replayed']).toBe('true');
      expect(raw2.status).toBe(202);
      expect(raw2.headers.location).toBe('/jobs/1');
      expect(raw2.headers['x-tag']).toBe('a, b');
      expect(raw2.text).toBe('queued');
      expect(runs).toBe(2);
    });
  });

  it('#16.5 rejections by later middleware (401, 403, 429 with Retry-After, Express 404) are not stored; a handler 4xx is stored only when marked executed', async () => {
    const keyPrefix = prefix();
    let runs = 0;
    let limited = true;
    const app = express();
    app.use(express.json());
    app.use(middleware(keyPrefix));
    app.use((req, res, next) => {
      if (req.get('Authorization') === undefined) {
        res.status(401).json({ error: 'unauthenticated' });
        return;
      }
      if (req.get('Authorization') !== 'Bearer admin') {
        res.status(403).json({ error: 'forbidden' });
        return;
      }
      next();
    });
    app.use((_req, res, next) => {
      if (limited) {
        res.setHeader('Retry-After', '30');
        res.status(429).json({ error: 'slow down' });
        return;
      }
      next();
    });
    app.post('/hospitals', (req, res) => {
      runs++;
      if (req.body.name === undefined) {
        res.status(400).json({ error: 'name required' }); // the handler's own validation
        return;
      }
      if (req.body.name === 'duplicate') {
        markExecuted(req); // the handler acted: this 409 is its decision
        res.status(409).json({ error: 'exists' });
        return;
      }
      res.status(201).json({ run: runs });
    });
    const send = (key: string, auth: string | undefined, body: object = { name: 'A' }) => {
      const t = request(app).post('/hospitals').set('Idempotency-Key', key);
      return (auth ? t.set('Authorization', auth) : t).send(body);
    };
    expect((await send('k1', undefined)).status).toBe(401);
    expect((await send('k1', 'Bearer user')).status).toBe(403);
    const limitedAnswer = await send('k1', 'Bearer admin');
    expect(limitedAnswer.status).toBe(429);
    expect(limitedAnswer.headers['retry-after']).toBe('30');
    limited = false;
    const notFound = await request(app)
      .post('/nowhere')
      .set('Authorization', 'Bearer admin')
      .set('Idempotency-Key', 'k404')
      .send({});
    expect(notFound.status).toBe(404); // Express's final handler: no route
    expect(await records(keyPrefix)).toHaveLength(0); // none of those is stored
    // the same keys, now that the causes are fixed, reach the handler
    const created = await send('k1', 'Bearer admin');
    expect(created.status).toBe(201);
    expect(created.headers['idempotent-replayed']).toBeUndefined();
    expect(runs).toBe(1);
    // the handler's unmarked 400 is released too; its marked 409 is stored and replayed
    expect((await send('k2', 'Bearer admin', {})).status).toBe(400);
    expect((await send('k2', 'Bearer admin', {})).headers['idempotent-replayed']).toBeUndefined();
    expect(runs).toBe(3);
    expect((await send('k3', 'Bearer admin', { name: 'duplicate' })).status).toBe(409);
    const replayed = await send('k3', 'Bearer admin', { name: 'duplicate' });
    expect(replayed.status).toBe(409);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(runs).toBe(4);
    expect(await records(keyPrefix)).toHaveLength(2); // k1 (201) and k3 (409)
  });
});
