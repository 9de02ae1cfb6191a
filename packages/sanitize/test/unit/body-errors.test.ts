import express from 'express';
import request from 'supertest';
import { bodyErrorProblem, bodyErrors } from '../../src';

/** An app whose only route fails with a body-parser-shaped error of the given `type`. */
function failingApp(type: string | undefined) {
  const app = express();
  app.post('/', (_req, _res, next) => {
    next(Object.assign(new Error('Jane Doe secret'), type === undefined ? {} : { type }));
  });
  app.use(bodyErrors());
  app.use(
    (_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(599).json({ reached: 'next error handler' });
    },
  );
  return app;
}

describe('bodyErrors', () => {
  it.each([
    [
      'entity.too.large',
      'body-too-large',
      413,
      'Request body too large',
      'The request body is larger than this endpoint accepts.',
    ],
    [
      'entity.parse.failed',
      'malformed-json',
      400,
      'Malformed JSON',
      'The request body is not valid JSON.',
    ],
    [
      'charset.unsupported',
      'unsupported-body-encoding',
      415,
      'Unsupported body encoding',
      'The request body uses an unsupported charset or content encoding.',
    ],
    [
      'encoding.unsupported',
      'unsupported-body-encoding',
      415,
      'Unsupported body encoding',
      'The request body uses an unsupported charset or content encoding.',
    ],
    [
      'request.aborted',
      'unreadable-body',
      400,
      'Bad request body',
      'The request body could not be read.',
    ],
    [
      'request.size.invalid',
      'unreadable-body',
      400,
      'Bad request body',
      'The request body could not be read.',
    ],
    [
      'stream.encoding.set',
      'unreadable-body',
      400,
      'Bad request body',
      'The request body could not be read.',
    ],
  ])('answers %s with %s (%i) problem+json', async (type, slug, status, title, detail) => {
    const r = await request(failingApp(type)).post('/');
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const body = { type: `https://resil.dev/problems/${slug}`, title, status, detail };
    expect(JSON.parse(r.text)).toEqual(body);
    // the same body, for an app that answers it itself
    expect(bodyErrorProblem(Object.assign(new Error('Jane Doe secret'), { type }))).toEqual(body);
  });

  it('bodyErrorProblem: undefined for anything that is not a body-parser error it knows', () => {
    for (const err of [null, undefined, 'entity.too.large', {}, { type: 'entity.verify.failed' }])
      expect(bodyErrorProblem(err)).toBeUndefined();
  });

  it.each([
    ['another type', 'entity.verify.failed'],
    ['no type', undefined],
  ])('passes an error with %s to the next error handler', async (_name, type) => {
    const r = await request(failingApp(type)).post('/');
    expect(r.status).toBe(599);
  });

  it('passes on non-object errors and errors after the headers were sent', () => {
    const handler = bodyErrors();
    const seen: unknown[] = [];
    const res = {
      headersSent: false,
      status() {
        throw new Error('must not answer');
      },
    } as unknown as express.Response;
    handler('entity.too.large', {} as express.Request, res, (e?: unknown) => seen.push(e));
    handler(null, {} as express.Request, res, (e?: unknown) => seen.push(e));
    handler(undefined, {} as express.Request, res, (e?: unknown) => seen.push(e));
    const sent = { ...res, headersSent: true } as unknown as express.Response;
    const err = { type: 'entity.too.large' };
    handler(err, {} as express.Request, sent, (e?: unknown) => seen.push(e));
    expect(seen).toEqual(['entity.too.large', null, undefined, err]);
  });
});
