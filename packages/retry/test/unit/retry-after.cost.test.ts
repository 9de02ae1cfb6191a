import { expectLinearCost } from '@resil/testkit';
import { parseRetryAfter } from '../../src';

// Linear cost of Retry-After parsing on hostile long headers: 10x the input must cost less than
// 40x the CPU time (a quadratic parser grows 100x). Measured by @resil/testkit's expectLinearCost
// (CPU time, the two sizes alternately, rounds added until the ratio of the minima is under the
// limit). The limit is the old one: before, the large input was timed on 10x fewer calls and its
// per-character cost had to grow less than 4x, which is 40x for the same number of calls.

const SHAPES: Array<[string, (n: number) => string]> = [
  ['digits then a letter', (n) => `${'1'.repeat(n)}x`],
  ['only digits', (n) => '9'.repeat(n)],
  ['spaces and tabs around a number', (n) => `${' \t'.repeat(n / 2)}5${'\t '.repeat(n / 2)}`],
  ['a date prefix then junk', (n) => `Sun, 06 Nov ${'0'.repeat(n)} GMT`],
  ['a list of numbers', (n) => '5, '.repeat(n / 3)],
  ['spaces then junk', (n) => `${' '.repeat(n)}soon`],
];

describe('parseRetryAfter cost', () => {
  it.each(SHAPES)('grows linearly for %s', async (_label, make) => {
    await expectLinearCost({ make, run: (s: string) => parseRetryAfter(s, 0), n: 10_000 });
  });
});
