// Issue #23, linear cost: everything the inbound limiter derives from an untrusted request (the
// client IP through ipKey, hostile IPv6 notations and zone indexes, X-Forwarded-For chains read
// by Express's `trust proxy`, keyBy output of any length and its hashing, the RateLimit and
// Retry-After headers of a 429) is grown 10x in its worst hostile shapes; the work must grow about
// 10x: 10x the input must cost less than 40x the CPU time (quadratic is 100x). Measured by
// @resil/testkit's expectLinearCost (CPU time, the two sizes alternately, rounds added until the
// ratio of the minima is under the limit).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expectLinearCost } from '@resil/testkit';
import express, { type Request, type Response } from 'express';
import { ipKey, rateLimit } from '../../src';

/** 10x the input of `make(n)` must cost less than 40x, `run` called at least `reps` times a side. */
async function expectLinear<T>(
  make: (n: number) => T,
  run: (x: T) => unknown,
  n: number,
  reps = 3,
) {
  await expectLinearCost({ make, run, n, reps });
}

describe('#23 linear cost: ipKey', () => {
  const SHAPES: Array<[string, (n: number) => string]> = [
    ['an IPv6 zone index of digits and dots', (n) => `fe80::1%${'1.'.repeat(n / 2)}`],
    ['an IPv4-mapped address with a long zone', (n) => `::ffff:1.2.3.4%${'9'.repeat(n)}`],
    [
      'an IPv6 address with a dotted tail and a long zone',
      (n) => `::1.2.3.4%${'1.'.repeat(n / 2)}`,
    ],
    ['digits only', (n) => '1'.repeat(n)],
    ['digits and dots', (n) => '1.'.repeat(n / 2)],
    ['colons only', (n) => ':'.repeat(n)],
    ['a mapped prefix then digits and dots', (n) => `::ffff:${'1.'.repeat(n / 2)}`],
    ['hex groups without end', (n) => 'ffff:'.repeat(n / 5)],
  ];
  it.each(SHAPES)('grows linearly for %s', async (_label, make) => {
    await expectLinear(make, (ip) => ipKey(ip, 56), 20_000, 20);
  });
});

/** A real Express request (its `ip` getter applies `trust proxy`) without a socket. */
function fakeRequest(app: express.Express, headers: Record<string, string>): Request {
  const req = Object.create(app.request) as Request & Record<string, unknown>;
  Object.assign(req, {
    app,
    headers,
    method: 'GET',
    url: '/',
    socket: { remoteAddress: '127.0.0.1' },
    connection: { remoteAddress: '127.0.0.1' },
  });
  return req;
}

/** Runs the middleware once: 'next' when it let the request through, else the status it sent. */
function runOnce(mw: ReturnType<typeof rateLimit>, req: Request): Promise<number | 'next'> {
  return new Promise((resolve, reject) => {
    const res = {
      statusCode: 200,
      setHeader: () => res,
      getHeader: () => undefined,
      status(s: number) {
        res.statusCode = s;
        return res;
      },
      type: () => res,
      send: () => resolve(res.statusCode),
      headersSent: false,
      end: () => resolve(res.statusCode), // core's sendProblem writes the 429 with end()
    } as unknown as Response & { statusCode: number };
    mw(req, res, (err?: unknown) => (err ? reject(err) : resolve('next')));
  });
}

describe('#23 linear cost: the inbound middleware on hostile client keys', () => {
  const chains: Array<[string, string | boolean | number, (n: number) => string]> = [
    [
      'a long X-Forwarded-For chain (trust proxy true)',
      true,
      (n) => '198.51.100.7, '.repeat(n / 14),
    ],
    ['commas only (trust proxy true)', true, (n) => ','.repeat(n)],
    [
      'a chain of trusted hops walked to its end (trust proxy loopback)',
      'loopback',
      (n) => '127.0.0.1,'.repeat(n / 10),
    ],
    ['IPv6 hops with zones (trust proxy loopback)', 'loopback', (n) => '::1%lo,'.repeat(n / 7)],
    ['one huge hop (trust proxy 1)', 1, (n) => `2001:db8::${'f'.repeat(n)}`],
  ];
  it.each(chains)('grows linearly for %s', async (_label, trust, make) => {
    const app = express();
    app.set('trust proxy', trust);
    const mw = rateLimit({ points: 1_000_000, durationMs: 60_000, logger: false });
    await expectLinear(
      make,
      (xff) => runOnce(mw, fakeRequest(app, { 'x-forwarded-for': xff })),
      // 15 000 characters at 10x: about Node's default header limit (16 KB)
      1_500,
      3,
    );
  });

  const keys: Array<[string, (n: number) => string]> = [
    ['a long ASCII key', (n) => 'k'.repeat(n)],
    ['a long key of astral characters', (n) => '\u{1F600}'.repeat(n / 2)],
    ['a long key of lone surrogates', (n) => '\uD800'.repeat(n)],
    ['a long key of NUL and CR LF', (n) => '\u0000\r\n'.repeat(n / 3)],
  ];
  it.each(keys)('hashes %s in linear time, allowed and refused (429 headers)', async (_l, make) => {
    const app = express();
    // points 1: the first call of each key is let through, every later one is a 429
    const mw = rateLimit({
      points: 1,
      durationMs: 60_000,
      logger: false,
      keyBy: (req) => req.get('x-k') ?? '',
    });
    let fresh = 0;
    // a new key each call (prefix), so the hash cache never short-cuts the work. 3 000 -> 30 000
    // characters: everything hashing makes (the key, its UTF-8 bytes: 3 per lone surrogate) stays
    // under 128 KB, in the young generation and glibc's heap. Above that, the cost per byte steps
    // up to 10x where V8 and glibc take fresh pages from the system, and where differs by Node
    // version: 100 000 -> 1 M measured 57-77x, 1 M -> 10 M up to 32x on Node 26 (testkit's
    // linear-cost.ts). A cost growing with the key's square still shows at these sizes.
    await expectLinear(
      make,
      (k) => runOnce(mw, fakeRequest(app, { 'x-k': `${++fresh}:${k}` })),
      3_000,
      1,
    );
    // the same key over and over: the 429 path
    await expectLinear(make, (k) => runOnce(mw, fakeRequest(app, { 'x-k': k })), 100_000, 10);
    await expect(runOnce(mw, fakeRequest(app, { 'x-k': make(100) }))).resolves.toBe('next');
    await expect(runOnce(mw, fakeRequest(app, { 'x-k': make(100) }))).resolves.toBe(429);
  });
});

describe('#23 memory: the hash cache keeps short keys only', () => {
  // A keyBy that reads a header gets up to 16 KB per request from a client; the limiter's cache
  // of hashed keys (10 000 entries) kept each one: 160 MB held per limiter for an attacker who
  // sends distinct long keys. Measured as heap in use after a full collection.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  const heapAfter = async (keys: (i: number) => string, count: number) => {
    const app = express();
    const mw = rateLimit({
      points: 1_000_000,
      durationMs: 60_000,
      logger: false,
      keyBy: (req) => req.get('x-k') ?? '',
    });
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < count; i++) {
      await expect(runOnce(mw, fakeRequest(app, { 'x-k': keys(i) }))).resolves.toBe('next');
    }
    gc();
    const held = process.memoryUsage().heapUsed - before;
    // the limiter (and its cache) is still in use after the measurement
    await expect(runOnce(mw, fakeRequest(app, { 'x-k': keys(0) }))).resolves.toBe('next');
    return held;
  };

  it('holds no long key: 2 000 distinct 16 KB keys leave under 8 MB (32 MB if kept)', async () => {
    const long = 'k'.repeat(16_000);
    const held = await heapAfter((i) => `${i}:${long}`, 2_000);
    expect(held).toBeLessThan(8 * 1024 * 1024);
  });

  it('still keeps short keys: 8 000 keys of 256 characters hold 1.5 MB more than of 257', async () => {
    // the limiter's own store holds an entry per key either way; the difference is the cache
    const key = (length: number) => (i: number) =>
      `${String(i).padStart(4, '0')}${'k'.repeat(length - 4)}`;
    const kept = await heapAfter(key(256), 8_000);
    const notKept = await heapAfter(key(257), 8_000);
    expect(kept - notKept).toBeGreaterThan(1.5 * 1024 * 1024);
  });
});
