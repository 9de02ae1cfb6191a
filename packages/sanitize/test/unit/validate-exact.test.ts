import express from 'express';
import { body, query } from 'express-validator';
import request from 'supertest';
import { validate } from '../../src';

// Runs on Express 5 and, with RESIL_EXPRESS=4, on Express 4.

function appWith(mw: express.RequestHandler) {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/', mw, (_req, res) => {
    res.status(204).end();
  });
  return app;
}

const chains = () => [
  body('name').isString().withMessage('name: a string'),
  body('address.city').optional().isString().withMessage('address.city: a string'),
];

describe('validate(chains, { exact: true })', () => {
  it('rejects fields the chains do not name with 422, naming their paths, never their values', async () => {
    const r = await request(appWith(validate(chains(), { exact: true })))
      .post('/')
      .send({ name: 'Ann', role: 'Jane Patient secret', address: { city: 'X', zip: 'HIV+' } });
    expect(r.status).toBe(422);
    expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(r.text)).toEqual({
      type: 'https://resil.dev/problems/validation-failed',
      title: 'Validation failed',
      status: 422,
      detail: '2 field(s) did not pass validation.',
      errors: [
        { field: 'role', message: 'Unknown field' },
        { field: 'address.zip', message: 'Unknown field' },
      ],
    });
    expect(r.text).not.toContain('Jane');
    expect(r.text).not.toContain('HIV');
  });

  it('reports unknown fields next to the failures of the chains, and passes an exact body', async () => {
    const app = appWith(validate(chains(), { exact: true }));
    const r = await request(app).post('/').send({ name: 1, x: 2 });
    expect(JSON.parse(r.text).errors).toEqual([
      { field: 'name', message: 'name: a string' },
      { field: 'x', message: 'Unknown field' },
    ]);
    expect(
      (
        await request(app)
          .post('/')
          .send({ name: 'Ann', address: { city: 'Y' } })
      ).status,
    ).toBe(204);
  });

  it('checks only the locations the chains use (query unknowns are fine for body chains)', async () => {
    const app = express();
    app.use(express.json());
    app.post('/', validate([body('a').optional()], { exact: true }), (_req, res) => {
      res.status(204).end();
    });
    app.get('/', validate([query('q').optional()], { exact: true }), (_req, res) => {
      res.status(204).end();
    });
    expect((await request(app).post('/?debug=1').send({ a: 1 })).status).toBe(204);
    const q = await request(app).get('/?q=1&debug=1');
    expect(q.status).toBe(422);
    expect(JSON.parse(q.text).errors).toEqual([{ field: 'debug', message: 'Unknown field' }]);
  });

  it('without exact (the default), unknown fields pass', async () => {
    expect(
      (
        await request(appWith(validate(chains())))
          .post('/')
          .send({ name: 'Ann', role: 'x' })
      ).status,
    ).toBe(204);
    expect(
      (
        await request(appWith(validate(chains(), { exact: false })))
          .post('/')
          .send({ name: 'Ann', role: 'x' })
      ).status,
    ).toBe(204);
  });

  it('10,000 unknown keys give a bounded answer: the first 20 listed, the count in detail', async () => {
    const huge: Record<string, string> = { name: 'Ann' };
    for (let i = 0; i < 10_000; i++) huge[`k${i}`] = 'v';
    const r = await request(appWith(validate(chains(), { exact: true })))
      .post('/')
      .send(huge);
    expect(r.status).toBe(422);
    const p = JSON.parse(r.text);
    expect(p.detail).toBe('10000 field(s) did not pass validation.');
    expect(p.errors).toHaveLength(20);
    expect(p.errors[0]).toEqual({ field: 'k0', message: 'Unknown field' });
    expect(p.errorsOmitted).toBe(9980);
    expect(r.text.length).toBeLessThan(2000);
  });

  it('a long unknown key is named cut to 100 characters', async () => {
    const r = await request(appWith(validate(chains(), { exact: true })))
      .post('/')
      .send({ name: 'Ann', [`k${'a'.repeat(5000)}`]: 1 });
    const [e] = JSON.parse(r.text).errors;
    expect(e.field).toBe(`k${'a'.repeat(98)}\u2026`);
    expect(e.field).toHaveLength(100);
  });

  it.each([
    ['exact not a boolean', { exact: 'yes' }, TypeError, 'exact'],
    ['an unknown option', { strict: true }, TypeError, 'strict'],
    ['part with chains', { part: 'query' }, RangeError, 'part'],
  ])('refuses %s naming the option', (_what, options, Type, option) => {
    let thrown: unknown;
    try {
      validate(chains(), options as never);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Type);
    expect(thrown).toMatchObject({ option });
  });
});
