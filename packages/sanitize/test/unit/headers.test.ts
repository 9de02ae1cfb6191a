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
