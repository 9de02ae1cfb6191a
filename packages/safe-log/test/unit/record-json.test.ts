import fc from 'fast-check';
import winston from 'winston';
import { recordJson } from '../../src/internal/json';

const MESSAGE = Symbol.for('message');
const json = winston.format.json();
/** What logform's json() writes for `record`. */
function logform(record: object): string {
  const info = json.transform({ ...record } as winston.Logform.TransformableInfo, json.options);
  return (info as unknown as Record<symbol, string>)[MESSAGE] as string;
}

describe('recordJson: the same bytes as winston.format.json() (throughput, issue #17)', () => {
  it('on any plain JSON-like value (fast-check)', () => {
    const leaf = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 5e-7),
    );
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
      array: fc.array(tie('tree'), { maxLength: 5 }),
      object: fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('tree'), {
        maxKeys: 6,
      }),
    }));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), tree, { maxKeys: 8 }), (rec) => {
        expect(recordJson(rec)).toBe(logform(rec));
      }),
      { numRuns: 2000 },
    );
  });

  it('sorts keys, drops undefined fields, writes holes and undefined in arrays as null', () => {
    const sparse: unknown[] = [1];
    sparse[3] = 'x';
    const rec = {
      b: 1,
      a: undefined,
      é: [undefined, sparse],
      '\ud800': 'lone \udc00',
      __proto__: null,
    };
    expect(recordJson(rec)).toBe(logform(rec));
    expect(recordJson(rec)).toBe('{"b":1,"é":[null,[1,null,null,"x"]],"\\ud800":"lone \\udc00"}');
  });

  it('gives up (undefined) on anything but plain data, so logform serialises it', () => {
    class Thing {
      a = 1;
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const v of [
      () => 1,
      Symbol('s'),
      10n,
      new Thing(),
      new Date(0),
      { toJSON: () => 'x' },
      new Uint8Array(2),
      cyclic,
    ])
      expect(recordJson({ v })).toBeUndefined();
  });

  it('writes remembered values and keys the same as new ones (repeats, escapes, first or later field, lengths around 256, past 4,096 values)', () => {
    const values = [
      '',
      'a',
      'say "hi"\n',
      '\u0000\ud800',
      'x'.repeat(256),
      'y'.repeat(257),
      '[REDACTED:ssn]',
    ];
    for (let round = 0; round < 3; round++)
      for (const v of values) {
        const rec = { [v.slice(0, 70)]: v, a: v, z: [v, v], n: { [v.slice(0, 70)]: v } };
        expect(recordJson(rec)).toBe(logform(rec));
      }
    for (let i = 0; i < 9000; i++) {
      const rec = { [`k${i % 5000}`]: `v${i}`, b: `v${i % 3}`, c: { [`k${i % 5000}`]: `v${i}` } };
      expect(recordJson(rec)).toBe(logform(rec));
    }
  });
});
