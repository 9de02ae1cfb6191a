// The bulkhead when its Redis never answers (a URL where nothing listens: no server needed):
// each process allows floor(limit / expectedWorkers) calls, at least 1, counting the calls it
// runs; onDegraded fires once and the degradation is logged without patient data.
import net from 'node:net';
import type { CallContext, Logger } from '@resil/core';
import { BulkheadFullError, bulkhead } from '../../src';

/** A loopback port nothing listens on (connections are refused at once). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function recordingLogger() {
  const lines: Array<{ level: string; message: string; meta?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) =>
    lines.push({ level, message, ...(meta ? { meta } : {}) });
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return { logger, lines };
}

/** Calls the test finishes by hand. */
function held() {
  const pending: Array<(v: string) => void> = [];
  const fn = (_c?: CallContext) =>
    new Promise<string>((resolve) => {
      pending.push(resolve);
    });
  return { fn, pending };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('bulkhead with a Redis that never answers', () => {
  it('limit 5 over 2 workers: 2 calls at once in this process, the next one full; onDegraded once, logged as a warning', async () => {
    const { logger, lines } = recordingLogger();
    const bh = bulkhead({
      name: 'degraded-share',
      limit: 5,
      expectedWorkers: 2,
      redis: `redis://127.0.0.1:${await deadPort()}`,
      commandTimeoutMs: 50,
      logger,
    });
    const degraded: unknown[] = [];
    bh.onDegraded((n) => degraded.push(n));
    const { fn, pending } = held();
    const hold = bh(fn);
    try {
      expect(bh.storage).toBe('redis');
      expect(bh.degraded).toBe(false);
      const first = hold();
      const second = hold();
      while (pending.length < 2) await tick();
      expect(bh.degraded).toBe(true);
      expect(bh.inFlight).toBe(2);
      await expect(hold()).rejects.toBeInstanceOf(BulkheadFullError);
      expect(bh.inFlight).toBe(2); // the refused call holds nothing
      expect(degraded).toEqual([
        {
          name: 'degraded-share',
          reason: expect.stringMatching(/^(timeout|failed|unavailable)$/),
          code: expect.any(String),
          localLimit: 2,
        },
      ]);
      expect(lines).toEqual([
        {
          level: 'warn',
          message: 'bulkhead: Redis unavailable, limiting in this process',
          meta: {
            event: 'store-degraded',
            name: 'degraded-share',
            reason: expect.any(String),
            code: expect.any(String),
            localLimit: 2,
          },
        },
      ]);
      pending[0]?.('one');
      await expect(first).resolves.toBe('one');
      expect(bh.inFlight).toBe(1);
      const third = hold(); // the freed slot is this process's again
      while (pending.length < 3) await tick();
      pending[1]?.('two');
      pending[2]?.('three');
      await expect(second).resolves.toBe('two');
      await expect(third).resolves.toBe('three');
      expect(bh.inFlight).toBe(0);
    } finally {
      await bh.close();
    }
  });

  it('more workers than slots: still 1 call at once per process, never 0', async () => {
    const bh = bulkhead({
      name: 'degraded-one',
      limit: 3,
      expectedWorkers: 10,
      redis: `redis://127.0.0.1:${await deadPort()}`,
      commandTimeoutMs: 50,
      logger: false,
    });
    const { fn, pending } = held();
    const hold = bh(fn);
    try {
      const first = hold();
      while (pending.length < 1) await tick();
      await expect(hold()).rejects.toBeInstanceOf(BulkheadFullError);
      pending[0]?.('one');
      await expect(first).resolves.toBe('one');
    } finally {
      await bh.close();
    }
  });

  it('a queued caller gets the slot a degraded call frees', async () => {
    const bh = bulkhead({
      name: 'degraded-queue',
      limit: 2,
      queue: 1,
      expectedWorkers: 2,
      redis: `redis://127.0.0.1:${await deadPort()}`,
      commandTimeoutMs: 50,
      logger: false,
    });
    const { fn, pending } = held();
    const hold = bh(fn);
    try {
      const first = hold();
      while (pending.length < 1) await tick();
      const queued = hold();
      while (bh.queued < 1) await tick();
      await expect(hold()).rejects.toBeInstanceOf(BulkheadFullError);
      pending[0]?.('one');
      await expect(first).resolves.toBe('one');
      while (pending.length < 2) await tick();
      expect(bh.queued).toBe(0);
      pending[1]?.('two');
      await expect(queued).resolves.toBe('two');
    } finally {
      await bh.close();
    }
  });
});
