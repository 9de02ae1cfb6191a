import express from 'express';
import request from 'supertest';
import { sanitizeRequest } from '../../src/request';

/**
 * The params hook must not make functions per request: V8 keeps an accessor's functions in the
 * object's hidden class, so a getter made per request gives every request a class of its own and
 * slows every later property access on it (Express, validators, the handler).
 */
describe('sanitizeRequest: the params hook is shared by every request', () => {
  it('installs the same accessor functions on every request, and they still sanitise', async () => {
    const seen: Array<PropertyDescriptor | undefined> = [];
    const app = express();
    app.use(sanitizeRequest());
    app.get('/p/:id', (req, res) => {
      seen.push(Object.getOwnPropertyDescriptor(req, 'params'));
      res.json({ id: req.params.id });
    });
    const a = await request(app).get('/p/%3Cb%3Ex%3C%2Fb%3E');
    const b = await request(app).get('/p/plain');
    expect([a.body, b.body]).toEqual([{ id: 'x' }, { id: 'plain' }]);
    const [d1, d2] = seen;
    expect(typeof d1?.get).toBe('function');
    expect(d1?.get).toBe(d2?.get);
    expect(d1?.set).toBe(d2?.set);
  });

  it('shares the refusal accessor too, and a refused assignment reads back as its refusal', async () => {
    const refusedKey = Symbol.for('@resil/sanitize.paramsRefused');
    const got: unknown[] = [];
    const app = express();
    app.use(sanitizeRequest({ maxStringLength: 5 }));
    app.get('/p/:id', (req, res) => {
      got.push(Object.getOwnPropertyDescriptor(req, refusedKey)?.get);
      got.push((req as unknown as Record<symbol, unknown>)[refusedKey] !== undefined);
      res.json({ params: req.params });
    });
    const long = await request(app).get('/p/abcdefgh');
    const short = await request(app).get('/p/abc');
    expect([long.body, short.body]).toEqual([{ params: {} }, { params: { id: 'abc' } }]);
    expect(typeof got[0]).toBe('function');
    expect(got[0]).toBe(got[2]);
    expect([got[1], got[3]]).toEqual([true, false]);
  });
});
