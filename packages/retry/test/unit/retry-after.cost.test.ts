import { parseRetryAfter } from '../../src';

// Linear cost of Retry-After parsing on hostile long headers: 10x the input must cost less than
// 40x the time. Both sizes are timed on the same amount of work (10x more repetitions of the small
// input), best of several runs, so that a busy shared machine, which preempts long runs more often
// than short ones, does not make the comparison flaky: the cost per character may grow < 4x.

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
    const run = (s: string, reps: number) => () => {
      for (let i = 0; i < reps; i++) parseRetryAfter(s, 0);
    };
    run(large, 2)(); // warm up
    const tSmall = bestOf(7, run(small, 100));
    const tLarge = bestOf(7, run(large, 10));
    expect(tLarge).toBeLessThan(4 * tSmall);
  });
});
