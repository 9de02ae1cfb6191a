import fc from 'fast-check';
import {
  backoffMs,
  MAX_TIMER_MS,
  parseRetryAfter,
  type RetryEvent,
  retryAfterMsOf,
  retryable,
} from '../../src';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
// Mutation testing (stryker.config.mjs) runs these for every mutant they cover, with fewer cases.
const runs = (n: number) => Math.min(n, Number(process.env.RESIL_FC_MAX_RUNS) || n);
const ows = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 4 });
// Strings built from what Retry-After values are made of, so that near-misses are frequent.
const nearMiss = fc.string({
  unit: fc.constantFrom(
    ...'0123456789 ,:-+.eE\tGMTSunMonJanFebDec'.split(''),
    'Sun, ',
    ' GMT',
    ' Nov ',
    '\n',
    '\u00a0',
  ),
  maxLength: 40,
});
// Any UTF-16 code unit sequence, lone surrogates included. Built from an integer, not with
// `unit: 'binary'`: constructing that arbitrary costs about 1.7 s of CPU (fast-check builds a
// reverse mapping of every code point), paid at load by every Jest run, so by every mutant.
const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp));
const anyValue = fc.oneof(fc.string({ unit: anyCodePoint, maxLength: 60 }), nearMiss);
const isTimerSafe = (ms: number) => Number.isInteger(ms) && ms >= 0 && ms <= MAX_TIMER_MS;

describe('parseRetryAfter (properties)', () => {
  it('any string gives undefined or a finite, non-negative, timer-safe integer of ms', () => {
    fc.assert(
      fc.property(anyValue, fc.integer({ min: 0, max: 4e12 }), (value, now) => {
        const ms = parseRetryAfter(value, now);
        return ms === undefined || isTimerSafe(ms);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('delay-seconds with optional spaces and tabs around it is read exactly (clamped to the timer limit)', () => {
    fc.assert(
      fc.property(ows, fc.bigInt({ min: 0n, max: 10n ** 30n }), ows, (a, n, b) => {
        const expected = Math.min(Number(n) * 1000, MAX_TIMER_MS);
        return parseRetryAfter(`${a}${n}${b}`, NOW) === expected;
      }),
      { numRuns: runs(100) },
    );
  });

  it('every IMF-fixdate is read as the time until it (0 when past, clamped to the timer limit)', () => {
    const min = Date.UTC(1000, 0, 1);
    const max = Date.UTC(9999, 11, 31, 23, 59, 59);
    fc.assert(
      fc.property(fc.integer({ min: min / 1000, max: max / 1000 }), (s) => {
        const at = s * 1000;
        const text = new Date(at).toUTCString(); // Node writes IMF-fixdates
        return parseRetryAfter(text, NOW) === Math.min(Math.max(0, at - NOW), MAX_TIMER_MS);
      }),
      { numRuns: runs(100) },
    );
  });

  it('a value that is neither digits nor an IMF-fixdate is refused, whatever Date.parse thinks', () => {
    fc.assert(
      fc.property(nearMiss, (value) => {
        const text = value.replace(/^[ \t]+|[ \t]+$/g, '');
        const integer = /^[0-9]+$/.test(text);
        const fixdate =
          /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/.test(
            text,
          );
        fc.pre(!integer && !fixdate);
        return parseRetryAfter(value, NOW) === undefined;
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe('retryable with any Retry-After (properties)', () => {
  it('never waits less than the computed backoff, and waits max(backoff, Retry-After) when honoured', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anyValue, fc.nat({ max: 200 }).map(String)),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.constantFrom('full', 'equal', 'decorrelated', 'none') as fc.Arbitrary<
          'full' | 'equal' | 'decorrelated' | 'none'
        >,
        async (value, minDelayMs, r, jitter) => {
          const error = Object.assign(new Error('HTTP 503'), {
            status: 503,
            headers: { 'Retry-After': value },
          });
          const events: RetryEvent[] = [];
          const gaveUp: string[] = [];
          const ac = new AbortController();
          const f = retryable({
            logger: false,
            minDelayMs,
            maxDelayMs: minDelayMs * 4,
            jitter,
            random: () => r,
            clock: () => NOW,
            signal: ac.signal,
            onRetry: (e) => {
              events.push(e);
              ac.abort(new Error('stop'));
            },
            onGiveUp: (e) => gaveUp.push(e.reason),
          })(async () => {
            throw error;
          });
          await f().catch(() => undefined);
          const policy = f.retry;
          const backoff = backoffMs(policy, 1, minDelayMs, () => r);
          const asked = retryAfterMsOf(error, NOW);
          if (asked !== undefined && asked > policy.maxRetryAfterMs) {
            return gaveUp[0] === 'retry-after-too-long' && events.length === 0;
          }
          const delay = events[0]?.delayMs;
          return (
            delay !== undefined &&
            delay >= backoff &&
            delay === Math.max(backoff, asked ?? 0) &&
            isTimerSafe(delay)
          );
        },
      ),
      { numRuns: runs(200) },
    );
  });
});
