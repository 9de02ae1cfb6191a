// Issue #16.7: a failover with asynchronous replication can lose a claim. With waitForReplicas the
// claim is acknowledged by a replica before the handler runs, or the request is refused.
// A primary and a replica of our own (never the shared Redis), a failover by hand: the primary is
// killed and the replica promoted (REPLICAOF NO ONE), as Sentinel would. The replica reaches the
// primary through a TCP relay in this test, so that a partition (the relay cut) can keep a write
// from the replica for certain (a stopped replica would still find it in its socket buffer).
// The middleware runs on clients of the kind RESIL_REDIS_CLIENT names; set-up is done by ioredis.
import net from 'node:net';
import type { RedisClient } from '@resil/core';
import {
  type RedisServer,
  redisClientKind,
  startRedisServer,
  untilReady,
  waitFor,
} from '@resil/testkit';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { type IdempotencyOptions, idempotency, PROBLEM_TYPES } from '../../src';
import { deferred } from '../helpers';

interface Pair {
  primary: RedisServer;
  replica: RedisServer;
  clients: Redis[];
  /** An ioredis client, for set-up (WAIT probes, REPLICAOF). */
  client(server: RedisServer): Redis;
  /** A client of the kind RESIL_REDIS_CLIENT names, ready: the one given to the middleware. */
  subject(server: RedisServer): Promise<RedisClient>;
  /** Cuts the replication link for good (the replica can no longer reach the primary). */
  partition(): void;
  stop(): Promise<void>;
}

/** A TCP relay to `port`; cut() closes it and every connection through it. */
async function relay(port: number): Promise<{ port: number; cut(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

async function startPair(): Promise<Pair> {
  const primary = await startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] });
  const link = await relay(primary.port);
  const replica = await startRedisServer({
    args: ['--replicaof', '127.0.0.1', String(link.port)],
  });
  const clients: Redis[] = [];
  const client = (server: RedisServer) => {
    const c = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  const kind = redisClientKind();
  const subjects: RedisClient[] = [];
  const subject = async (server: RedisServer) => {
    const c = kind.single(server.url);
    subjects.push(c);
    await untilReady(c);
    return c;
  };
  // in sync: a write on the primary is acknowledged by the replica
  const probe = client(primary);
  await waitFor(
    async () => {
      await probe.set('sync-probe', '1');
      return (await probe.wait(1, 200)) === 1;
    },
    { timeoutMs: 10_000, what: 'the replica to sync' },
  );
  return {
    primary,
    replica,
    clients,
    client,
    subject,
    partition: link.cut,
    async stop() {
      link.cut();
      for (const c of clients) c.disconnect();
      await Promise.all(subjects.map((c) => kind.quit(c, 200)));
      await primary.stop();
      await replica.stop();
    },
  };
}

/** Fail over: the primary dies, the replica becomes the primary; a client of it for the retry. */
async function failover(pair: Pair): Promise<RedisClient> {
  await pair.primary.stop();
  await pair.client(pair.replica).replicaof('NO', 'ONE');
  return pair.subject(pair.replica);
}

function app(redis: RedisClient, options: IdempotencyOptions, handler: express.RequestHandler) {
  const a = express();
  a.use(express.json());
  a.use(idempotency({ redis, scope: () => 'one-client', logger: false, ...options }));
  a.post('/transfer', handler);
  return a;
}

const send = (a: express.Express) =>
  request(a).post('/transfer').set('Idempotency-Key', 'k-failover').send({ amount: 1 });

describe('idempotency across a Redis failover (asynchronous replication)', () => {
  jest.setTimeout(30_000);

  /**
   * The replica is cut off (a partition), a request claims the key on the primary, the primary dies
   * and the replica is promoted, the client retries on the new primary. Returns the handler's runs.
   */
  async function lostClaim(options: IdempotencyOptions): Promise<{ runs: number; first: number }> {
    const pair = await startPair();
    try {
      let runs = 0;
      const { promise: inHandler, resolve: entered } = deferred();
      const { promise: gate, resolve: open } = deferred();
      const handler: express.RequestHandler = async (_req, res) => {
        runs++;
        entered();
        await gate;
        res.status(201).json({ run: runs });
      };
      pair.partition(); // nothing written from now on reaches the replica
      const before = app(await pair.subject(pair.primary), options, handler);
      const firstP = send(before).then((r) => r);
      // either the handler starts (no WAIT) or the request is refused (WAIT not acknowledged)
      const first = await Promise.race([firstP, inHandler.then(() => undefined)]);
      const promoted = await failover(pair);
      // the retry's worker does not WAIT: the new primary has no replica yet (not the point here)
      const retry = await send(
        app(promoted, {}, (req, res, next) => {
          open();
          return handler(req, res, next);
        }),
      );
      expect(retry.status).toBe(201);
      open();
      await firstP.catch(() => undefined);
      return { runs, first: first?.status ?? 0 };
    } finally {
      await pair.stop();
    }
  }

  it('#16.7 without waitForReplicas, a claim the replica never got is lost in the failover and the retry runs the handler a second time', async () => {
    const { runs, first } = await lostClaim({});
    expect(first).toBe(0); // the first request was running when the primary died
    expect(runs).toBe(2);
  });

  it('#16.7 with waitForReplicas, an unacknowledged claim is released and refused (503): the handler runs once, on the retry', async () => {
    const { runs, first } = await lostClaim({
      waitForReplicas: { replicas: 1, timeoutMs: 200 },
    });
    expect(first).toBe(503);
    expect(runs).toBe(1);
  });

  it('with waitForReplicas and a healthy replica, the claim survives the failover: the retry gets 409 while the first still runs', async () => {
    const pair = await startPair();
    try {
      let runs = 0;
      const { promise: inHandler, resolve: entered } = deferred();
      const { promise: gate, resolve: open } = deferred();
      const options: IdempotencyOptions = { waitForReplicas: { replicas: 1, timeoutMs: 1_000 } };
      const handler: express.RequestHandler = async (_req, res) => {
        runs++;
        entered();
        await gate;
        res.status(201).json({ run: runs });
      };
      const firstP = send(app(await pair.subject(pair.primary), options, handler)).then((r) => r);
      await inHandler;
      const promoted = await failover(pair);
      const retry = await send(app(promoted, options, handler));
      expect(retry.status).toBe(409);
      expect(JSON.parse(retry.text).type).toBe(PROBLEM_TYPES.IN_PROGRESS);
      open();
      expect((await firstP).status).toBe(201); // sent; its record could not reach the dead primary
      expect(runs).toBe(1);
    } finally {
      await pair.stop();
    }
  });

  it('rejects a bad waitForReplicas naming the option', () => {
    expect(() => idempotency({ waitForReplicas: { replicas: 1, timeoutMs: 100 } })).toThrow(
      /waitForReplicas needs redis/,
    );
    const fake = { defineCommand: () => {}, status: 'ready' } as never;
    expect(() =>
      idempotency({ redis: fake, waitForReplicas: { replicas: 0, timeoutMs: 10 } }),
    ).toThrow(/waitForReplicas\.replicas/);
    expect(() =>
      idempotency({ redis: fake, waitForReplicas: { replicas: 1, timeoutMs: 0 } }),
    ).toThrow(/waitForReplicas\.timeoutMs/);
  });
});
