import express from 'express';
import request from 'supertest';
import { securityHeaders } from '../../src';

async function headersOf(mw: express.RequestHandler) {
  const app = express();
  app.use(mw);
  app.get('/', (_req, res) => {
    res.json({});
  });
  return (await request(app).get('/')).headers;
}

describe('securityHeaders', () => {
  it('without options, sets exactly the JSON API values', async () => {
    const h = await headersOf(securityHeaders());
    expect({
      csp: h['content-security-policy'],
      hsts: h['strict-transport-security'],
      referrer: h['referrer-policy'],
      corp: h['cross-origin-resource-policy'],
      frame: h['x-frame-options'],
      nosniff: h['x-content-type-options'],
      poweredBy: h['x-powered-by'],
    }).toEqual({
      csp: "default-src 'none';frame-ancestors 'none'",
      hsts: 'max-age=31536000; includeSubDomains',
      referrer: 'no-referrer',
      corp: 'same-origin',
      frame: 'DENY',
      nosniff: 'nosniff',
      poweredBy: undefined,
    });
  });

  it("helmet's alias hsts replaces our strictTransportSecurity", async () => {
    const h = await headersOf(securityHeaders({ hsts: { maxAge: 60 } }));
    expect(h['strict-transport-security']).toBe('max-age=60; includeSubDomains');
    expect(h['x-frame-options']).toBe('DENY'); // the other setting is ours still
  });

  it("helmet's alias frameguard replaces our xFrameOptions", async () => {
    const h = await headersOf(securityHeaders({ frameguard: { action: 'sameorigin' } }));
    expect(h['x-frame-options']).toBe('SAMEORIGIN');
    expect(h['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect((await headersOf(securityHeaders({ frameguard: false })))['x-frame-options']).toBe(
      undefined,
    );
  });

  it('a long-named option replaces ours whole', async () => {
    const h = await headersOf(
      securityHeaders({
        contentSecurityPolicy: false,
        crossOriginResourcePolicy: { policy: 'cross-origin' },
      }),
    );
    expect(h['content-security-policy']).toBeUndefined();
    expect(h['cross-origin-resource-policy']).toBe('cross-origin');
    expect(h['referrer-policy']).toBe('no-referrer');
  });
});

describe('securityHeaders: Cache-Control for a JSON API (#20)', () => {
  async function get(
    before: express.RequestHandler | undefined,
    mw: express.RequestHandler,
    handler: express.RequestHandler = (_req, res) => {
      res.json({ patient: 'x' });
    },
  ) {
    const app = express();
    if (before) app.use(before);
    app.use(mw);
    app.get('/', handler);
    return (await request(app).get('/')).headers;
  }

  it('sends Cache-Control: no-store by default', async () => {
    expect((await get(undefined, securityHeaders()))['cache-control']).toBe('no-store');
  });

  it('keeps a Cache-Control set before it, and a handler can still set its own', async () => {
    const earlier: express.RequestHandler = (_req, res, next) => {
      res.setHeader('Cache-Control', 'private, max-age=60');
      next();
    };
    expect((await get(earlier, securityHeaders()))['cache-control']).toBe('private, max-age=60');
    const own = await get(undefined, securityHeaders(), (_req, res) => {
      res.set('Cache-Control', 'public, max-age=300').json({});
    });
    expect(own['cache-control']).toBe('public, max-age=300');
  });

  it('cacheControl: another value, or false for none; helmet never sees the option', async () => {
    expect(
      (await get(undefined, securityHeaders({ cacheControl: 'no-cache' })))['cache-control'],
    ).toBe('no-cache');
    const none = await get(undefined, securityHeaders({ cacheControl: false }));
    expect(none['cache-control']).toBeUndefined();
    expect(none['x-frame-options']).toBe('DENY');
  });

  it.each([
    ['a number', 3, TypeError],
    ['true', true, TypeError],
    ['an empty string', '', RangeError],
    ['a string with a line break', 'no-store\r\nX-Evil: 1', RangeError],
  ])('refuses cacheControl %s naming the option', (_what, value, Type) => {
    let thrown: unknown;
    try {
      securityHeaders({ cacheControl: value as never });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Type);
    expect(thrown).toMatchObject({ option: 'cacheControl' });
    expect((thrown as Error).message).toBe(
      Type === TypeError
        ? 'securityHeaders: cacheControl must be a string or false'
        : 'securityHeaders: cacheControl must be a non-empty header value of visible ASCII characters',
    );
  });
});

describe('securityHeaders: helmet headers recorded once (#21)', () => {
  // What the middleware sent, in order (raw header lines), without Date.
  async function rawOf(mws: express.RequestHandler[]) {
    const app = express();
    app.use(...mws);
    app.get('/', (_req, res) => {
      res.json({});
    });
    const got = (await request(app).get('/')) as unknown as { res: { rawHeaders: string[] } };
    const raw = got.res.rawHeaders;
    const lines: string[] = [];
    for (let i = 0; i < raw.length; i += 2)
      if (raw[i]?.toLowerCase() !== 'date') lines.push(`${raw[i]}: ${raw[i + 1]}`);
    return lines;
  }
  const cacheFirst: express.RequestHandler = (_req, res, next) => {
    if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
    next();
  };

  it.each([
    ['no options', {}, {}],
    ['hsts and frameguard aliases', { hsts: { maxAge: 60 }, frameguard: false }, 'same'],
    [
      'CSP off, another CORP, HSTS preload',
      {
        contentSecurityPolicy: false,
        crossOriginResourcePolicy: { policy: 'cross-origin' },
        strictTransportSecurity: { maxAge: 100, preload: true },
      },
      'same',
    ],
    ['xPoweredBy kept', { xPoweredBy: false }, 'same'],
  ] as const)('sends the headers helmet sends, in its order: %s', async (_what, options, _x) => {
    const o = options as import('../../src').SecurityHeadersOptions;
    // The reference: helmet 8 itself with the options securityHeaders gives it (see headers.ts)
    const { default: helmet } = await import('helmet');
    const ours = {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      xFrameOptions: { action: 'deny' },
    };
    const merged: Record<string, unknown> = { ...ours, ...o };
    if ('hsts' in o) delete merged.strictTransportSecurity;
    if ('frameguard' in o) delete merged.xFrameOptions;
    const reference = await rawOf([cacheFirst, helmet(merged as never) as never]);
    expect(await rawOf([securityHeaders(o)])).toEqual(reference);
    expect(reference.length).toBeGreaterThan(8);
  });

  it('a function in the options (a CSP nonce) is still called for every request', async () => {
    let n = 0;
    const app = express();
    app.use(
      securityHeaders({
        contentSecurityPolicy: {
          useDefaults: false,
          directives: { defaultSrc: ["'none'"], scriptSrc: [() => `'nonce-n${++n}'`] },
        },
      }),
    );
    app.get('/', (_req, res) => {
      res.json({});
    });
    const first = (await request(app).get('/')).headers['content-security-policy'];
    const second = (await request(app).get('/')).headers['content-security-policy'];
    expect([first, second]).toEqual([
      "default-src 'none';script-src 'nonce-n1'",
      "default-src 'none';script-src 'nonce-n2'",
    ]);
  });

  it("with options that are the same for every request, helmet's middleware does not run per request", async () => {
    const stacks: string[] = [];
    const app = express();
    app.use(securityHeaders(), (_req, _res, next) => {
      stacks.push(new Error('where').stack ?? '');
      next();
    });
    app.get('/', (_req, res) => {
      res.json({});
    });
    await request(app).get('/').expect(200);
    expect(stacks).toHaveLength(1);
    expect(stacks[0]).not.toMatch(/helmetMiddleware|internalNext/);
  });

  it('removes X-Powered-By after Express set it', async () => {
    const app = express(); // x-powered-by enabled, as by default
    app.use(securityHeaders());
    app.get('/', (_req, res) => {
      res.json({});
    });
    expect((await request(app).get('/')).headers['x-powered-by']).toBeUndefined();
  });
});
