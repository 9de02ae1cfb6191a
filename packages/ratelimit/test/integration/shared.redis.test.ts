import path from 'node:path';
import { describeEachRedis, maxInWindow, runWorkers } from '@resil/testkit';
import { createRateLimiter, rateLimit } from '../../src';
import { LOADED_MACHINE_MARGIN } from '../helpers';

const fixtures = path.join(__dirname, '../fixtures');
let seq = 0;

describeEachRedis('shared rate limits', (target) => {
  const name = () => `rl.${process.pid}.${++seq}`;

  it('outbound: 4 processes × 3 callers on one limiter of 20/s: never more than 20 grants in any sliding second; every process served', async () => {
    const runMs = 3_000;
    const results = await runWorkers<object, { grants: number[] }>({
      script: path.join(fixtures, 'outbound-worker.ts'),
      count: 4,
      input: {
        name: name(),
        prefix: target.prefix,
        points: 20,
        durationMs: 1000,
        margin: LOADED_MACHINE_MARGIN,
        runMs,
        loops: 3,
      },
      env: target.env,
    });
    const grants = results.flatMap((r) => r.grants);
    const worst = maxInWindow(grants, 1000);
    const rate = grants.length / (runMs / 1000);
    process.stdout.write(
      `outbound [${target.topology}]: ${grants.length} grants in ${runMs} ms (${rate.toFixed(1)}/s), worst sliding second ${worst}\n`,
    );
    expect(worst).toBeLessThanOrEqual(20);
    // liveness only (the rate achieved is the benchmark's business, not a timed assertion): at
    // least a window's worth in the run, and every process got grants
    expect(grants.length).toBeGreaterThanOrEqual(20);
    expect(results.every((r) => r.grants.length > 0)).toBe(true);
  });

  it('inbound: 2 processes sharing a limit of 10 per window accept exactly 10 of 30 requests', async () => {
    const results = await runWorkers<
      object,
      { ok: number; limited: number; other: number; problem: boolean }
    >({
      script: path.join(fixtures, 'inbound-worker.ts'),
      count: 2,
      input: { prefix: `${target.prefix}${name()}:`, points: 10, durationMs: 60_000, requests: 15 },
      env: target.env,
    });
    expect(results.reduce((n, r) => n + r.ok, 0)).toBe(10);
    expect(results.reduce((n, r) => n + r.limited, 0)).toBe(20);
    expect(results.every((r) => r.other === 0 && r.problem)).toBe(true);
  });

  it('outbound tryAcquire and the key layout (a hash and a log, hash-tagged alike, with TTLs)', async () => {
    const n = name();
    const limiter = createRateLimiter({
      name: n,
      points: 1,
      durationMs: 60_000,
      redis: target.redis,
      keyPrefix: target.prefix,
      logger: false,
    });
    expect(await limiter.tryAcquire()).toBe(true);
    expect(await limiter.tryAcquire()).toBe(false);
    const base = `${target.prefix}{ratelimit:${n}}`;
    const state = await target.admin.hgetall(`${base}:gcra`);
    expect(Number(state.tat)).toBeGreaterThan(Date.now() + 50_000);
    expect(state.c).toBe('1');
    const log = await target.admin.zrange(`${base}:log`, 0, -1, 'WITHSCORES');
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/^\d+\.\d{3}:1:1$/); // grant time : units so far : cost
    expect(await target.admin.pttl(`${base}:gcra`)).toBeGreaterThan(50_000);
    expect(await target.admin.pttl(`${base}:log`)).toBeGreaterThan(50_000);
    expect(limiter.storage).toBe('redis');
    expect(limiter.degraded).toBe(false);
  });

  it('inbound: the client key never appears in Redis (keys are hashed)', async () => {
    const prefix = `${target.prefix}${name()}:`;
    const mw = rateLimit({
      points: 5,
      durationMs: 60_000,
      redis: target.redis,
      keyPrefix: prefix,
      keyBy: () => 'patient-4711@example.org',
      logger: false,
    });
    const req = { headers: {}, app: { get: () => false } } as never;
    const res = { setHeader: () => undefined } as never;
    await new Promise<void>((resolve, reject) =>
      mw(req, res, (e?: unknown) => (e ? reject(e) : resolve())),
    );
    const keys: string[] = [];
    const nodes = 'nodes' in target.admin ? target.admin.nodes('master') : [target.admin];
    for (const node of nodes) keys.push(...(await node.keys(`${prefix}*`)));
    expect(keys).toHaveLength(1);
    expect(keys.join()).not.toContain('patient');
  });
});
