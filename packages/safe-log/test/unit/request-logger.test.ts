import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import winston from 'winston';
import { getLogContext, requestLogger, SafeLogger } from '../../src';

function app() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  const logger = new SafeLogger('http', {
    transports: [new winston.transports.Stream({ stream })],
  });
  const a = express();
  a.use(requestLogger({ logger, skip: (req) => req.path === '/healthz' }));
  a.get('/healthz', (_req, res) => {
    res.send('ok');
  });
  a.get('/patients/:id', (_req, res) => {
    res.json({ ok: true });
  });
  const router = express.Router();
  router.post('/:id/activate', (_req, res) => {
    res.status(202).end();
  });
  a.use('/hospitals', router);
  return { a, lines, logger };
}

describe('requestLogger', () => {
  it('logs method, route pattern, status and duration; never the path values, query or headers', async () => {
    const { a, lines } = app();
    await request(a)
      .get('/patients/123-45-6789?dob=1984-03-12&name=Jane')
      .set('Authorization', 'Bearer secret-token-value')
      .set('Cookie', 'sid=abc')
      .set('X-Request-Id', 'req-42')
      .expect(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      message: 'request',
      method: 'GET',
      route: '/patients/:id',
      status: 200,
      requestId: 'req-42',
      durationMs: expect.any(Number),
    });
    const text = JSON.stringify(lines);
    for (const secret of ['123-45-6789', '1984-03-12', 'Jane', 'secret-token-value', 'sid=abc'])
      expect(text).not.toContain(secret);
  });

  it('names the mount path of a router and says unmatched for a 404', async () => {
    const { a, lines } = app();
    await request(a).post('/hospitals/h-1/activate').expect(202);
    await request(a).get('/nope/123-45-6789').expect(404);
    expect(lines.map((l) => [l.route, l.status])).toEqual([
      ['/hospitals/:id/activate', 202],
      ['unmatched', 404],
    ]);
  });

  it('replaces a request id that is not a plain token by a generated one and skips what it is told to', async () => {
    const { a, lines } = app();
    await request(a).get('/patients/1').set('X-Request-Id', 'x y <script>').expect(200);
    await request(a).get('/healthz').expect(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.requestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(JSON.stringify(lines[0])).not.toContain('script');
  });

  it('refuses a logger that is not a SafeLogger, naming the option', () => {
    expect(() => requestLogger({ logger: {} as never })).toThrow(TypeError);
    expect(() => requestLogger({ logger: {} as never })).toThrow(/logger/);
  });

  it('creates a default SafeLogger("http") when given no logger (it threw before)', async () => {
    const calls: Array<{ name: string; message: unknown; fields: unknown }> = [];
    const spy = jest.spyOn(SafeLogger.prototype, 'info').mockImplementation(function (
      this: SafeLogger,
      message,
      fields,
    ) {
      calls.push({ name: this.name, message, fields });
    });
    try {
      const a = express();
      a.use(requestLogger());
      a.get('/patients/:id', (_req, res) => {
        res.json({ ok: true });
      });
      await request(a).get('/patients/12345?ssn=123-45-6789').expect(200);
    } finally {
      spy.mockRestore();
    }
    expect(calls).toEqual([
      {
        name: 'http',
        message: 'request',
        fields: expect.objectContaining({ route: '/patients/:id', status: 200 }),
      },
    ]);
    expect(JSON.stringify(calls)).not.toContain('12345');
  });

  it('carries the request id to every record written while serving the request', async () => {
    const { a, lines, logger } = app();
    a.get('/work', async (_req, res) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      logger.info('inside the handler');
      res.json({ ok: true });
    });
    await request(a).get('/work').set('X-Request-Id', 'req-42').expect(200);
    expect(lines.map((l) => [l.message, l.requestId])).toEqual([
      ['inside the handler', 'req-42'],
      ['request', 'req-42'],
    ]);
  });
  it('with context: false, only the access-log record carries the request id (no store entered)', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _e, cb) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        cb();
      },
    });
    const logger = new SafeLogger('http', {
      transports: [new winston.transports.Stream({ stream })],
    });
    const stores: unknown[] = [];
    const a = express();
    a.use(requestLogger({ logger, context: false }));
    a.get('/work', async (_req, res) => {
      stores.push(getLogContext());
      await new Promise<void>((resolve) => setImmediate(resolve));
      stores.push(getLogContext());
      logger.info('inside the handler');
      res.json({ ok: true });
    });
    await request(a).get('/work').set('X-Request-Id', 'req-43').expect(200);
    expect(stores).toEqual([undefined, undefined]);
    expect(lines.map((l) => [l.message, l.requestId])).toEqual([
      ['inside the handler', undefined],
      ['request', 'req-43'],
    ]);
    // context: true (the default) said explicitly: the store is entered
    const b = express();
    b.use(requestLogger({ logger, context: true }));
    b.get('/work', (_req, res) => {
      stores.push(getLogContext());
      res.json({ ok: true });
    });
    await request(b).get('/work').set('X-Request-Id', 'req-44').expect(200);
    expect(stores[2]).toEqual({ requestId: 'req-44' });
  });

  it('refuses a context option that is not a boolean, naming it', () => {
    expect(() => requestLogger({ context: 'no' as never })).toThrow(TypeError);
    expect(() => requestLogger({ context: 0 as never })).toThrow(/context/);
  });
});
