import { startRedisServer, waitFor } from '@resil/testkit';
import { Redis } from 'ioredis';
import { CircuitOpenError, circuitBreaker } from '../../src';

/** Sum of all command calls on a server, minus INFO itself. */
async function commands(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let n = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    if (m[1] !== 'info') n += Number(m[2]);
  return n;
}

describe('breaker on a private redis-server', () => {
  it('10,000 successes in the closed state send no Redis command', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    const admin = new Redis(server.url);
    const f = circuitBreaker({ name: 'quiet', redis: client, logger: false })(async () => 1);
    try {
      // Start-up (the first read and the change channel's SUBSCRIBE) is not the healthy path.
      await f.breaker.ready();
      await f();
      const before = await commands(admin);
      for (let i = 0; i < 10_000; i++) await f();
      const after = await commands(admin);
      expect(after - before).toBe(0);
    } finally {
      f.breaker.shutdown();
      client.disconnect();
      admin.disconnect();
      await server.stop();
    }
  });

  it('with Redis gone, calls still go through, a failing dependency opens the local circuit, nothing hangs; when Redis returns the open state is pushed to it', async () => {
    const server = await startRedisServer();
    const port = server.port;
    const client = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    client.on('error', () => {});
    let healthy = true;
    const events: string[] = [];
    const f = circuitBreaker({
      name: 'outage',
      failureThreshold: 3,
      resetTimeoutMs: 60_000,
      redis: client,
      logger: false,
    })(async () => {
      if (!healthy) throw Object.assign(new Error('down'), { status: 503 });
      return 'ok';
    });
    f.breaker.on('degraded', () => events.push('degraded'));
    f.breaker.on('restored', () => events.push('restored'));
    await expect(f()).resolves.toBe('ok');
    await server.stop();
    await waitFor(() => client.status !== 'ready', {
      timeoutMs: 5_000,
      what: 'the client to notice',
    });
    const started = Date.now();
    await expect(f()).resolves.toBe('ok');
    healthy = false;
    for (let i = 0; i < 3; i++) await expect(f()).rejects.toMatchObject({ status: 503 });
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(Date.now() - started).toBeLessThan(3_000); // bounded waits, no hang
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.degraded).toBe(true);
    expect(events).toContain('degraded');

    const again = await startRedisServer({ port });
    try {
      const admin = new Redis(again.url);
      // The next Redis use (a probe attempt, or the subscriber's reconnect) resynchronises.
      await waitFor(async () => (await admin.hget('resil:{breaker:outage}', 'state')) === 'open', {
        timeoutMs: 10_000,
        what: 'the local open state to be pushed to the restarted Redis',
      });
      expect(events).toContain('restored');
      admin.disconnect();
    } finally {
      f.breaker.shutdown();
      client.disconnect();
      await again.stop();
    }
  });
});
