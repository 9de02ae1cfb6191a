import { parseRetryAfter } from '../../src';

// Linear cost of Retry-After parsing on hostile long headers: 10x the input must cost less than
// 40x the time. Both sizes are timed on the same amount of work (10x more repetitions of the small
// input), timed alternately, best of several rounds, so that a busy shared machine does not make the
// comparison flaky: the cost per character may grow less than 4x (a quadratic parser grows 10x).

/** Best time of each function over `runs` rounds, the two timed alternately (same load for both). */
function bestOfEach(runs: number, a: () => void, b: () => void): [number, number] {
  const time = (fn: () => void) => {
    const t = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t);
  };
  let bestA = Number.POSITIVE_INFINITY;
  let bestB = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    bestA = Math.min(bestA, time(a));
    bestB = Math.min(bestB, time(b));
  }
  return [bestA, bestB];
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
    const small = make(10_000);
    const large = make(100_000);
    const run = (s: string, reps: number) => () => {
      for (let i = 0; i < reps; i++) parseRetryAfter(s, 0);
    };
    run(large, 2)(); // warm up
    // Load only ever slows a run down, so the lowest ratio of up to 3 trials is the estimate; a
    // super-linear parser shows >= 10x in every trial.
    let ratio = Number.POSITIVE_INFINITY;
    for (let trial = 0; trial < 3 && ratio >= 4; trial++) {
      const [tSmall, tLarge] = bestOfEach(21, run(small, 100), run(large, 10));
      ratio = Math.min(ratio, tLarge / tSmall);
    }
    expect(ratio).toBeLessThan(4);
  });
});
