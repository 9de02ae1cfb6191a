import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import winston from 'winston';
import { requestLogger, SafeLogger } from '../../src';

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
  return { a, lines };
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

  it('ignores a request id that is not a plain token and skips what it is told to', async () => {
    const { a, lines } = app();
    await request(a).get('/patients/1').set('X-Request-Id', 'x y <script>').expect(200);
    await request(a).get('/healthz').expect(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.requestId).toBeUndefined();
  });

  it('requires a logger', () => {
    expect(() => requestLogger({} as never)).toThrow(/logger/);
  });
});
