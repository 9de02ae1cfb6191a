// #20 makeIdempotent across real processes (testkit workers) racing one key: exactly one
// execution; the others get the stored result ('wait') or a typed in-progress error ('reject');
// a process killed while it runs the function lets another take the key over after the lease.
import path from 'node:path';
import { redisCommand } from '@resil/core';
import { describeEachRedis, runWorkers, startWorkers, waitFor } from '@resil/testkit';
import { ERROR_CODES, makeIdempotent } from '../../src';
import type { Outcome } from '../fixtures/fn-worker';

const script = path.join(__dirname, '../fixtures/fn-worker.ts');
let seq = 0;
// 4 processes each loading TypeScript on a shared 2-core machine: starting them alone can take
// tens of seconds (correctness, not latency, is under test here)
jest.setTimeout(150_000);

describeEachRedis('makeIdempotent across processes', (target) => {
  const unique = () => `${process.pid}.${++seq}`;
  const count = async (key: string) => Number(await target.admin.get(key));

  for (const encrypt of [false, true])
    it(`4 processes × 5 concurrent calls, 'reject': one execution, 19 typed RESIL_IDEMPOTENCY_IN_PROGRESS${encrypt ? ' (encrypted)' : ''}`, async () => {
      const id = unique();
      const counter = `${target.prefix}{fn:${id}}`;
      const run = runWorkers<object, { outcomes: Outcome[] }>({
        script,
        count: 4,
        input: {
          mode: 'race',
          prefix: target.prefix,
          key: `msg-${id}`,
          counter,
          calls: 5,
          onConcurrent: 'reject',
          leaseMs: 5_000,
          encrypt,
        },
        env: target.env,
        timeoutMs: 140_000,
      });
      // every other call has been refused while the first still runs; then it may finish
      await waitFor(async () => (await count(`${counter}:refused`)) === 19, {
        timeoutMs: 120_000,
        what: '19 refusals',
      });
      await target.admin.set(`${counter}:gate`, '1');
      const outcomes = (await run).flatMap((r) => r.outcomes);
      expect(outcomes).toHaveLength(20);
      expect(await count(counter)).toBe(1);
      expect(outcomes.filter((o) => 'ok' in o)).toEqual([
        { ok: { run: 1, pid: expect.any(Number) } },
      ]);
      expect(outcomes.filter((o) => 'code' in o)).toEqual(
        Array(19).fill({ code: ERROR_CODES.IN_PROGRESS }),
      );
    });

  it("4 processes × 5 concurrent calls, 'wait': one execution, all 20 get its result", async () => {
    const id = unique();
    const counter = `${target.prefix}{fn:${id}}`;
    const run = runWorkers<object, { outcomes: Outcome[] }>({
      script,
      count: 4,
      input: {
        mode: 'race',
        prefix: target.prefix,
        key: `msg-${id}`,
        counter,
        calls: 5,
        onConcurrent: 'wait',
        leaseMs: 5_000,
        encrypt: false,
      },
      env: target.env,
      timeoutMs: 140_000,
    });
    await waitFor(async () => (await count(counter)) === 1, {
      timeoutMs: 120_000,
      what: 'the run',
    });
    await target.admin.set(`${counter}:gate`, '1');
    const outcomes = (await run).flatMap((r) => r.outcomes);
    expect(await count(counter)).toBe(1);
    expect(outcomes).toHaveLength(20);
    const first = outcomes[0] as { ok: { run: number; pid: number } };
    expect(first.ok.run).toBe(1);
    expect(outcomes).toEqual(Array(20).fill(first));
  });

  it('a process killed while running the function: refused until the lease ends, then another process runs it', async () => {
    const id = unique();
    const counter = `${target.prefix}{fn:${id}}`;
    const leaseMs = 1_500;
    const started = startWorkers<object, unknown>({
      script,
      count: 1,
      input: {
        mode: 'hang',
        prefix: target.prefix,
        key: `msg-${id}`,
        counter,
        calls: 1,
        onConcurrent: 'reject',
        leaseMs,
        encrypt: false,
      },
      env: target.env,
      timeoutMs: 140_000,
    });
    await started.ready;
    started.go();
    await waitFor(async () => (await count(counter)) === 1, {
      timeoutMs: 120_000,
      what: 'the run',
    });
    started.kill(0, 'SIGKILL');
    await started.done;
    const fn = makeIdempotent(
      async (_m: { id: string; patient: string }) => {
        const run = Number(await redisCommand(target.redis, ['INCR', counter], counter));
        return { run, pid: process.pid };
      },
      {
        redis: target.redis,
        keyPrefix: target.prefix,
        key: (m) => m.id,
        onConcurrent: 'reject',
        leaseMs,
        logger: false,
      },
    );
    const call = () => fn({ id: `msg-${id}`, patient: 'same' });
    await expect(call()).rejects.toMatchObject({ code: ERROR_CODES.IN_PROGRESS });
    const taken = await waitFor(
      () =>
        call().catch((err: { code?: string }) =>
          err.code === ERROR_CODES.IN_PROGRESS ? undefined : Promise.reject(err),
        ),
      { timeoutMs: 10_000, intervalMs: 50, what: 'the lease to end' },
    );
    expect(taken).toEqual({ run: 2, pid: process.pid });
    expect(await call()).toEqual(taken); // stored now
    expect(await count(counter)).toBe(2);
    await fn.close();
  });
});
