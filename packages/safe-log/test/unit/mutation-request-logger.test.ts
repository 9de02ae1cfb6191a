// requestLogger and routeOf driven with stand-in req/res objects (no express, no sockets): what
// each record holds, exactly. Written for the mutation runs (stryker.config.mjs), which leave out
// request-logger.test.ts (express and supertest cost about 1 s per mutant run); that file keeps
// testing the middleware inside a real express app.
import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { getLogContext, requestLogger, routeOf, SafeLogger } from '../../src';

type Fields = Record<string, unknown>;

function fakeLogger() {
  const calls: Array<{ message: unknown; fields: Fields }> = [];
  const logger = {
    info: (message: unknown, fields: Fields) => calls.push({ message, fields }),
  } as unknown as SafeLogger;
  return { logger, calls };
}

function fakeReq(over: Partial<Record<string, unknown>> = {}): Request {
  return { method: 'GET', headers: {}, path: '/x', baseUrl: '', ...over } as unknown as Request;
}

function fakeRes(headers: Record<string, unknown> = {}): Response & EventEmitter {
  const res = new EventEmitter() as Response & EventEmitter;
  Object.assign(res, {
    locals: {},
    statusCode: 200,
    getHeader: (name: string) => headers[name.toLowerCase()],
  });
  return res;
}

/** Runs one request through the middleware; `finish` is emitted after next(). */
function serve(
  options: Parameters<typeof requestLogger>[0],
  req: Request,
  res: Response & EventEmitter,
  inside?: () => void,
): { nextCalls: number } {
  const mw = requestLogger(options);
  let nextCalls = 0;
  mw(req, res, () => {
    nextCalls++;
    inside?.();
  });
  res.emit('finish');
  return { nextCalls };
}

describe('requestLogger with stand-in req/res (mutation tests)', () => {
  it('refuses options that are not an object, a logger without info(), a skip that is not a function', () => {
    expect(() => requestLogger(null as never)).toThrow(
      new TypeError('requestLogger: options must be an object'),
    );
    expect(() => requestLogger(7 as never)).toThrow(/options must be an object/);
    expect(() => requestLogger({ logger: { info: 'no' } as never })).toThrow(
      new TypeError('requestLogger: logger must be a SafeLogger'),
    );
    expect(() => requestLogger({ logger: null as never })).toThrow(/logger must be a SafeLogger/);
    expect(() => requestLogger({ skip: true as never })).toThrow(
      new TypeError('requestLogger: skip must be a function'),
    );
    expect(() => requestLogger({ skip: undefined, logger: undefined })).not.toThrow();
    expect(() => requestLogger({ skip: () => false })).not.toThrow();
  });

  it('writes message, method, route, status, duration, request id and bytes, and nothing else', () => {
    const { logger, calls } = fakeLogger();
    const hr = jest
      .spyOn(process.hrtime, 'bigint')
      .mockReturnValueOnce(1_000_000_000n)
      .mockReturnValueOnce(1_012_345_678n);
    try {
      const res = fakeRes({ 'content-length': '512' });
      res.statusCode = 201;
      const req = fakeReq({
        method: 'POST',
        headers: { 'x-request-id': 'req-1' },
        route: { path: '/patients/:id' },
        baseUrl: '/api',
      });
      const { nextCalls } = serve({ logger }, req, res);
      expect(nextCalls).toBe(1);
    } finally {
      hr.mockRestore();
    }
    expect(calls).toEqual([
      {
        message: 'request',
        fields: {
          method: 'POST',
          route: '/api/patients/:id',
          status: 201,
          durationMs: 12.35,
          requestId: 'req-1',
          bytes: 512,
        },
      },
    ]);
  });

  it('writes the message it is given, and no bytes without a numeric content-length', () => {
    const { logger, calls } = fakeLogger();
    serve({ logger, message: 'access' }, fakeReq(), fakeRes());
    serve({ logger }, fakeReq(), fakeRes({ 'content-length': 'lots' }));
    expect(calls.map((c) => c.message)).toEqual(['access', 'request']);
    for (const c of calls) expect(c.fields).not.toHaveProperty('bytes');
    expect(calls[0]?.fields.route).toBe('unmatched');
    expect(calls[0]?.fields.method).toBe('GET');
    expect(calls[0]?.fields.status).toBe(200);
  });

  it('writes nothing until the response finishes, and once only', () => {
    const { logger, calls } = fakeLogger();
    const res = fakeRes();
    requestLogger({ logger })(fakeReq(), res, () => undefined);
    expect(calls).toHaveLength(0);
    res.emit('finish');
    res.emit('finish');
    expect(calls).toHaveLength(1);
  });

  it('skips the requests skip() names (next() still runs) and logs the others', () => {
    const { logger, calls } = fakeLogger();
    const seen: string[] = [];
    const skip = (req: Request) => {
      seen.push(req.path);
      return req.path === '/healthz';
    };
    const a = serve({ logger, skip }, fakeReq({ path: '/healthz' }), fakeRes(), () => {
      expect(getLogContext()).toBeUndefined();
    });
    const b = serve({ logger, skip }, fakeReq({ path: '/work' }), fakeRes());
    expect([a.nextCalls, b.nextCalls]).toEqual([1, 1]);
    expect(seen).toEqual(['/healthz', '/work']);
    expect(calls).toHaveLength(1);
  });

  it('accepts a request id of 1 to 128 letters, digits and . _ : - only; anything else gets a UUID', () => {
    const { logger, calls } = fakeLogger();
    const ok = ['a', 'A.b_c:d-9', 'x'.repeat(128)];
    const bad = ['', 'x'.repeat(129), 'a b', 'bad id-ok', 'ok-id bad', 'x<y', 'id/1', 'é'];
    for (const id of [...ok, ...bad])
      serve({ logger }, fakeReq({ headers: { 'x-request-id': id } }), fakeRes());
    serve({ logger }, fakeReq({ headers: { 'x-request-id': ['a', 'b'] } }), fakeRes());
    serve({ logger }, fakeReq({ headers: { 'x-request-id': ['abc'] } }), fakeRes());
    const ids = calls.map((c) => c.fields.requestId);
    expect(ids.slice(0, ok.length)).toEqual(ok);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const id of ids.slice(ok.length)) expect(id).toMatch(uuid);
    expect(new Set(ids.slice(ok.length)).size).toBe(bad.length + 2);
  });

  it('runs the rest of the request inside withLogContext({ requestId })', () => {
    const { logger } = fakeLogger();
    let inside: unknown;
    serve({ logger }, fakeReq({ headers: { 'x-request-id': 'req-7' } }), fakeRes(), () => {
      inside = getLogContext();
    });
    expect(inside).toEqual({ requestId: 'req-7' });
  });

  it("prefers res.locals.requestId (set before, or while serving) to the header's", () => {
    const { logger, calls } = fakeLogger();
    const before = fakeRes();
    before.locals.requestId = 'from-locals';
    let inside: unknown;
    serve({ logger }, fakeReq({ headers: { 'x-request-id': 'hdr' } }), before, () => {
      inside = getLogContext()?.requestId;
    });
    const during = fakeRes();
    serve({ logger }, fakeReq({ headers: { 'x-request-id': 'hdr' } }), during, () => {
      during.locals.requestId = 'set-later';
    });
    const empty = fakeRes();
    serve({ logger }, fakeReq({ headers: { 'x-request-id': 'hdr' } }), empty, () => {
      empty.locals.requestId = '';
    });
    expect(inside).toBe('from-locals');
    expect(calls[0]?.fields.requestId).toBe('from-locals');
    expect(calls[1]?.fields.requestId).toBe('set-later');
    expect(calls[2]?.fields).not.toHaveProperty('requestId');
  });

  it('makes a SafeLogger named http when given no logger', () => {
    const names: string[] = [];
    const spy = jest.spyOn(SafeLogger.prototype, 'info').mockImplementation(function (
      this: SafeLogger,
    ) {
      names.push(this.name);
    });
    try {
      serve(undefined, fakeReq(), fakeRes());
      serve({}, fakeReq(), fakeRes());
    } finally {
      spy.mockRestore();
    }
    expect(names).toEqual(['http', 'http']);
  });
});

describe('routeOf (mutation tests)', () => {
  const res = (locals: Record<string, unknown> = {}) => ({ locals }) as unknown as Response;
  it('is "unmatched" without a route or with an empty path', () => {
    expect(routeOf(fakeReq(), res())).toBe('unmatched');
    expect(routeOf(fakeReq({ route: {} }), res())).toBe('unmatched');
    expect(routeOf(fakeReq({ route: { path: '' } }), res())).toBe('unmatched');
  });
  it('joins the base (res.locals.routeBase first, then req.baseUrl) and the pattern', () => {
    expect(routeOf(fakeReq({ route: { path: '/:id' }, baseUrl: '/h' }), res())).toBe('/h/:id');
    expect(
      routeOf(fakeReq({ route: { path: '/:id' }, baseUrl: '/h' }), res({ routeBase: '/v1/h' })),
    ).toBe('/v1/h/:id');
    expect(routeOf(fakeReq({ route: { path: '/:id' }, baseUrl: undefined }), res())).toBe('/:id');
  });
  it('writes an array of paths joined by |, and a RegExp path as text', () => {
    expect(routeOf(fakeReq({ route: { path: ['/a', '/b'] } }), res())).toBe('/a|/b');
    expect(routeOf(fakeReq({ route: { path: /^\/r/ } }), res())).toBe('/^\\/r/');
  });
});
