import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import request from 'supertest';
import { isDangerousKey, type SanitizeRequestOptions, sanitizeRequest } from '../../src';

/**
 * sanitizeRequest's contract pinned exactly: option checks (error class and message), limits at
 * their boundaries, the problem+json bodies, and what it does to the request object. The
 * middleware is called directly where HTTP would hide the difference.
 */

interface Outcome {
  next: unknown[];
  status?: number;
  type?: string;
  body?: unknown;
}

/** Runs the middleware on a plain request object and records what it did. */
function run(options: SanitizeRequestOptions, req: Record<PropertyKey, unknown>): Outcome {
  const outcome: Outcome = { next: [] };
  // What core's sendProblem uses of a response (Node's ServerResponse and Express's fit).
  const res = {
    headersSent: false,
    statusCode: 200,
    setHeader(name: string, value: string) {
      if (name.toLowerCase() === 'content-type') outcome.type = value;
    },
    end(text: string) {
      outcome.status = res.statusCode;
      outcome.body = JSON.parse(text);
      res.headersSent = true;
    },
  };
  sanitizeRequest(options)(
    req as unknown as Request,
    res as unknown as Response,
    ((err?: unknown) => outcome.next.push(err)) as NextFunction,
  );
  return outcome;
}

/** The problem type slug of each refusal (https://resil.dev/problems/<slug>). */
const SLUG: Record<string, string> = {
  'Request field too long': 'field-too-long',
  'Request has too many fields': 'too-many-fields',
  'Request too deeply nested': 'too-deeply-nested',
  'Repeated query parameter': 'repeated-query-parameter',
};

const refused = (status: number, title: string, detail: string): Outcome => ({
  next: [],
  status,
  type: 'application/problem+json; charset=utf-8',
  body: { type: `https://resil.dev/problems/${SLUG[title]}`, title, status, detail },
});

describe('sanitizeRequest options', () => {
  it.each([
    [null, TypeError, 'sanitizeRequest: options must be an object'],
    ['x', TypeError, 'sanitizeRequest: options must be an object'],
    [{ depth: 3 }, TypeError, 'sanitizeRequest: unknown option "depth"'],
    [{ sanitize: 'x' }, TypeError, 'sanitizeRequest: sanitize must be a function'],
    [
      { parts: 'body' },
      TypeError,
      "sanitizeRequest: parts must be an array of 'body', 'query', 'params'",
    ],
    [
      { parts: ['body', 'headers'] },
      TypeError,
      "sanitizeRequest: parts must be an array of 'body', 'query', 'params'",
    ],
    [{ maxDepth: 0 }, RangeError, 'sanitizeRequest: maxDepth must be an integer >= 1'],
    [{ maxDepth: 1.5 }, RangeError, 'sanitizeRequest: maxDepth must be an integer >= 1'],
    [{ maxKeys: 0 }, RangeError, 'sanitizeRequest: maxKeys must be an integer >= 1'],
    [{ maxKeys: 2.5 }, RangeError, 'sanitizeRequest: maxKeys must be an integer >= 1'],
    [
      { maxStringLength: 0 },
      RangeError,
      'sanitizeRequest: maxStringLength must be an integer >= 1',
    ],
    [
      { maxStringLength: Number.NaN },
      RangeError,
      'sanitizeRequest: maxStringLength must be an integer >= 1',
    ],
    [
      { parameterPollution: 'all' },
      RangeError,
      "sanitizeRequest: parameterPollution must be one of 'first', 'last', 'reject', 'keep'",
    ],
    [
      { parameterPollution: 1 },
      TypeError,
      "sanitizeRequest: parameterPollution must be one of 'first', 'last', 'reject', 'keep'",
    ],
    [{ maxDepth: '3' }, TypeError, 'sanitizeRequest: maxDepth must be an integer >= 1'],
    [{ options: 1 }, TypeError, 'sanitizeRequest: unknown option "options"'],
    [
      { maxDept: 3 },
      TypeError,
      'sanitizeRequest: unknown option "maxDept" (did you mean "maxDepth"?)',
    ],
  ])('refuses %j with %p: %s', (options, kind, message) => {
    expect(() => sanitizeRequest(options as never)).toThrow(kind);
    expect(() => sanitizeRequest(options as never)).toThrow(message);
    // core's option checks: the option named in `option`, a RESIL_CORE_OPTION_* code
    let error: unknown;
    try {
      sanitizeRequest(options as never);
    } catch (e) {
      error = e;
    }
    expect((error as { code: string }).code).toMatch(/^RESIL_CORE_OPTION_(TYPE|RANGE|UNKNOWN)$/);
  });

  it('accepts the smallest limits (1) and every known option', () => {
    expect(() =>
      sanitizeRequest({
        sanitize: (v) => v,
        maxStringLength: 1,
        parts: [],
        maxDepth: 1,
        maxKeys: 1,
        parameterPollution: 'keep',
        arrayParams: ['a'],
      }),
    ).not.toThrow();
    for (const p of ['first', 'last', 'reject', 'keep'] as const)
      expect(() => sanitizeRequest({ parameterPollution: p })).not.toThrow();
  });
});

describe('sanitizeRequest limits', () => {
  it('maxDepth: nesting up to maxDepth levels passes, one more answers 400', () => {
    const twoLevels = { a: { b: 'x' } }; // objects at depth 0 and 1
    expect(run({ maxDepth: 2 }, { body: twoLevels }).next).toEqual([undefined]);
    expect(run({ maxDepth: 1 }, { body: twoLevels })).toEqual(
      refused(400, 'Request too deeply nested', 'Nesting deeper than 1 levels is not accepted.'),
    );
    expect(run({ maxDepth: 1 }, { body: [['x']] }).status).toBe(400); // arrays count as levels
    expect(run({ maxDepth: 1 }, { body: { a: 'x' } }).next).toEqual([undefined]);
  });

  it('maxKeys: exactly maxKeys keys and items pass, one more answers 413; the count spans the part', () => {
    expect(run({ maxKeys: 3 }, { body: { a: 1, b: 2, c: 3 } }).next).toEqual([undefined]);
    expect(run({ maxKeys: 3 }, { body: { a: 1, b: [1] } }).next).toEqual([undefined]);
    const tooMany = refused(
      413,
      'Request has too many fields',
      'More than 3 fields and items are not accepted.',
    );
    expect(run({ maxKeys: 3 }, { body: { a: 1, b: 2, c: 3, d: 4 } })).toEqual(tooMany);
    expect(run({ maxKeys: 3 }, { body: [1, 2, 3, 4] })).toEqual(tooMany);
    expect(run({ maxKeys: 3 }, { body: { a: { b: 1, c: 2 }, d: 1 } })).toEqual(tooMany);
    // each part has its own budget
    expect(
      run({ maxKeys: 3 }, { body: { a: 1, b: 2, c: 3 }, query: { d: '1', e: '2', f: '3' } }).next,
    ).toEqual([undefined]);
  });

  it('maxStringLength: a leaf or key of exactly that length passes, one more answers 413', () => {
    const tooLong = refused(
      413,
      'Request field too long',
      'A field or key longer than 3 characters is not accepted.',
    );
    expect(run({ maxStringLength: 3 }, { body: { abc: 'xyz' } }).next).toEqual([undefined]);
    expect(run({ maxStringLength: 3 }, { body: { a: 'wxyz' } })).toEqual(tooLong);
    expect(run({ maxStringLength: 3 }, { body: { abcd: 'x' } })).toEqual(tooLong);
    expect(run({ maxStringLength: 3 }, { body: 'wxyz' })).toEqual(tooLong);
  });
});

describe('sanitizeRequest key checks', () => {
  it('drops a dangerous key before sanitising it, whatever sanitize would make of it', () => {
    const lengths: number[] = [];
    const strip = (v: string) => {
      lengths.push(v.length);
      return v.replaceAll('$', '').replaceAll('.', '');
    };
    const req: Record<PropertyKey, unknown> = {
      body: { $ne: 1, 'a.b': 2, [`$${'x'.repeat(20)}`]: 3, ok: 4 },
    };
    expect(run({ sanitize: strip, maxStringLength: 5 }, req).next).toEqual([undefined]);
    expect(req.body).toEqual({ ok: 4 });
    expect(lengths).toEqual([2]); // only "ok" reached sanitize: the long "$x…" key was not a 413
  });
});

describe('sanitizeRequest errors from sanitize', () => {
  it('a SanitizeError-shaped error with another code goes to next(err), not a 413', () => {
    const err = Object.assign(new Error('x'), { code: 'RESIL_SANITIZE_OTHER' });
    const out = run(
      {
        sanitize: () => {
          throw err;
        },
      },
      { body: { a: 'x' } },
    );
    expect(out).toEqual({ next: [err] });
  });

  it('a plain Error from sanitize goes to next(err)', () => {
    const err = new Error('boom');
    expect(
      run(
        {
          sanitize: () => {
            throw err;
          },
        },
        { body: 'x' },
      ),
    ).toEqual({ next: [err] });
  });

  it("answers for an app-level hook's refusal made by another copy of the package (by name)", () => {
    const foreign = Object.assign(new Error('t'), {
      name: 'ResilSanitizeRefusal',
      slug: 'field-too-long',
      status: 413,
      title: 'Request field too long',
      detail: 'A field or key longer than 5 characters is not accepted.',
    });
    const req = { params: {} } as Record<PropertyKey, unknown>;
    Object.defineProperty(req, Symbol.for('@resil/sanitize.paramsRefused'), { value: foreign });
    expect(run({}, req)).toEqual(
      refused(
        413,
        'Request field too long',
        'A field or key longer than 5 characters is not accepted.',
      ),
    );
    // a plain object with that name is not an Error: not a refusal either
    const plain = { ...foreign, name: 'ResilSanitizeRefusal' };
    const req3 = { params: {} } as Record<PropertyKey, unknown>;
    Object.defineProperty(req3, Symbol.for('@resil/sanitize.paramsRefused'), { value: plain });
    expect(run({}, req3)).toEqual({ next: [plain] });
    const other = new Error('not a refusal');
    const req2 = { params: {} } as Record<PropertyKey, unknown>;
    Object.defineProperty(req2, Symbol.for('@resil/sanitize.paramsRefused'), { value: other });
    expect(run({}, req2)).toEqual({ next: [other] });
  });
});

describe('sanitizeRequest and the request object', () => {
  it('leaves a part that is absent absent, and values that are not strings or objects as they are', () => {
    const req: Record<PropertyKey, unknown> = { query: { n: '1' } };
    expect(run({ parts: ['body', 'query'] }, req).next).toEqual([undefined]);
    expect(Object.hasOwn(req, 'body')).toBe(false);
    const date = new Date(0);
    const buf = Buffer.from('<b>');
    const body = { n: 1, f: false, z: null, u: undefined, d: date, b: buf, big: 2n };
    const req2: Record<PropertyKey, unknown> = { body };
    run({ parts: ['body'] }, req2);
    const cleaned = req2.body as Record<string, unknown>;
    expect(cleaned).toEqual({ n: 1, f: false, z: null, u: undefined, d: date, b: buf, big: 2n });
    expect(cleaned.d).toBe(date);
    expect(cleaned.b).toBe(buf);
    expect(cleaned).not.toBe(body); // rebuilt
  });

  it('de-pollutes only the query: arrays in the body and params stay arrays', () => {
    const req: Record<PropertyKey, unknown> = {
      body: { a: ['1', '2'] },
      params: { b: ['3', '4'] },
    };
    expect(run({}, req).next).toEqual([undefined]);
    expect([req.body, req.params]).toEqual([{ a: ['1', '2'] }, { b: ['3', '4'] }]);
  });

  it('counts the params it finds at once against maxKeys', () => {
    expect(run({ maxKeys: 1 }, { params: { a: '1', b: '2' } }).status).toBe(413);
  });

  it('only the parts listed are touched', () => {
    const req: Record<PropertyKey, unknown> = { body: { a: '<b>x' }, query: { q: '<b>y' } };
    run({ parts: ['query'] }, req);
    expect(req).toEqual({ body: { a: '<b>x' }, query: { q: 'y' } });
  });

  it('replaces each part with a writable, enumerable, configurable own property', () => {
    const req: Record<PropertyKey, unknown> = {};
    Object.defineProperty(req, 'query', { get: () => ({ q: '<b>x' }), configurable: true });
    run({ parts: ['query'] }, req);
    expect(Object.getOwnPropertyDescriptor(req, 'query')).toEqual({
      value: { q: 'x' },
      writable: true,
      enumerable: true,
      configurable: true,
    });
  });

  it('builds keys as writable, enumerable, configurable own data properties', () => {
    const req: Record<PropertyKey, unknown> = { body: JSON.parse('{"__proto__":1,"<b>k":"v"}') };
    run({ parts: ['body'] }, req);
    expect(Object.getOwnPropertyDescriptors(req.body)).toEqual({
      k: { value: 'v', writable: true, enumerable: true, configurable: true },
    });
  });

  it('sanitises keys and leaves of arrays inside objects inside arrays', () => {
    const req: Record<PropertyKey, unknown> = {
      body: [{ '<i>a': ['<b>x', { '"q"': 'y\u0000' }] }],
    };
    run({ parts: ['body'] }, req);
    expect(req.body).toEqual([{ a: ['x', { '\u201dq\u201d': 'y' }] }]);
  });
});

describe('sanitizeRequest query parameters', () => {
  const q = (options: SanitizeRequestOptions, query: unknown) => {
    const req: Record<PropertyKey, unknown> = { query };
    const out = run({ ...options, parts: ['query'] }, req);
    return out.status === undefined ? req.query : out;
  };

  it("'keep' keeps every repeated parameter as an array", () => {
    expect(q({ parameterPollution: 'keep' }, { a: ['1', '2'], b: '3' })).toEqual({
      a: ['1', '2'],
      b: '3',
    });
  });

  it("'first' and 'last' pick one value; single values pass unchanged", () => {
    expect(q({ parameterPollution: 'first' }, { a: ['1', '2', '3'], b: '4' })).toEqual({
      a: '1',
      b: '4',
    });
    expect(q({}, { a: ['1', '2', '3'], b: '4' })).toEqual({ a: '3', b: '4' });
  });

  it("'reject' answers 400, except for arrayParams", () => {
    expect(q({ parameterPollution: 'reject' }, { a: ['1', '2'] })).toEqual(
      refused(400, 'Repeated query parameter', 'A query parameter was given more than once.'),
    );
    expect(
      q({ parameterPollution: 'reject', arrayParams: ['a'] }, { a: ['1', '2'], b: '3' }),
    ).toEqual({
      a: ['1', '2'],
      b: '3',
    });
    expect(q({ parameterPollution: 'reject' }, { b: '3' })).toEqual({ b: '3' });
  });

  it('the de-pollution rebuilds with own data properties (a cleaned key cannot reach a setter)', () => {
    const out = q({ parameterPollution: 'first' }, { a: ['1', '2'] }) as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, 'a')).toEqual({
      value: '1',
      writable: true,
      enumerable: true,
      configurable: true,
    });
  });

  it('a query that is not a plain object is sanitised but not de-polluted', () => {
    expect(q({}, ['<b>1', '2'])).toEqual(['1', '2']);
    expect(q({}, '<b>x')).toBe('x');
    expect(q({}, null)).toBeNull();
  });
});

describe('sanitizeRequest params hook', () => {
  it('sanitises params assigned after it ran, and the params it saw at once', () => {
    const req: Record<PropertyKey, unknown> = { params: { id: '<b>7' } };
    expect(run({}, req).next).toEqual([undefined]);
    expect(req.params).toEqual({ id: '7' });
    req.params = { id: '<i>8', $where: '1' };
    expect(req.params).toEqual({ id: '8' });
    expect(Object.getOwnPropertyDescriptor(req, 'params')?.enumerable).toBe(true);
  });

  it('starts from {} when the request has no params yet', () => {
    const req: Record<PropertyKey, unknown> = {};
    run({}, req);
    expect(req.params).toEqual({});
  });

  it('a refused assignment becomes {}, and the next good one clears the refusal', () => {
    const req: Record<PropertyKey, unknown> = {};
    run({ maxStringLength: 3 }, req);
    req.params = { id: 'abcd' };
    expect(req.params).toEqual({});
    req.params = { id: 'abc' };
    expect(req.params).toEqual({ id: 'abc' });
    // a route-level instance afterwards sees no refusal
    expect(run({ maxStringLength: 3, parts: ['params'] }, req).next).toEqual([undefined]);
  });

  it('a route-level instance answers for the refusal the hook recorded', () => {
    const req: Record<PropertyKey, unknown> = {};
    run({ maxStringLength: 3 }, req);
    req.params = { id: 'abcd' };
    // recorded as an Error named ResilSanitizeRefusal: what another copy of the package checks
    const recorded = req[Symbol.for('@resil/sanitize.paramsRefused')];
    expect(recorded).toBeInstanceOf(Error);
    expect((recorded as Error).name).toBe('ResilSanitizeRefusal');
    expect(run({ parts: ['params'] }, req)).toEqual(
      refused(
        413,
        'Request field too long',
        'A field or key longer than 3 characters is not accepted.',
      ),
    );
  });

  it('a second instance assigns through the first hook: both sets of rules apply', () => {
    const req: Record<PropertyKey, unknown> = {};
    run({}, req);
    run({ sanitize: (v) => v.toUpperCase(), parts: ['params'] }, req);
    req.params = { id: '<b>ab' };
    // the hook of the first instance sanitised it; the second instance uppercased the keys too
    // only when it ran, so a later assignment goes through the first instance's rules alone
    expect(req.params).toEqual({ id: 'ab' });
    const req2: Record<PropertyKey, unknown> = { params: { id: 'ab' } };
    run({}, req2);
    run({ sanitize: (v) => v.toUpperCase(), parts: ['params'] }, req2);
    expect(req2.params).toEqual({ ID: 'AB' });
  });

  it('on a request whose params hook another copy installed, assigns through that hook', () => {
    const assigned: unknown[] = [];
    const req: Record<PropertyKey, unknown> = {};
    Object.defineProperty(req, 'params', {
      get: () => ({ id: '<b>1' }),
      set: (v: unknown) => assigned.push(v),
      configurable: true,
    });
    Object.defineProperty(req, Symbol.for('@resil/sanitize.paramsHook'), { value: true });
    expect(run({}, req).next).toEqual([undefined]);
    expect(assigned).toEqual([{ id: '1' }]);
  });

  it('leaves the params accessor and its marks configurable (a later copy may redefine them)', () => {
    const req: Record<PropertyKey, unknown> = {};
    run({}, req);
    for (const key of [
      'params',
      Symbol.for('@resil/sanitize.paramsHook'),
      Symbol.for('@resil/sanitize.paramsRefused'),
    ])
      expect([key, Object.getOwnPropertyDescriptor(req, key)?.configurable]).toEqual([key, true]);
    expect(req[Symbol.for('@resil/sanitize.paramsHook')]).toBe(true);
  });

  it('over HTTP: the router assignment goes through the hook', async () => {
    const app = express();
    const seen: unknown[] = [];
    app.use(sanitizeRequest());
    app.get('/x/:id', (req, res) => {
      seen.push(req.params);
      res.status(204).end();
    });
    await request(app).get('/x/%3Cb%3E9').expect(204);
    expect(seen).toEqual([{ id: '9' }]);
  });
});

describe('isDangerousKey', () => {
  it.each([
    ['$ne', true],
    ['$', true],
    ['a$', false],
    ['a.b', true],
    ['.', true],
    ['a', false],
    ['__proto__', true],
    ['constructor', true],
    ['prototype', true],
    ['Constructor', false],
    ['proto', false],
    ['', false],
  ])('%j → %p', (key, dangerous) => {
    expect(isDangerousKey(key)).toBe(dangerous);
  });
});

describe('sanitizeRequest query parameters without arrayParams', () => {
  // Appended at the end (not next to the other query tests) so that the lines of the tests
  // above, which key Stryker's incremental results, do not move.
  it.each([['a'], ['ids'], ['Stryker was here'], ['']])(
    'no parameter keeps its array by default, whatever its name: %j',
    (name) => {
      const req: Record<PropertyKey, unknown> = { query: { [name]: ['1', '2'] } };
      expect(run({ parts: ['query'] }, req).next).toEqual([undefined]);
      expect(req.query).toEqual({ [name]: '2' });
    },
  );
});
