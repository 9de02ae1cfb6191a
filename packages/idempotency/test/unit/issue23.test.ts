// Regression tests for issue #23 (found by the linear-cost tests and the fuzzer), memory store.
import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { canonicalJson, idempotency } from '../../src';

/** The canonical form as it was defined before #23 (recursive), for inputs that it could handle. */
function reference(v: unknown): string {
  if (Buffer.isBuffer(v)) return JSON.stringify(`base64:${v.toString('base64')}`);
  if (Array.isArray(v)) return `[${v.map((x) => reference(x === undefined ? null : x)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

describe('#23 deep bodies', () => {
  it('#23 a JSON body nested 3000 levels deep (6 KB) is fingerprinted and replayed, not answered 500', async () => {
    let runs = 0;
    const app = express();
    app.use(express.json());
    app.use(idempotency({ logger: false }));
    app.post('/h', (_req, res) => {
      runs++;
      res.status(201).json({ runs });
    });
    const deep = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    const send = (body: string) =>
      request(app)
        .post('/h')
        .set('Idempotency-Key', 'deep')
        .set('Content-Type', 'application/json')
        .send(body);
    const first = await send(deep);
    expect(first.status).toBe(201);
    const again = await send(deep);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
    // one level more is another payload
    expect((await send(`[${deep}]`)).status).toBe(422);
    expect(runs).toBe(1);
  });

  it('#23 canonicalJson handles 100000 levels of arrays and objects', () => {
    const n = 100_000;
    expect(canonicalJson(JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`))).toBe(
      `${'['.repeat(n)}${']'.repeat(n)}`,
    );
    expect(canonicalJson(JSON.parse(`${'{"b":'.repeat(n)}1${'}'.repeat(n)}`))).toBe(
      `${'{"b":'.repeat(n)}1${'}'.repeat(n)}`,
    );
  });

  it('canonicalJson gives the same text as the recursive definition for any JSON-like value', () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 6 }), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: Number(process.env.RESIL_FC_MAX_RUNS ?? 300) },
    );
  });

  it('canonicalJson: key order ignored, undefined members dropped (null in arrays), the same object twice is not a cycle, a cycle is a TypeError', () => {
    expect(canonicalJson({ b: [undefined, 2], a: { y: undefined, x: '\u2028' } })).toBe(
      '{"a":{"x":"\u2028"},"b":[null,2]}',
    );
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson(Buffer.from('hi'))).toBe('"base64:aGk="');
    const shared = { s: 1 };
    expect(canonicalJson([shared, { t: shared }])).toBe('[{"s":1},{"t":{"s":1}}]');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
    const loop: unknown[] = [];
    loop.push(loop);
    expect(() => canonicalJson(loop)).toThrow(/circular/);
  });
});
