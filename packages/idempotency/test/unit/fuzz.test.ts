// Issue #23: the middleware fuzzed over HTTP with the memory store (see test/fuzz/harness.ts for
// the properties). Default runs keep it short; FUZZ_RUNS=5000 npx jest test/unit/fuzz.test.ts for more.
import fc from 'fast-check';
import { parseIdempotencyKey } from '../../src';
import { FUZZ_RUNS, fuzzApp, fuzzProperty, runHostile } from '../fuzz/harness';

describe('#23 fuzzing (memory store)', () => {
  it('hostile fixed cases: no 5xx, nothing reflected, replays identical, no prototype pollution', async () => {
    await runHostile(() => fuzzApp({}));
  });

  it(
    'random requests: never a 5xx, never a hang, nothing reflected, replays byte-identical',
    fuzzProperty(() => fuzzApp({})),
  );

  it('parseIdempotencyKey returns 1-255 printable ASCII characters or undefined, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (raw) => {
        const key = parseIdempotencyKey(raw);
        if (key !== undefined) {
          expect(key.length).toBeGreaterThanOrEqual(1);
          expect(key.length).toBeLessThanOrEqual(255);
          expect(key).toMatch(/^[\x20-\x7e]+$/);
        }
      }),
      { numRuns: FUZZ_RUNS * 5 },
    );
  });

  it('parseIdempotencyKey: a key and its quoted form are the same key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 255 }), (k) => {
        const quoted = `"${k.replace(/["\\]/g, '\\$&')}"`;
        expect(parseIdempotencyKey(quoted)).toBe(k);
        if (/^[\x21-\x7e]+$/.test(k) && !k.startsWith('"')) expect(parseIdempotencyKey(k)).toBe(k);
      }),
      { numRuns: FUZZ_RUNS * 5 },
    );
  });
});
