import express from 'express';
import { body, checkExact, oneOf } from 'express-validator';
import request from 'supertest';
import { createSanitizer, validate } from '../../src';

function appWith(mw: express.RequestHandler) {
  const app = express();
  app.use(express.json());
  app.post('/', mw, (_req, res) => {
    res.status(204).end();
  });
  app.use(
    (err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(599).json({ handled: err.message });
    },
  );
  return app;
}

describe('validate', () => {
  it('refuses anything but an array of chains with a TypeError', () => {
    expect(() => validate(body('a') as never)).toThrow(
      new TypeError('validate: chains must be an array of express-validator chains'),
    );
  });

  it('answers 422 with the whole problem+json body: type, title, status, detail, errors', async () => {
    const r = await request(
      appWith(
        validate([
          body('a').isInt().withMessage('a: an integer'),
          body('b').isInt().withMessage('b: an integer'),
        ]),
      ),
    )
      .post('/')
      .send({ a: 'x', b: 'y' });
    expect(r.status).toBe(422);
    expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(r.text)).toEqual({
      type: 'https://resil.dev/problems/validation-failed',
      title: 'Validation failed',
      status: 422,
      detail: '2 field(s) did not pass validation.',
      errors: [
        { field: 'a', message: 'a: an integer' },
        { field: 'b', message: 'b: an integer' },
      ],
    });
  });

  it('runs every chain: a later chain still reports after an earlier one failed', async () => {
    const r = await request(
      appWith(validate([body('a').exists().withMessage('a'), body('b').exists().withMessage('b')])),
    )
      .post('/')
      .send({});
    expect(JSON.parse(r.text).errors).toEqual([
      { field: 'a', message: 'a' },
      { field: 'b', message: 'b' },
    ]);
  });

  it('names a non-field error by its type, and a non-string message "Invalid value"', async () => {
    const r = await request(
      appWith(
        validate([
          oneOf([body('a').exists(), body('b').exists()], {
            message: 'a or b is required',
          }) as never,
          checkExact([body('a').optional()], { message: { rule: 'no unknown fields' } }) as never,
        ]),
      ),
    )
      .post('/')
      .send({ c: 1 });
    expect(r.status).toBe(422);
    expect(JSON.parse(r.text).errors).toEqual([
      { field: 'alternative_grouped', message: 'a or b is required' },
      { field: 'unknown_fields', message: 'Invalid value' },
    ]);
  });

  it('calls next() when every chain passes', async () => {
    const r = await request(appWith(validate([body('a').isInt()])))
      .post('/')
      .send({ a: 1 });
    expect(r.status).toBe(204);
    expect(
      (
        await request(appWith(validate([])))
          .post('/')
          .send({})
      ).status,
    ).toBe(204);
  });

  it("a sanitizer's RESIL_SANITIZE_TOO_LONG answers 413 naming the limit, not the value", async () => {
    const r = await request(
      appWith(validate([body('notes').customSanitizer(createSanitizer({ maxLength: 8 }))])),
    )
      .post('/')
      .send({ notes: 'Jane Patient' });
    expect(r.status).toBe(413);
    expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(r.text)).toEqual({
      type: 'https://resil.dev/problems/field-too-long',
      title: 'Request field too long',
      status: 413,
      detail: 'A field longer than 8 characters is not accepted.',
    });
  });

  it.each([
    ['a plain Error', new Error('boom')],
    [
      'another RESIL_SANITIZE_ code',
      Object.assign(new Error('boom'), { code: 'RESIL_SANITIZE_OTHER' }),
    ],
  ])('passes %s thrown by a chain to the error handler', async (_name, thrown) => {
    const r = await request(
      appWith(
        validate([
          body('a').customSanitizer(() => {
            throw thrown;
          }),
        ]),
      ),
    )
      .post('/')
      .send({ a: 'x' });
    expect([r.status, r.body]).toEqual([599, { handled: 'boom' }]);
  });
});
