import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { isPlainInput, refuseHiddenKeys } from '../../src/guard';
import { isVisibleText } from '../../src/validation';

describe('isPlainInput', () => {
  it('accepts plain JSON-like values, null-prototype objects and arrays', () => {
    expect(isPlainInput({ a: 1, b: [1, { c: 'x' }], d: null })).toBe(true);
    expect(isPlainInput(Object.assign(Object.create(null), { id: 'x' }))).toBe(true);
    expect(isPlainInput(undefined)).toBe(true);
    expect(isPlainInput('text')).toBe(true);
  });

  it.each([
    ['an operator key', { $ne: 1 }],
    ['a nested operator key', { a: [{ b: { $gt: '' } }] }],
    ['a dotted key', { 'a.b': 1 }],
    ['an own __proto__ key', JSON.parse('{"__proto__":{"x":1}}')],
    ['a constructor key', { constructor: { prototype: {} } }],
    ['an object with a borrowed prototype', Object.create({ isAdmin: true })],
    ['a class instance', new Date()],
    ['a symbol key', { [Symbol('s')]: 1 }],
  ])('refuses %s', (_label, value) => {
    expect(isPlainInput(value)).toBe(false);
    expect(isPlainInput({ wrapped: [value] })).toBe(false);
  });

  it('refuses what is deeper or larger than its bounds instead of walking it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { a: deep };
    expect(isPlainInput(deep)).toBe(false);
    expect(isPlainInput({ a: Array.from({ length: 20_000 }, () => 0) })).toBe(false);
  });
});

describe('isVisibleText', () => {
  it.each(['a', '李', 'é', 'e\u0301', '\u200bA', '1', '&', 'بیمارستان\u200cها', 'A\ud800'])(
    'is true for %j',
    (s) => expect(isVisibleText(s)).toBe(true),
  );
  it.each([
    '',
    ' ',
    '\u200b',
    '\u202e',
    '\ufeff',
    '\u00ad',
    '\u3164',
    '\u0301',
    '\u2800',
    '\t\n',
    '\udc00',
    '\ud800\u200b',
  ])('is false for %j', (s) => expect(isVisibleText(s)).toBe(false));
});

describe('refuseHiddenKeys in front of a handler, behind a sanitiser that lets keys through', () => {
  // The sanitiser the demo used before @resil/sanitize checked cleaned keys: a key is checked,
  // then cleaned, and written with `out[key] = ...` (so "__<b>proto__" sets the prototype).
  const leakySanitiser = (req: Request, _res: Response, next: NextFunction) => {
    const clean = (k: string) => k.replace(/<[^>]*>/g, '');
    const walk = (v: unknown): unknown => {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[clean(k)] = walk(x);
      return out;
    };
    req.body = walk(req.body);
    next();
  };
  const seen: unknown[] = [];
  const app = express();
  app.use(express.json(), leakySanitiser, refuseHiddenKeys());
  app.post('/', (req, res) => {
    seen.push(req.body);
    res.status(201).end();
  });

  it.each([
    ['<x>$ne', '{"<x>$ne":1}'],
    ['__<b>proto__', '{"__<b>proto__":{"isAdmin":true}}'],
  ])('answers 400 problem+json for %s and the handler never runs', async (_label, body) => {
    seen.length = 0;
    const res = await request(app).post('/').set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.text).not.toMatch(/__proto__|<x>|\$ne|isAdmin/);
    expect(seen).toEqual([]);
  });
});
