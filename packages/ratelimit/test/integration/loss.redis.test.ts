import path from 'node:path';
import { maxInWindow, startRedisServer, startWorkers, waitFor } from '@resil/testkit';
import { Redis } from 'ioredis';
import { createRateLimiter } from '../../src';
import { dropClient, kindClient, LOADED_MACHINE_MARGIN, maxUnitsInWindow } from '../helpers';

const fixtures = path.join(__dirname, '../fixtures');

/**
 * Two worker processes share a limiter of 10/s (expectedWorkers 2: a share of 5 each while Redis
 * is away) on a private redis-server. Worker 0 takes the whole window from Redis; then `fault`
 * happens; then worker 1, idle until then, takes 5 units. The window that holds worker 0's 10
 * units must not also hold worker 1's.
 */
async function scenario(
  fault: (
    server: { stop(): Promise<void>; url: string },
    port: number,
    clientIds: number[],
  ) => Promise<unknown>,
  opts: { waitReconnect?: boolean } = {},
) {
  let server = await startRedisServer();
  const port = server.port;
  const events: Array<{ index: number; value: { op: string; clientId?: number } }> = [];
  const workers = startWorkers<object, { grants: number[]; costs: number[] }>({
    script: path.join(fixtures, 'loss-worker.ts'),
    count: 2,
    input: {
      url: server.url,
      points: 10,
      durationMs: 1000,
      burst: 10,
      expectedWorkers: 2,
      margin: LOADED_MACHINE_MARGIN,
    },
    onEvent: (index, value) => events.push({ index, value: value as { op: string } }),
  });
  const took = (index: number) => events.filter((e) => e.index === index && e.value.op === 'took');
  try {
    await workers.ready;
    workers.go();
    await waitFor(() => events.filter((e) => e.value.op === 'connected').length === 2, {
      timeoutMs: 10_000,
      what: 'both workers connected',
    });
    workers.children[0]?.send({ t: 'cmd', op: 'take', n: 10, cost: 1 });
    await waitFor(() => took(0).length === 1, { timeoutMs: 10_000, what: 'worker 0 took 10' });
    const clientIds = [0, 1].map(
      (i) => events.find((e) => e.index === i && e.value.op === 'connected')?.value.clientId ?? -1,
    );
    const next = await fault(server, port, clientIds);
    if (next) server = next as typeof server;
    if (opts.waitReconnect) {
      workers.children[1]?.send({ t: 'cmd', op: 'reconnected' });
      await waitFor(() => events.some((e) => e.index === 1 && e.value.op === 'reconnected'), {
        timeoutMs: 10_000,
        what: 'worker 1 connected again',
      });
    }
    workers.children[1]?.send({ t: 'cmd', op: 'take', n: 5, cost: 1 });
    await waitFor(() => took(1).length === 1, { timeoutMs: 30_000, what: 'worker 1 took 5' });
    for (const c of workers.children) c.send({ t: 'cmd', op: 'end' });
    const outcomes = await workers.done;
    const times = outcomes.flatMap((o) => o.result?.grants ?? []);
    const costs = outcomes.flatMap((o) => o.result?.costs ?? []);
    expect(times).toHaveLength(15);
    return maxUnitsInWindow(times, costs, 1000);
  } finally {
    workers.killAll();
    await server.stop();
  }
}

describe('outbound limiter across a Redis loss (2 processes, private redis-server)', () => {
  it('Redis stopped: a process that falls back to memory does not add its share to a window other processes filled through Redis', async () => {
    const worst = await scenario(async (server) => {
      await server.stop();
    });
    expect(worst).toBeLessThanOrEqual(10);
  });

  it('Redis restarted with its data lost: the window filled before the restart is not granted again', async () => {
    const worst = await scenario(async (server, port) => {
      await server.stop();
      return startRedisServer({ port });
    });
    expect(worst).toBeLessThanOrEqual(10);
  });

  it("one worker's connection killed (CLIENT KILL) while the other keeps Redis: no share added to the window", async () => {
    const worst = await scenario(async (server, _port, clientIds) => {
      const admin = new Redis(server.url);
      try {
        expect(Number(await admin.client('KILL', 'ID', String(clientIds[1])))).toBe(1);
      } finally {
        admin.disconnect();
      }
    });
    expect(worst).toBeLessThanOrEqual(10);
  });

  it('Redis restarted with its data lost and a worker reconnected before its next call: the state found missing starts fenced', async () => {
    const worst = await scenario(
      async (server, port) => {
        await server.stop();
        return startRedisServer({ port });
      },
      { waitReconnect: true },
    );
    expect(worst).toBeLessThanOrEqual(10);
  });
});

describe('outbound limiter back from its fallback (private redis-server)', () => {
  it('Redis paused past the quarantine: the units granted from memory meanwhile count when Redis answers again', async () => {
    const server = await startRedisServer();
    const client = kindClient(server.url, { maxRetriesPerRequest: 1 });
    const admin = new Redis(server.url);
    try {
      const limiter = createRateLimiter({
        name: 'back',
        points: 10,
        durationMs: 1000,
        burst: 10,
        expectedWorkers: 2,
        margin: LOADED_MACHINE_MARGIN,
        commandTimeoutMs: 200,
        redis: client,
        logger: false,
      });
      const grants: number[] = [];
      const take = async (n: number) => {
        for (let i = 0; i < n; i++) {
          await limiter.acquire({ timeoutMs: 20_000 });
          grants.push(performance.now());
        }
      };
      await take(1);
      await admin.client('PAUSE', 60_000, 'WRITE');
      await take(5); // from memory, after the quarantine: the share (10 / 2)
      expect(limiter.degraded).toBe(true);
      await admin.client('UNPAUSE');
      await take(10); // from Redis again (burst 10: it would give 10 at once)
      expect(limiter.degraded).toBe(false);
      expect(maxInWindow(grants, 1000)).toBeLessThanOrEqual(10);
    } finally {
      await admin.client('UNPAUSE').catch(() => undefined);
      dropClient(client);
      admin.disconnect();
      await server.stop();
    }
  });
});

describe('outbound limiter: 3 processes, mixed costs, Redis stopped and restarted empty mid-run', () => {
  it('never more than points units in any sliding window, before, during and after the outage', async () => {
    let server = await startRedisServer();
    const port = server.port;
    let grants = 0;
    let phase: 'before' | 'down' | 'after' = 'before';
    let faults: Promise<void> = Promise.resolve();
    const workers = startWorkers<object, { grants: number[]; costs: number[] }>({
      script: path.join(fixtures, 'outbound-worker.ts'),
      count: 3,
      input: {
        name: 'mixed-loss',
        prefix: 'resil-test:',
        points: 12,
        durationMs: 1000,
        expectedWorkers: 3,
        burst: 3,
        margin: LOADED_MACHINE_MARGIN,
        runMs: 9_000,
        loops: 2,
        costs: [1, 2, 1, 4, 3, 1],
        emitGrants: true,
      },
      env: { REDIS_URL: server.url },
      onEvent: () => {
        grants++;
        // the faults follow the grants: stop after 15 grants, restart (data lost) 6 grants later
        if (phase === 'before' && grants >= 15) {
          phase = 'down';
          faults = faults.then(() => server.stop());
        } else if (phase === 'down' && grants >= 21) {
          phase = 'after';
          faults = faults.then(async () => {
            server = await startRedisServer({ port });
          });
        }
      },
    });
    try {
      await workers.ready;
      workers.go();
      const outcomes = await workers.done;
      await faults;
      const times = outcomes.flatMap((o) => o.result?.grants ?? []);
      const costs = outcomes.flatMap((o) => o.result?.costs ?? []);
      const worst = maxUnitsInWindow(times, costs, 1000);
      process.stdout.write(
        `mixed costs across a Redis loss: ${times.length} grants, phase reached ${phase}, worst sliding second ${worst} units\n`,
      );
      expect(outcomes.every((o) => o.exitCode === 0)).toBe(true);
      expect(phase).toBe('after'); // both faults happened while the workers ran
      expect(worst).toBeLessThanOrEqual(12);
    } finally {
      workers.killAll();
      await faults.catch(() => undefined);
      await server.stop();
    }
  }, 60_000);
});
