// Issue #19: policies composed in one line in the order Polly documents: retry around breaker
// around timeout. A timeout counts as a breaker failure and is retried; the breaker's open
// rejection is not retried.
import { circuitBreaker } from '@resil/breaker';
import { type CallContext, compose, hasErrorCode, withCallOptions } from '@resil/core';
import { attemptsOf, type GiveUpEvent, retryable, TimeoutError, timeout } from '../../src';

let seq = 0;

describe('compose(retryable, circuitBreaker, timeout)', () => {
  it('timeouts are breaker failures and are retried; once open, the open rejection is not retried', async () => {
    const contexts: CallContext[] = [];
    type Fn = (id: string, ctx?: CallContext) => Promise<string>;
    const fn: Fn = (_id, ctx) => {
      contexts.push(ctx as CallContext);
      return new Promise<never>(() => {}); // hangs, ignoring its signal
    };
    const gaveUp: GiveUpEvent[] = [];
    const breaker = circuitBreaker({
      name: `compose.${process.pid}.${++seq}`,
      failureThreshold: 2,
      resetTimeoutMs: 60_000,
      logger: false,
    });
    const call = compose<Fn>(
      retryable({
        logger: false,
        maxAttempts: 5,
        minDelayMs: 0,
        maxDelayMs: 0,
        onGiveUp: (e) => gaveUp.push(e),
      }),
      breaker,
      timeout(20),
    )(fn);
    try {
      const err = await call('p1').catch((e: unknown) => e);
      expect(hasErrorCode(err, 'RESIL_BREAKER_OPEN')).toBe(true);
      // two timed-out attempts opened the breaker; the third attempt was refused by it
      expect(contexts).toHaveLength(2);
      expect(attemptsOf(err)).toBe(3);
      expect(gaveUp.map((g) => g.reason)).toEqual(['not-retryable']);
      // the function at the centre received one context per attempt, numbered, its signal
      // aborted by the timeout
      expect(contexts.map((c) => c.attempt)).toEqual([1, 2]);
      expect(contexts.every((c) => c.signal.aborted)).toBe(true);
      expect(contexts.every((c) => c.signal.reason instanceof TimeoutError)).toBe(true);
    } finally {
      await (call as unknown as { close?: () => Promise<void> }).close?.();
      await (breaker as unknown as { close?: () => Promise<void> }).close?.();
    }
  });

  it('the other order (timeout around retry) puts one limit on all attempts together', async () => {
    let calls = 0;
    type Fn = (ctx?: CallContext) => Promise<string>;
    const fn: Fn = (ctx) => {
      calls++;
      return new Promise<never>((_, reject) => {
        ctx?.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      });
    };
    const call = compose<Fn>(
      timeout(30),
      retryable({ logger: false, maxAttempts: 50, minDelayMs: 0, maxDelayMs: 0 }),
    )(fn);
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(calls).toBe(1); // the abort of the outer timeout is never retried
  });

  it('withCallOptions takes a composed function (a per-call deadline reaches the centre)', async () => {
    type Fn = (x: number, ctx?: CallContext) => Promise<number | undefined>;
    const fn: Fn = async (_x, ctx) => ctx?.deadline;
    const call = compose<Fn>(retryable({ logger: false }), timeout(1_000))(fn);
    const deadline = Date.now() + 10_000;
    await expect(withCallOptions(call, { deadline })(1)).resolves.toBe(deadline);
  });
});
