// Issue #19: the bulkhead when Redis goes away (a private redis-server, stopped and restarted):
// each process falls back to floor(limit / expectedWorkers) slots, counting the calls it already
// runs; onDegraded once; the limit is shared again once Redis answers.
import { type CallContext, clientStatus, type RedisClient } from '@resil/core';

const step = (what: string) => process.env.BULKHEAD_DEBUG && process.stdout.write(`${what}\n`);

import { redisClientKind, startRedisServer, untilReady, waitFor } from '@resil/testkit';
import { Redis } from 'ioredis';
import { BulkheadFullError, bulkhead } from '../../src';

it('Redis stopped: a per-process share (limit 4 / 2 workers = 2, the running call included), full beyond it; restored when Redis is back', async () => {
  const kind = redisClientKind();
  let server = await startRedisServer();
  const client: RedisClient = kind.single(server.url);
  await untilReady(client);
  const bh = bulkhead({
    name: 'outage',
    limit: 4,
    expectedWorkers: 2,
    redis: client,
    leaseMs: 5_000,
    commandTimeoutMs: 300,
    logger: false,
  });
  const degraded: unknown[] = [];
  const restored: unknown[] = [];
  bh.onDegraded((n) => degraded.push(n));
  bh.onRestored((n) => restored.push(n));
  const pending: Array<(v: string) => void> = [];
  const hold = bh(
    (_c?: CallContext) =>
      new Promise<string>((resolve) => {
        pending.push(resolve);
      }),
  );
  const quick = bh(async (_c?: CallContext) => 'quick');
  try {
    const first = hold(); // through Redis
    await waitFor(() => pending.length === 1);
    expect(bh.degraded).toBe(false);

    await server.stop();
    // calls keep being served, from this process's share: 2 at once, the running one included
    await waitFor(() => clientStatus(client) !== 'ready', { what: 'the client to notice' });
    step('stopped');
    const second = hold();
    await waitFor(() => pending.length === 2, { what: 'a call admitted while Redis is down' });
    step('second');
    expect(bh.degraded).toBe(true);
    const third = await hold().catch((e: unknown) => e);
    expect(third).toBeInstanceOf(BulkheadFullError);
    expect(degraded).toEqual([
      expect.objectContaining({ name: 'outage', localLimit: 2, code: expect.any(String) }),
    ]);
    pending[1]?.('two');
    await expect(second).resolves.toBe('two');
    await expect(quick()).resolves.toBe('quick'); // the slot came back
    pending[0]?.('one');
    await expect(first).resolves.toBe('one');

    // Redis back (same port): the next calls probe it, then share the limit again
    step('restart');
    server = await startRedisServer({ port: server.port });
    step('restarted');
    await waitFor(async () => (await quick()) === 'quick' && !bh.degraded, {
      what: 'restored',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    step('restored');
    expect(restored).toHaveLength(1);
    const admin = new Redis(server.url, { lazyConnect: false });
    try {
      const held = hold();
      await waitFor(() => pending.length === 3);
      expect(await admin.zcard('resil:{bulkhead:outage}:leases')).toBe(1);
      pending[2]?.('three');
      await held;
    } finally {
      admin.disconnect();
    }
  } finally {
    await bh.close();
    await kind.quit(client).catch(() => undefined);
    await server.stop();
  }
}, 60_000);
