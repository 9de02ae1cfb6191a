// Issue #23, linear cost: everything the middleware parses from an untrusted request (the
// Idempotency-Key header, the canonical JSON of the body, the sorted query string, and the whole
// middleware on deep, wide or long bodies, huge keys and many headers) is grown 10x in its worst
// hostile shapes; the work must grow about 10x: 10x the input must cost less than 40x the CPU time
// (a quadratic cost grows 100x). Measured by @resil/testkit's expectLinearCost (CPU time, the two
// sizes alternately, rounds added until the ratio of the minima is under the limit).
import { expectLinearCost } from '@resil/testkit';
import type { Request, Response } from 'express';
import { canonicalJson, idempotency, parseIdempotencyKey } from '../../src';
import { target } from '../../src/middleware';

/** 10x the input of `make(n)` must cost less than 40x, `run` called at least `reps` times a side. */
async function expectLinear<T>(
  make: (n: number) => T,
  run: (x: T) => unknown,
  n: number,
  reps = 3,
) {
  // Up to 40 rounds (testkit's default is 25): once in 5 runs the query shape 'one name repeated'
  // (true ratio 15-23x) stayed above 40x for 25 rounds on the loaded machine. More rounds only
  // lower both minima towards the clean cost, so a quadratic (about 100x) still cannot pass.
  await expectLinearCost({ make, run, n, reps, maxRounds: 40 });
}

const nest = (n: number, open: string, close: string, leaf: string) =>
  `${open.repeat(n)}${leaf}${close.repeat(n)}`;

describe('#23 linear cost: parseIdempotencyKey', () => {
  const SHAPES: Array<[string, (n: number) => string]> = [
    ['a long bare token', (n) => 'k'.repeat(n)],
    ['a long bare token ending in a control character', (n) => `${'k'.repeat(n)}\u0001`],
    ['a quoted string of escapes', (n) => `"${'\\"'.repeat(n / 2)}"`],
    ['an unterminated quoted string of escapes', (n) => `"${'\\\\'.repeat(n / 2)}`],
    ['a quoted string ending in a lone backslash', (n) => `"${'a'.repeat(n)}\\"`],
    ['whitespace around a token', (n) => `${' \t'.repeat(n / 2)}k${'\t '.repeat(n / 2)}`],
    ['quotes only', (n) => '"'.repeat(n)],
  ];
  it.each(SHAPES)('grows linearly for %s', async (_label, make) => {
    await expectLinear(make, parseIdempotencyKey, 20_000, 10);
  });
});

describe('#23 linear cost: canonicalJson of parsed bodies', () => {
  const SHAPES: Array<[string, (n: number) => unknown]> = [
    ['deeply nested arrays', (n) => JSON.parse(nest(n, '[', ']', '1'))],
    ['deeply nested objects', (n) => JSON.parse(nest(n, '{"a":', '}', '1'))],
    ['nested objects with __proto__ keys', (n) => JSON.parse(nest(n, '{"__proto__":', '}', '1'))],
    [
      'a wide object, keys in reverse order',
      (n) =>
        Object.fromEntries(
          Array.from({ length: n }, (_, i) => [`k${String(n - i).padStart(8, '0')}`, i]),
        ),
    ],
    ['a wide array', (n) => Array.from({ length: n }, (_, i) => i)],
    // The three shapes below are bytes in bulk: their sizes keep every string the call makes under
    // V8's 128 KB large-object size on the large side too (see testkit's linear-cost.ts: crossing
    // it between the sizes costs up to 10x more per byte, a step a linear cost cannot pass).
    ['a long string of characters JSON escapes', (n) => '"\\\u0000\u2028'.repeat(n / 4)],
    ['a long key', (n) => ({ ['$'.repeat(5 * n)]: 'x'.repeat(5 * n) })],
    ['a raw body (Buffer)', (n) => Buffer.alloc(4 * n, 0xff)],
  ];
  it.each(SHAPES)('grows linearly for %s', async (_label, make) => {
    await expectLinear(make, canonicalJson, 1_000);
  });
});

describe('#23 linear cost: the sorted query string', () => {
  const req = (query: string) =>
    ({ originalUrl: `/h?${query}`, url: `/h?${query}`, baseUrl: '', path: '/h' }) as Request;
  const SHAPES: Array<[string, (n: number) => Request]> = [
    [
      'many parameters in reverse order',
      (n) => req(Array.from({ length: n }, (_, i) => `p${n - i}=1`).join('&')),
    ],
    ['one name repeated', (n) => req('a=1&'.repeat(n))],
    ['separators only', (n) => req('&'.repeat(n))],
    ['percent escapes', (n) => req(`a=${'%E2%80%8B'.repeat(n)}`)],
    ['a long name', (n) => req(`${'n'.repeat(n)}=v`)],
  ];
  it.each(SHAPES)('grows linearly for %s', async (_label, make) => {
    await expectLinear(make, target, 1_000);
  });
});

describe('#23 linear cost: the whole middleware on one request', () => {
  /** A request and response just real enough for the middleware's path up to next(). */
  function call(mw: ReturnType<typeof idempotency>, input: Hostile, id: number) {
    const headers: Record<string, string> = {
      ...input.headers,
      'idempotency-key': input.key ?? `k${id}`,
    };
    const req = {
      method: 'POST',
      headers,
      get: (name: string) => headers[name.toLowerCase()],
      readableEnded: true,
      body: input.body,
      ip: '127.0.0.1',
      originalUrl: input.url,
      url: input.url,
      baseUrl: '',
      path: '/h',
    } as unknown as Request;
    const res = {
      statusCode: 200,
      setHeader() {},
      status() {
        return res;
      },
      type() {
        return res;
      },
      send() {},
      writeHead() {},
      write() {
        return true;
      },
      end() {},
    } as unknown as Response;
    return new Promise<void>((resolve) => {
      const done = () => resolve();
      // an answer ends with send() (Express) or end() (core sendProblem)
      (res as unknown as { send: () => void }).send = done;
      (res as unknown as { end: () => void }).end = done;
      mw(req, res, done);
    });
  }
  interface Hostile {
    body?: unknown;
    url: string;
    key?: string;
    headers?: Record<string, string>;
  }
  const SHAPES: Array<[string, (n: number) => Hostile]> = [
    ['a deep body', (n) => ({ body: JSON.parse(nest(n, '[', ']', '0')), url: '/h' })],
    [
      'a wide body',
      (n) => ({
        body: Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${n - i}`, 'v'])),
        url: '/h',
      }),
    ],
    ['a long query', (n) => ({ url: `/h?${'q=1&'.repeat(n)}` })],
    ['a huge (invalid) key', (n) => ({ url: '/h', key: 'k'.repeat(n * 100) })],
    [
      'many headers',
      (n) => ({
        url: '/h',
        headers: Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v'])),
      }),
    ],
  ];
  it.each(SHAPES)('grows linearly for %s', async (_label, make) => {
    const mw = idempotency({ logger: false });
    let id = 0;
    try {
      await expectLinear(make, (input) => call(mw, input, ++id), 500);
    } finally {
      await mw.close();
    }
  });
});
