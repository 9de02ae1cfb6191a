import { noopLogger } from '@resil/core';
import express from 'express';
import request from 'supertest';
import { rateLimit } from '../../src';

function app(limit: ReturnType<typeof rateLimit>, trustProxy?: boolean) {
  const a = express();
  if (trustProxy) a.set('trust proxy', true);
  a.use(limit);
  a.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  a.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  return a;
}

describe('rateLimit (memory)', () => {
  it('allows points per window, then 429 problem+json with Retry-After and IETF headers', async () => {
    const a = app(rateLimit({ points: 3, durationMs: 60_000, logger: false }));
    for (let i = 3; i >= 1; i--) {
      const ok = await request(a).get('/');
      expect(ok.status).toBe(200);
      expect(ok.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
      expect(ok.headers.ratelimit).toMatch(new RegExp(`^"default";r=${i - 1};t=(59|60)$`));
    }
    const over = await request(a).get('/');
    expect(over.status).toBe(429);
    expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(over.headers.ratelimit).toMatch(/^"default";r=0;t=(59|60)$/);
    expect(JSON.parse(over.text)).toMatchObject({ status: 429, title: 'Too Many Requests' });
  });

  it('headers: false sends them only with a 429; skip and cost apply', async () => {
    const a = app(
      rateLimit({
        points: 4,
        durationMs: 60_000,
        headers: false,
        skip: (req) => req.path === '/health',
        cost: (req) => (req.query.heavy ? 3 : 1),
        logger: false,
      }),
    );
    for (let i = 0; i < 10; i++) expect((await request(a).get('/health')).status).toBe(200);
    const first = await request(a).get('/?heavy=1');
    expect(first.status).toBe(200);
    expect(first.headers.ratelimit).toBeUndefined();
    expect((await request(a).get('/')).status).toBe(200); // 4 of 4
    const over = await request(a).get('/');
    expect(over.status).toBe(429);
    expect(over.headers.ratelimit).toBeDefined();
  });

  it('keys by req.ip: X-Forwarded-For is ignored (and warned about once) unless trust proxy is set', async () => {
    const warnings: string[] = [];
    const logger = { ...noopLogger, warn: (m: string) => warnings.push(m) };
    const untrusted = app(rateLimit({ points: 1, durationMs: 60_000, logger }));
    expect((await request(untrusted).get('/').set('X-Forwarded-For', '198.51.100.1')).status).toBe(
      200,
    );
    // a forged header does not buy a fresh limit
    expect((await request(untrusted).get('/').set('X-Forwarded-For', '198.51.100.2')).status).toBe(
      429,
    );
    expect(warnings.filter((w) => w.includes('trust proxy'))).toHaveLength(1);

    const trusted = app(rateLimit({ points: 1, durationMs: 60_000, logger: false }), true);
    expect((await request(trusted).get('/').set('X-Forwarded-For', '198.51.100.1')).status).toBe(
      200,
    );
    expect((await request(trusted).get('/').set('X-Forwarded-For', '198.51.100.2')).status).toBe(
      200,
    );
    expect((await request(trusted).get('/').set('X-Forwarded-For', '198.51.100.1')).status).toBe(
      429,
    );
  });

  it('a throwing keyBy reaches the error handler, it does not crash or hang', async () => {
    const a = express();
    a.use(
      rateLimit({
        points: 1,
        durationMs: 1000,
        keyBy: () => {
          throw new Error('boom');
        },
        logger: false,
      }),
    );
    a.get('/', (_req, res) => {
      res.send('x');
    });
    a.use(
      (
        _err: unknown,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(500).send('handled');
      },
    );
    const r = await request(a).get('/');
    expect(r.status).toBe(500);
    expect(r.text).toBe('handled');
  });

  it('two limiters in one app count apart in memory too (a global 100 and a login 3)', async () => {
    const a = express();
    a.use(rateLimit({ points: 100, durationMs: 60_000, logger: false }));
    a.post('/login', rateLimit({ points: 3, durationMs: 60_000, logger: false }), (_req, res) => {
      res.send('in');
    });
    a.get('/', (_req, res) => {
      res.send('ok');
    });
    for (let i = 0; i < 3; i++) expect((await request(a).get('/')).status).toBe(200);
    const logins: number[] = [];
    for (let i = 0; i < 4; i++) logins.push((await request(a).post('/login')).status);
    expect(logins).toEqual([200, 200, 200, 429]);
  });

  it('counts a fixed window per client: a sliding window that straddles two fixed windows can hold 2 × points', async () => {
    const t0 = Date.now();
    let now = t0;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const a = app(rateLimit({ points: 3, durationMs: 1000, logger: false }));
      const statuses: number[] = [];
      statuses.push((await request(a).get('/')).status); // opens the window [t0, t0 + 1000)
      now = t0 + 998;
      for (let i = 0; i < 2; i++) statuses.push((await request(a).get('/')).status);
      now = t0 + 1000; // the next fixed window: 2 ms later, 3 more
      for (let i = 0; i < 4; i++) statuses.push((await request(a).get('/')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    } finally {
      clock.mockRestore();
    }
  });

  it('rejects bad options naming the option', () => {
    expect(() => rateLimit({ points: 0 })).toThrow(/points/);
    expect(() => rateLimit({ durationMs: 1500 })).toThrow(/durationMs/);
    expect(() => rateLimit({ onStoreError: 'maybe' as never })).toThrow(/onStoreError/);
    expect(() => rateLimit({ poinst: 1 } as never)).toThrow(/unknown option "poinst"/);
    expect(() => rateLimit({ policyName: 'Has Space' })).toThrow(/policyName/);
  });
});
