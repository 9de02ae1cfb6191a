import { parseRetryAfter, retryAfterMsOf } from '../../src';

// Linear cost of Retry-After parsing on hostile long headers: 10x the input must cost less than
// 40x the time (best of several runs, so a busy shared machine does not make it flaky).

function bestOf(runs: number, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t));
  }
  return best;
}

const SHAPES: Array<[string, (n: number) => string]> = [
  ['digits then a letter', (n) => `${'1'.repeat(n)}x`],
  ['only digits', (n) => '9'.repeat(n)],
  ['spaces and tabs around a number', (n) => `${' \t'.repeat(n / 2)}5${'\t '.repeat(n / 2)}`],
  ['a date prefix then junk', (n) => `Sun, 06 Nov ${'0'.repeat(n)} GMT`],
  ['a list of numbers', (n) => '5, '.repeat(n / 3)],
  ['spaces then junk', (n) => `${' '.repeat(n)}soon`],
];

describe('parseRetryAfter cost', () => {
  it.each(SHAPES)('grows linearly for %s', (_label, make) => {
    const small = make(20_000);
    const large = make(200_000);
    const reps = 20;
    const run = (s: string) => () => {
      for (let i = 0; i < reps; i++) parseRetryAfter(s, 0);
    };
    run(large)(); // warm up
    const tSmall = bestOf(7, run(small));
    const tLarge = bestOf(7, run(large));
    expect(tLarge).toBeLessThan(40 * Math.max(tSmall, 1));
  });

  it('reads a header from an object with many fields in linear time', () => {
    const make = (n: number) => {
      const headers: Record<string, string> = {};
      for (let i = 0; i < n; i++) headers[`x-h${i}`] = 'v';
      headers['retry-after'] = '5';
      return { headers };
    };
    const small = make(2_000);
    const large = make(20_000);
    const tSmall = bestOf(7, () => retryAfterMsOf(small, 0));
    const tLarge = bestOf(7, () => retryAfterMsOf(large, 0));
    expect(tLarge).toBeLessThan(40 * Math.max(tSmall, 1));
  });
});
