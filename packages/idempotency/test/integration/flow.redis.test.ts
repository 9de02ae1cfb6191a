// The Redis-only parts of the request flow on the shared test Redis (this file's own prefix): a
// client the middleware makes from a URL (an ioredis client: usable at once, 503 when nothing
// answers, closed by close()) and a client passed in, of the kind RESIL_REDIS_CLIENT names (never
// closed by close()).
import { createHash } from 'node:crypto';
import { clientStatus, quitClient, redisCommand } from '@resil/core';
import { untilReady, useRedis } from '@resil/testkit';
import express from 'express';
import request from 'supertest';
import { type IdempotencyOptions, idempotency } from '../../src';

const r = useRedis('idempotency-flow');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function appWith(options: IdempotencyOptions) {
  const runs = { n: 0 };
  const mw = idempotency({ logger: false, keyPrefix: r.prefix, scope: () => 's', ...options });
  const a = express();
  a.use(express.json());
  a.use(mw);
  a.post('/h', (_req, res) => {
    runs.n++;
    res.status(201).json({ run: runs.n });
  });
  return { app: a, mw, runs };
}

const post = (a: express.Express, key: string) =>
  request(a).post('/h').set('Idempotency-Key', key).send({ x: 1 });

/** The record's state, once the completion (stored beside the answer) has reached Redis. */
async function stateOf(key: string): Promise<string | null> {
  const k = `${r.prefix}{idem:${sha(`s\n${key}`)}}`;
  let state: string | null = null;
  for (let i = 0; i < 200 && state !== 'done'; i++) state = await r.admin.hget(k, 'state');
  return state;
}

describe('a Redis URL', () => {
  it('the first request, sent before the client connected, runs and is stored; the repeat is replayed; close() disconnects that client', async () => {
    const { app: a, mw, runs } = appWith({ redis: r.url });
    const first = await post(a, 'u1'); // at once: the claim waits in the offline queue
    expect(first.status).toBe(201);
    expect(await stateOf('u1')).toBe('done');
    const again = await post(a, 'u1');
    expect([again.status, again.headers['idempotent-replayed'], runs.n]).toEqual([201, 'true', 1]);
    await mw.close();
    const after = await post(a, 'u2');
    expect(after.status).toBe(503);
    expect(runs.n).toBe(1);
  });

  it('a URL where nothing answers: 503 with Retry-After 1, the handler never runs', async () => {
    const { app: a, mw, runs } = appWith({ redis: 'redis://127.0.0.1:1', commandTimeoutMs: 1000 });
    for (const key of ['down1', 'down2']) {
      const res = await post(a, key);
      expect([res.status, res.headers['retry-after']]).toEqual([503, '1']);
    }
    expect(runs.n).toBe(0);
    await mw.close();
  });
});

describe('a client passed in', () => {
  it('stays open after close(): it is the caller’s (a closed middleware answers 503; a new one on the client works)', async () => {
    const client = r.client();
    await untilReady(client);
    try {
      const { app: a, mw } = appWith({ redis: client });
      expect((await post(a, 'p1')).status).toBe(201);
      await mw.close();
      await mw.close(); // idempotent
      expect(clientStatus(client)).toBe('ready');
      expect(await redisCommand(client, ['PING'])).toBe('PONG');
      expect((await post(a, 'p2')).status).toBe(503);
      const again = appWith({ redis: client });
      expect((await post(again.app, 'p2')).status).toBe(201);
      await again.mw.close();
    } finally {
      await quitClient(client);
    }
  });
});
