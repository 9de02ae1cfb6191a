// Behaviour tests written against securityHeaders' mutation survivors (#23). Kept out of test/unit so that
// the mutation run's bundled unit suite (test/mutation/unit-suite.ts) and its committed incremental file stay
// as measured; the next full sanitize mutation run should import this file there too.
import express from 'express';
import request from 'supertest';
import { securityHeaders } from '../../src';

async function get(mw: express.RequestHandler, pre?: express.RequestHandler) {
  const app = express();
  if (pre) app.use(pre);
  app.use(mw);
  app.get('/', (_req, res) => {
    res.json({});
  });
  return request(app).get('/');
}

const nonce = (_req: unknown, res: { locals: { n?: string } }) => `'nonce-${res.locals.n ?? 'x'}'`;

describe('securityHeaders (mutation)', () => {
  it('names the option in type and range errors', () => {
    let err: unknown;
    try {
      securityHeaders({ cacheControl: 3 as unknown as string });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe('securityHeaders: cacheControl must be a string or false');
    expect((err as { option?: string }).option ?? 'cacheControl').toBe('cacheControl');
    err = undefined;
    try {
      securityHeaders({ cacheControl: 'a\r\nb' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(
      /^securityHeaders: cacheControl must be a non-empty header value/,
    );
    expect(() => securityHeaders({ cacheControl: '' })).toThrow(RangeError);
    expect(() => securityHeaders({ cacheControl: false })).not.toThrow();
  });

  it('replayed path: cacheControl false sends none, a preset one is kept', async () => {
    const none = await get(securityHeaders({ cacheControl: false }));
    expect(none.headers['cache-control']).toBeUndefined();
    expect(none.headers['x-powered-by']).toBeUndefined();
    const kept = await get(securityHeaders(), (_q, r, n) => {
      r.setHeader('Cache-Control', 'private');
      n();
    });
    expect(kept.headers['cache-control']).toBe('private');
    const dflt = await get(securityHeaders());
    expect(dflt.headers['cache-control']).toBe('no-store');
  });

  it('nonce path: helmet runs per request, cacheControl applied, preset kept, false sends none', async () => {
    const opts = {
      contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], scriptSrc: [nonce] } },
    };
    const setN: express.RequestHandler = (_q, r, n) => {
      r.locals.n = String(Math.random()).slice(2);
      n();
    };
    const a = await get(securityHeaders(opts as never), setN);
    expect(a.headers['cache-control']).toBe('no-store');
    expect(a.headers['content-security-policy']).toMatch(/script-src 'nonce-\d+'/);
    const b = await get(securityHeaders(opts as never), setN);
    expect(b.headers['content-security-policy']).not.toBe(a.headers['content-security-policy']);
    expect(b.headers['x-powered-by']).toBeUndefined();
    const kept = await get(securityHeaders(opts as never), (_q, r, n) => {
      r.setHeader('Cache-Control', 'private');
      n();
    });
    expect(kept.headers['cache-control']).toBe('private');
    const custom = await get(
      securityHeaders({ ...(opts as object), cacheControl: 'no-cache' } as never),
    );
    expect(custom.headers['cache-control']).toBe('no-cache');
    const none = await get(securityHeaders({ ...(opts as object), cacheControl: false } as never));
    expect(none.headers['cache-control']).toBeUndefined();
    expect(none.headers['content-security-policy']).toMatch(/nonce-x/);
  });

  it('sends headers in helmet order, Cache-Control first', async () => {
    const res = await get(securityHeaders());
    const raw: string[] = (res as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
    const names = raw.filter((_v, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names.indexOf('cache-control')).toBeLessThan(names.indexOf('content-security-policy'));
    expect(names.indexOf('content-security-policy')).toBeLessThan(names.indexOf('x-frame-options'));
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('removes a header helmet removes on every replayed request', async () => {
    const mw = securityHeaders();
    for (let i = 0; i < 2; i++) {
      const res = await get(mw, (_q, r, n) => {
        r.setHeader('X-Powered-By', 'leak');
        n();
      });
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});
