// The #20 controls across real worker processes sharing Redis: refunds are exact (no unit lost or
// gained), per-request limits are one budget, and a block set by one worker holds in another.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { describeEachRedis, runWorkers } from '@resil/testkit';
import type { ControlsOutput } from '../fixtures/controls-worker';

const script = path.join(__dirname, '../fixtures/controls-worker.ts');
let seq = 0;
const count = (outs: ControlsOutput[], status: number) =>
  outs.reduce((n, o) => n + o.statuses.filter((s) => s === status).length, 0);

describeEachRedis('rateLimit controls across processes', (target) => {
  it.each([false, true])(
    'skipSuccessfulRequests (points as a function: %s): 2 processes, 20 refunded successes each, then failures: exactly `points` failures pass, the count is exact',
    async (dynamic) => {
      const prefix = `${target.prefix}ctl.${process.pid}.${++seq}:`;
      const outs = await runWorkers<object, ControlsOutput>({
        script,
        count: 2,
        input: {
          prefix,
          mode: 'refunds',
          dynamic,
          points: 5,
          durationMs: 60_000,
          oks: 20,
          fails: 6,
          workers: 2,
        },
        env: target.env,
        timeoutMs: 100_000,
      });
      // every success was given back (without refunds, 5 of the 40 would pass)
      expect(count(outs, 200)).toBe(40);
      expect(count(outs, 401)).toBe(5); // failures that passed: exactly the budget
      expect(outs.every((o) => o.refundsRefused === 0)).toBe(true);
      // the counter: the 5 failures and every refused request (each counted), nothing else
      const hash = createHash('sha256').update('one-client').digest('base64url').slice(0, 22);
      const key = `${prefix}ratelimit:in:default:q${dynamic ? 'fn' : 5}w60:${hash}`;
      expect(Number(await target.admin.get(key))).toBe(5 + count(outs, 429));
    },
    120_000, // worker processes start slowly on a loaded machine
  );

  it.each([false, true])(
    'blockDurationMs (points as a function: %s): a block set by one process holds in another, past the window',
    async (dynamic) => {
      const prefix = `${target.prefix}ctl.${process.pid}.${++seq}:`;
      const input = {
        prefix,
        mode: 'block',
        dynamic,
        points: 1,
        durationMs: 1000,
        blockDurationMs: 60_000,
      };
      const [first] = await runWorkers<object, ControlsOutput>({
        script,
        count: 1,
        input: { ...input, requests: 2 },
        env: target.env,
        timeoutMs: 100_000,
      });
      expect(first?.statuses).toEqual([200, 429]);
      const [second] = await runWorkers<object, ControlsOutput>({
        script,
        count: 1,
        input: { ...input, requests: 1 },
        env: target.env,
        timeoutMs: 100_000,
      });
      expect(second?.statuses).toEqual([429]);
      // the window alone would say 1 s (a slow start of the second process eats into the 60 s)
      expect(second?.retryAfter[0]).toBeGreaterThanOrEqual(2);
    },
    120_000,
  );
});
