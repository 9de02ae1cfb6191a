import { expectLinearCost } from '@resil/testkit';
import type { Request, Response } from 'express';
import { createSanitizer, sanitizeRequest, sanitizeUrl } from '../../src';

/**
 * Linear cost: each hostile shape grown 10x must cost less than 40x the CPU time (a quadratic cost
 * gives about 100x). Measured by @resil/testkit's expectLinearCost: CPU time of this process
 * (`process.cpuUsage`), not wall-clock (on a loaded machine a long run is preempted more often than
 * a short one), the two sizes alternately, calls repeated until the small side costs a few ms,
 * rounds added until the ratio of the minima is under the limit.
 */
const N = 50_000;

/** `make(n)` returns one call on the input of size n; 10x the input must cost less than 40x. */
async function expectLinear(make: (n: number) => () => unknown, n = N): Promise<void> {
  await expectLinearCost({ make, run: (call) => call(), n });
}

const sanitize = createSanitizer({ maxLength: Number.POSITIVE_INFINITY });

/** The worst shapes we know for a markup stripper: runs of `<`, nesting, fragments, openers. */
const TEXT_SHAPES: Record<string, (n: number) => string> = {
  'a run of <': (n) => '<'.repeat(n),
  'a run of < then a letter': (n) => `${'<'.repeat(n)}a`,
  '<<<<a (openers)': (n) => '<<<<a'.repeat(n / 5),
  'nested tag fragments <a<a<a…>>>': (n) => `${'<a'.repeat(n / 4)}${'>'.repeat(n / 4)}`,
  'tags uncovered by removal <<b>b>…': (n) => `${'<<'.repeat(n / 4)}${'b>'.repeat(n / 4)}`,
  'openers before one > (<é<é…>)': (n) => `${'<é'.repeat(n / 2)}>`,
  'a run of < before é>é>…': (n) => `${'<'.repeat(n / 2)}${'é>'.repeat(n / 4)}`,
  '<-<é> (removal joins a tag)': (n) => '<-<é>'.repeat(n / 5),
  'unclosed <script': (n) => `<script ${'a'.repeat(n)}`,
  'quotes, CRLF, controls, invisibles': (n) => '"\r\n\u0000\u200b\u202e'.repeat(n / 6),
  'combining marks after removals': (n) => 'e<b>\u0301'.repeat(n / 5),
};

describe('sanitizeInput (linear cost, issue #23-4)', () => {
  it.each(Object.entries(TEXT_SHAPES))(
    '#23-4: %s grown 10x costs about 10x, not 100x',
    async (_name, shape) => {
      await expectLinear((n) => {
        const s = shape(n);
        return () => sanitize(s);
      });
    },
  );
});

describe('sanitizeUrl (linear cost)', () => {
  const URL_SHAPES: Record<string, (n: number) => string> = {
    'a long path of ../': (n) => `https://example.org/${'../'.repeat(n / 3)}`,
    'many %-escapes': (n) => `https://example.org/?q=${'%3C'.repeat(n / 3)}`,
    'a long host of labels': (n) => `https://${'a.'.repeat(n / 2)}org/`,
    'raw < and " in the query': (n) => `https://example.org/?${'<"'.repeat(n / 2)}`,
    'leading spaces before javascript:': (n) => `${' '.repeat(n)}javascript:alert(1)`,
  };
  it.each(Object.entries(URL_SHAPES))('%s grown 10x costs about 10x', async (_name, shape) => {
    await expectLinear((n) => {
      const s = shape(n);
      return () => sanitizeUrl(s);
      // 2 000 -> 20 000 characters: the parser's output (up to 3x the input, each < or " becomes
      // %3C or %22) stays under 128 KB. Above that V8 allocates strings in its large-object space
      // and the cost per character steps up to 10x at sizes that differ by Node version
      // (measured: 50 000 -> 500 000 gave 25-31x on Node 26; testkit's linear-cost.ts).
    }, 2_000);
  });
});

describe('sanitizeRequest (linear cost)', () => {
  /** Runs the middleware on a body, without HTTP, and checks that it passed the request on. */
  function run(middleware: ReturnType<typeof sanitizeRequest>, body: unknown): () => void {
    return () => {
      let passed = false;
      const req = { body, query: {}, params: {} } as unknown as Request;
      const res = {
        status() {
          throw new Error('the middleware refused the input');
        },
      } as unknown as Response;
      middleware(req, res, () => {
        passed = true;
      });
      if (!passed) throw new Error('next() was not called');
    };
  }
  const open = sanitizeRequest({
    maxDepth: 5_000,
    maxKeys: 10_000_000,
    maxStringLength: 10_000_000,
  });
  const BODY_SHAPES: Record<string, (n: number) => unknown> = {
    'deep nesting': (n) => {
      let v: unknown = '<a<a>>';
      for (let i = 0; i < n / 200; i++) v = { '<b>k': v, $ne: 1 };
      return v;
    },
    'wide object of hostile keys': (n) =>
      Object.fromEntries(Array.from({ length: n / 20 }, (_, i) => [`<x>$k${i}`, '<<<<a'])),
    'long keys of <': (n) => ({ ['<'.repeat(n)]: 1, ['<a'.repeat(n / 2)]: 2 }),
    'array of runs of <': (n) => Array.from({ length: n / 1000 }, () => '<'.repeat(1000)),
    'wide array of small objects': (n) =>
      Array.from({ length: n / 50 }, (_, i) => ({ [`__<b>proto__${i}`]: { $where: 'x' } })),
  };
  it.each(Object.entries(BODY_SHAPES))('%s grown 10x costs about 10x', async (_name, shape) => {
    await expectLinear((n) => run(open, shape(n)));
  });
});
