// The middleware with a redis-server of this file's own stopped (before a request, while a
// handler runs) on a client of the kind RESIL_REDIS_CLIENT names, and with a URL (ioredis).
import { redisClientKind, startRedisServer, untilReady, waitFor } from '@resil/testkit';
import express from 'express';
import request from 'supertest';
import { idempotency, PROBLEM_TYPES } from '../../src';
import { deferred, warnLogger } from '../helpers';

const kind = redisClientKind();

describe('idempotency with Redis stopped', () => {
  it('deny (default): 503 problem+json with Retry-After, at once; allow: the handler runs unprotected', async () => {
    const server = await startRedisServer();
    const client = kind.single(server.url);
    try {
      await untilReady(client);
      let runs = 0;
      const warnings: string[] = [];
      const logger = warnLogger((m) => warnings.push(m));
      // "At once" means without waiting out a command timeout: with a long one, a middleware
      // that sent to the stopped Redis would take 10 s per request, while a loaded machine's
      // slowness in building apps and requests stays far below it.
      const commandTimeoutMs = 10_000;
      const make = (onStoreError: 'deny' | 'allow') => {
        const app = express();
        app.use(express.json());
        app.use(idempotency({ redis: client, onStoreError, logger, commandTimeoutMs }));
        app.post('/h', (_req, res) => {
          runs++;
          res.status(201).json({ ok: true });
        });
        return app;
      };
      expect(
        (await request(make('deny')).post('/h').set('Idempotency-Key', 'a').send({})).status,
      ).toBe(201);
      await server.stop();
      const started = Date.now();
      const denied = await request(make('deny')).post('/h').set('Idempotency-Key', 'b').send({});
      expect(denied.status).toBe(503);
      expect(denied.headers['retry-after']).toBe('1');
      expect(JSON.parse(denied.text).type).toBe(PROBLEM_TYPES.STORE_UNAVAILABLE);
      const denyApp = make('deny'); // a new middleware: its own first outage warning
      warnings.length = 0;
      for (const key of ['b2', 'b3'])
        expect(
          (await request(denyApp).post('/h').set('Idempotency-Key', key).send({})).status,
        ).toBe(503);
      expect(warnings.filter((w) => w === 'idempotency: store unavailable')).toHaveLength(1); // once per outage
      const allowed = await request(make('allow')).post('/h').set('Idempotency-Key', 'c').send({});
      expect(allowed.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(commandTimeoutMs);
      expect(runs).toBe(2);
    } finally {
      await kind.quit(client);
      await server.stop();
    }
  });

  it('Redis stopped while a handler runs: the client still gets the answer, and the failed write is logged', async () => {
    const server = await startRedisServer();
    const client = kind.single(server.url);
    try {
      await untilReady(client);
      const warnings: string[] = [];
      const { promise: inHandler, resolve: entered } = deferred();
      const { promise: gate, resolve: open } = deferred();
      const app = express();
      app.use(express.json());
      app.use(
        idempotency({ redis: client, leaseMs: 300, logger: warnLogger((m) => warnings.push(m)) }),
      );
      app.post('/h', async (_req, res) => {
        entered();
        await gate;
        res.status(201).json({ ok: true });
      });
      const answer = request(app)
        .post('/h')
        .set('Idempotency-Key', 'during')
        .send({})
        .then((r) => r);
      await inHandler;
      await server.stop();
      open();
      const r = await answer;
      expect(r.status).toBe(201);
      expect(r.body).toEqual({ ok: true });
      await waitFor(() => warnings.some((w) => w.startsWith('idempotency: could not store')), {
        what: 'the failed write to be logged',
      });
    } finally {
      await kind.quit(client);
      await server.stop();
    }
  });

  it('a redis URL works: two middlewares made from the same URL share the records', async () => {
    const server = await startRedisServer();
    const made: Array<{ close(): Promise<void> }> = [];
    try {
      let runs = 0;
      const make = () => {
        const app = express();
        const mw = idempotency({ redis: server.url, scope: () => 'one', logger: false });
        made.push(mw);
        app.use(express.json());
        app.use(mw);
        app.post('/h', (_req, res) => {
          runs++;
          res.status(201).json({ run: runs });
        });
        return app;
      };
      const first = await request(make()).post('/h').set('Idempotency-Key', 'u1').send({});
      const second = make();
      // the completion is written right after the answer: repeat until a repeat sees it done
      let again = await request(second).post('/h').set('Idempotency-Key', 'u1').send({});
      for (let i = 0; i < 100 && again.headers['idempotent-replayed'] !== 'true'; i++)
        again = await request(second).post('/h').set('Idempotency-Key', 'u1').send({});
      expect(first.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(runs).toBe(1);
    } finally {
      for (const m of made) await m.close();
      await server.stop();
    }
  });
});
