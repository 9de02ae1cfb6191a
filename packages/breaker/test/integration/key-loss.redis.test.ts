import path from 'node:path';
import type { RedisClient } from '@resil/core';
import {
  describeEachRedis,
  type RedisServer,
  startRedisServer,
  startWorkers,
  waitFor,
} from '@resil/testkit';
import { type Cluster, Redis } from 'ioredis';
import { circuitBreaker } from '../../src';

const script = path.join(__dirname, '../fixtures/breaker-driven-worker.ts');
let seq = 0;

type Event =
  | { t: 'ready' }
  | { t: 'synced' }
  | { t: 'state'; to: string }
  | { t: 'done'; reached: number; rejectedInRow: number };

const WORKERS = 3;
const THRESHOLD = 2;
const CAP = 30; // calls per worker at most, so that a circuit that never opens still ends

interface Setup {
  prefix: string;
  env: Record<string, string>;
  /** A client for the operator's breaker (of this run's kind, RESIL_REDIS_CLIENT). */
  redis: RedisClient;
  /** An ioredis client for the test's own key checks. */
  admin: Redis | Cluster;
  /** Loses the circuit's key while the workers run, and resolves once they may go on. */
  lose(key: string): Promise<void>;
  /**
   * Before the cycle, the circuit's epoch is put far ahead of Redis's clock: what the workers
   * know is then newer than any epoch Redis makes after the loss, as when Redis's clock went back.
   */
  clockWentBack?: boolean;
  /** After the loss: the dependency dies ('fail'), or an operator opens the circuit ('open'). */
  afterwards?: 'fail' | 'open';
}

/**
 * 3 worker processes share a circuit; an operator's breaker takes it through a full cycle (open,
 * one probe, closed), so that every worker knows a later epoch than the first; the key is lost;
 * the dependency dies and every worker calls it until it fails fast. The shared bound must hold.
 */
async function afterKeyLoss(setup: Setup): Promise<void> {
  const name = `keyloss.${process.pid}.${++seq}`;
  const key = `${setup.prefix}{breaker:${name}}`;
  const events: Event[][] = Array.from({ length: WORKERS }, () => []);
  const started = startWorkers<object, { states: string[] }>({
    script,
    count: WORKERS,
    input: { name, prefix: setup.prefix, threshold: THRESHOLD, resetMs: 300 },
    env: setup.env,
    onEvent: (i, v) => events[i]?.push(v as Event),
  });
  const all = (what: string, test: (e: Event[]) => boolean) =>
    waitFor(() => events.every(test), { timeoutMs: 15_000, what });
  try {
    await started.ready;
    started.go();
    await all('every worker to be ready', (e) => e.some((x) => x.t === 'ready'));

    // A full cycle, driven by an operator's breaker on another connection: open, then after the
    // reset timeout one probe (half-open) whose success closes the circuit.
    const operator = circuitBreaker({
      name,
      resetTimeoutMs: 300,
      redis: setup.redis,
      keyPrefix: setup.prefix,
      logger: false,
    })(async () => 'ok');
    try {
      await operator.breaker.ready();
      if (setup.clockWentBack) await setup.admin.hset(key, 'epoch', String(2 ** 52));
      await operator.breaker.open();
      await waitFor(() => operator.breaker.nextProbeInMs === 0, {
        timeoutMs: 5_000,
        what: 'the reset timeout to pass',
      });
      await expect(operator()).resolves.toBe('ok'); // the probe
      expect(operator.breaker.state).toBe('closed');
    } finally {
      await operator.breaker.close();
    }
    const states = (e: Event[]) => e.flatMap((x) => (x.t === 'state' ? [x.to] : []));
    await all('every worker to see the cycle end closed', (e) => {
      const s = states(e);
      return s.includes('open') && s.at(-1) === 'closed';
    });

    await setup.lose(key);
    // Issue #21: every worker's command connection must be back as well, its breaker reading
    // Redis (not degraded). A node-redis client reconnects its command connection and its
    // subscriber (a duplicate) each on its own back-off, and a breaker whose Redis is away
    // counts in memory, where the README's bound is failureThreshold × workers (6 here): the
    // test synchronised on the subscribers alone, and its first failures then found the command
    // connection still reconnecting.
    for (const child of started.children) child.send({ t: 'sync' });
    await all('every worker to read Redis again', (e) => e.some((x) => x.t === 'synced'));

    if (setup.afterwards === 'open') {
      // No worker sends anything: they must hear it on the change channel.
      const again = circuitBreaker({
        name,
        resetTimeoutMs: 300,
        redis: setup.redis,
        keyPrefix: setup.prefix,
        logger: false,
      })(async () => 'ok');
      try {
        await again.breaker.open();
      } finally {
        await again.breaker.close();
      }
      await all("every worker to hear the operator's open", (e) => states(e).at(-1) === 'open');
      return;
    }

    // The dependency dies; every worker calls it until it fails fast.
    for (const child of started.children) child.send({ t: 'fail', cap: CAP });
    await all('every worker to finish calling', (e) => e.some((x) => x.t === 'done'));
    const done = events.map((e) => e.find((x) => x.t === 'done') as Event & { t: 'done' });
    const reached = done.reduce((n, d) => n + d.reached, 0);
    expect(reached).toBeGreaterThanOrEqual(THRESHOLD);
    expect(reached).toBeLessThanOrEqual(THRESHOLD + WORKERS - 1);
    expect(done.map((d) => d.rejectedInRow)).toEqual([5, 5, 5]); // every one fails fast
    expect(await setup.admin.hget(key, 'state')).toBe('open');
  } finally {
    for (const child of started.children) if (child.connected) child.send({ t: 'exit' });
    await started.done.catch(() => started.killAll());
  }
}

// Issue #16, finding 8: after a full open -> half-open -> closed cycle, the circuit's hash expired
// or was evicted, its epoch restarted at 0, and every running worker ignored every later answer
// (`epoch < known`): with threshold 2, every call reached the dead dependency.
describeEachRedis('shared circuit after its key is lost', (target) => {
  for (const loss of ['DEL', 'PEXPIRE'] as const) {
    it(`lost by ${loss} after a full cycle: 3 worker processes still open it within failureThreshold + workers - 1 calls`, async () => {
      await afterKeyLoss({
        prefix: target.prefix,
        env: target.env,
        redis: target.client(),
        admin: target.admin,
        async lose(key) {
          if (loss === 'DEL') await target.admin.del(key);
          else await target.admin.pexpire(key, 1);
          await waitFor(async () => (await target.admin.exists(key)) === 0, {
            timeoutMs: 5_000,
            what: 'the key to be gone',
          });
        },
      });
    });
  }

  it('a breaker that knew the circuit open when its key was lost fails fast until its reset timeout, then finds it closed and calls through', async () => {
    const name = `keyloss.open.${process.pid}.${++seq}`;
    const key = `${target.prefix}{breaker:${name}}`;
    let reached = 0;
    const f = circuitBreaker({
      name,
      resetTimeoutMs: 300,
      redis: target.redis,
      keyPrefix: target.prefix,
      logger: false,
    })(async () => {
      reached++;
      return 'ok';
    });
    try {
      await f.breaker.ready();
      await f.breaker.open();
      await target.admin.del(key);
      await expect(f()).rejects.toMatchObject({ code: 'RESIL_BREAKER_OPEN' });
      expect(reached).toBe(0);
      await waitFor(() => f.breaker.nextProbeInMs === 0, {
        timeoutMs: 5_000,
        what: 'the reset timeout to pass',
      });
      await expect(f()).resolves.toBe('ok');
      expect(f.breaker.state).toBe('closed');
      expect(reached).toBe(1);
    } finally {
      await f.breaker.close();
    }
  });

  it("after the key is lost, an operator's open() reaches every worker process by pub/sub", async () => {
    await afterKeyLoss({
      prefix: target.prefix,
      env: target.env,
      redis: target.client(),
      admin: target.admin,
      afterwards: 'open',
      async lose(key) {
        await target.admin.del(key);
      },
    });
  });

  it('after the key is lost while Redis time is behind the epochs the workers know, each worker applies the answers to its own commands: the bound still holds', async () => {
    await afterKeyLoss({
      prefix: target.prefix,
      env: target.env,
      redis: target.client(),
      admin: target.admin,
      clockWentBack: true,
      async lose(key) {
        await target.admin.del(key);
      },
    });
  });
});

describe('shared circuit after Redis restarts empty', () => {
  it('restarted without its data after a full cycle: 3 worker processes still open it within failureThreshold + workers - 1 calls', async () => {
    let server: RedisServer = await startRedisServer();
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    redis.on('error', () => {});
    try {
      await afterKeyLoss({
        prefix: 'resil:',
        env: { REDIS_URL: server.url },
        redis,
        admin: redis,
        async lose() {
          const { port } = server;
          await server.stop();
          server = await startRedisServer({ port });
          // Synchronise on the workers' subscribers being back (each worker resynchronises then).
          await waitFor(
            async () => {
              const reply = (await redis
                .pubsub('NUMSUB', 'resil:breaker:changes')
                .catch(() => [])) as [string?, number?];
              return Number(reply[1] ?? 0) === WORKERS;
            },
            { timeoutMs: 15_000, what: "the workers' subscribers to reconnect" },
          );
        },
      });
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});
