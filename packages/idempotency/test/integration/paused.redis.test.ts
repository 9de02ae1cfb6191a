// Issue #18: a paused Redis (SIGSTOP: the connection stays open, nothing answers) must cost the
// middleware at most one bounded wait per back-off period, not one per request. A redis-server of
// this file's own is paused; requests go one after another through the middleware; the commands
// that reached the client are counted by a wrapper around it (a request that failed fast sent none).
// The client is of the kind RESIL_REDIS_CLIENT names (ioredis by default).
import type { RedisClient } from '@resil/core';
import {
  type RedisServer,
  redisClientKind,
  startRedisServer,
  untilReady,
  waitFor,
} from '@resil/testkit';
import express from 'express';
import request from 'supertest';
import { idempotency, PROBLEM_TYPES } from '../../src';

/**
 * Methods through which a command reaches Redis (ioredis: scripts, pipelines, and the old
 * defineCommand names; node-redis: `sendCommand`, which every command of @resil goes through).
 */
const SENDING = new Set([
  'sendCommand',
  'evalsha',
  'eval',
  'pipeline',
  'multi',
  'resilIdemClaim',
  'resilIdemComplete',
  'resilIdemRenew',
  'resilIdemRelease',
]);

/** The client behind a proxy that counts every call that sends a command. */
function counting(client: RedisClient): { proxy: RedisClient; sent: { n: number } } {
  const sent = { n: 0 };
  const proxy = new Proxy(client, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (typeof prop === 'string' && SENDING.has(prop)) sent.n++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { proxy, sent };
}

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  process.kill(server.pid, 'SIGCONT');
  await server.stop();
});

describe('idempotency with Redis paused', () => {
  it('a paused Redis costs at most 1 + ceil(elapsed / back-off) bounded waits; every other request gets 503 at once without a command; served again after SIGCONT', async () => {
    const kind = redisClientKind();
    const client = kind.single(server.url);
    const { proxy, sent } = counting(client);
    // commandTimeoutMs 100, the back-off at its default (1000 ms)
    const mw = idempotency({ redis: proxy, commandTimeoutMs: 100, logger: false });
    const app = express();
    app.use(express.json());
    app.use(mw);
    app.post('/h', (_req, res) => {
      res.status(201).json({ ok: true });
    });
    let seq = 0;
    const post = (key = `k${seq++}`) =>
      request(app).post('/h').set('Idempotency-Key', key).send({});
    try {
      // Redis working: served and stored (retried: on a loaded machine the first connection and
      // the scripts' first EVAL may take longer than the 100 ms time limit)
      await untilReady(client);
      await waitFor(async () => (await post('first')).headers['idempotent-replayed'] === 'true', {
        timeoutMs: 15_000,
        intervalMs: 50,
        what: 'the first record to be stored and replayed',
      });
      sent.n = 0;
      const backoffMs = 1000;
      const answers: Array<[number, string, string]> = [];
      process.kill(server.pid, 'SIGSTOP');
      const started = performance.now();
      try {
        // 2.5 s of requests, and at least 20 (a stalled event loop can eat the 2.5 s; the bound
        // on waits below follows the elapsed time)
        while (performance.now() - started < 2500 || answers.length < 20) {
          const r = await post();
          answers.push([r.status, String(r.headers['content-type']), JSON.parse(r.text).type]);
        }
      } finally {
        process.kill(server.pid, 'SIGCONT');
      }
      const elapsed = performance.now() - started;
      const waited = sent.n; // a request that waited for the time-out is one that sent a command
      for (const a of answers)
        expect(a).toEqual([
          503,
          'application/problem+json; charset=utf-8',
          PROBLEM_TYPES.STORE_UNAVAILABLE,
        ]);
      expect(waited).toBeGreaterThanOrEqual(1);
      expect(waited).toBeLessThanOrEqual(1 + Math.ceil(elapsed / backoffMs));
      expect(answers.length - waited).toBeGreaterThan(waited); // the rest failed fast
      // Resumed: once a probe gets through, requests are served again.
      await waitFor(async () => (await post()).status === 201, {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: 'a request to be served after SIGCONT',
      });
    } finally {
      await mw.close();
      await kind.quit(client);
    }
  });
});
