/**
 * The breadth of one value is bounded: an object with 100,000 keys (a hostile JSON body logged
 * whole, a map keyed by record id) cost about 15 µs a key to redact, 1.5 s for one log call.
 * `maxItems` (default 2,000) bounds the entries walked in one value and the fields of one record;
 * what is past it is dropped and counted, never written unscanned.
 */

import winston from 'winston';
import { createRedactor, SafeLogger, safeFormat } from '../../src';
import { capture } from './capture';

const wide = (n: number, value: (i: number) => unknown = (i) => i) => {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) o[`k${i}`] = value(i);
  return o;
};

describe('maxItems', () => {
  it('an object past the limit keeps its first keys and counts the rest', () => {
    const out = createRedactor().value(wide(10_000)) as Record<string, unknown>;
    expect(Object.keys(out)).toHaveLength(2_001);
    expect(out.k0).toBe(0);
    expect(out.k1999).toBe(1999);
    expect(out.k2000).toBeUndefined();
    expect(out['[Truncated]']).toBe('8000 more keys');
  });

  it('an array past the limit keeps its first items and counts the rest', () => {
    const r = createRedactor({ maxItems: 10 });
    const out = r.value(Array.from({ length: 25 }, (_, i) => `078-05-11${i + 10}`)) as string[];
    expect(out).toHaveLength(11);
    expect(out.slice(0, 10).every((v) => v === '[REDACTED:ssn]')).toBe(true);
    expect(out[10]).toBe('[Truncated 15 items]');
  });

  it('the budget is shared by the whole value, nested objects, arrays, Maps and Sets included', () => {
    const r = createRedactor({ maxItems: 100 });
    const value = {
      a: wide(60),
      b: Array.from({ length: 60 }, (_, i) => i),
      c: new Map(Object.entries(wide(60))),
      d: new Set(Array.from({ length: 60 }, (_, i) => i)),
    };
    const out = r.value(value) as Record<string, unknown>;
    const a = out.a as Record<string, unknown>;
    const b = out.b as unknown[];
    // 4 top-level keys, then 60 of a, then 36 of b; c and d get nothing left
    expect(Object.keys(a)).toHaveLength(60);
    expect(b).toHaveLength(37);
    expect(b[36]).toBe('[Truncated 24 items]');
    expect(out.c).toEqual({ '[Truncated]': '60 more keys' });
    expect(out.d).toEqual(['[Truncated 60 items]']);
  });

  it('each outside call starts with the whole budget', () => {
    const r = createRedactor({ maxItems: 50 });
    for (let i = 0; i < 3; i++) expect(Object.keys(r.value(wide(40)) as object)).toHaveLength(40);
    // a JSON document inside a string is walked within the string's own call
    expect(r.string(JSON.stringify(wide(40, () => 'x')))).not.toContain('Truncated');
  });

  it('nothing past the limit is written, however sensitive', () => {
    const out = JSON.stringify(
      createRedactor({ maxItems: 5 }).value(wide(50, () => 'SSN 078-05-1120')),
    );
    expect(out).not.toContain('1120');
  });

  it('refuses a limit that is not a positive integer', () => {
    for (const maxItems of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => createRedactor({ maxItems })).toThrow(
        new RangeError('maxItems must be a positive integer'),
      );
  });

  it('SafeLogger: a record with 100,000 fields writes 2,000 and counts the rest', () => {
    const c = capture();
    const log = new SafeLogger('t', { transports: [c.transport] });
    log.info('wide', wide(100_000));
    const line = c.lines[0] as Record<string, unknown>;
    expect(line.message).toBe('wide');
    expect(line.level).toBe('info');
    expect(line.logger).toBe('t');
    expect(line['[Truncated]']).toBe('98000 more fields');
    expect(Object.keys(line).filter((k) => k.startsWith('k'))).toHaveLength(2_000);
  });

  it('SafeLogger: the fields of one record share the budget below them', () => {
    const c = capture();
    const log = new SafeLogger('t', { transports: [c.transport], rules: { maxItems: 100 } });
    log.info('two', { a: wide(80), b: wide(80) });
    const line = c.lines[0] as Record<string, Record<string, unknown>>;
    expect(Object.keys(line.a as object)).toHaveLength(80);
    expect(Object.keys(line.b as object)).toHaveLength(21);
    expect(line.b?.['[Truncated]']).toBe('60 more keys');
  });

  it('safeFormat on your own winston logger bounds the record the same way', () => {
    const c = capture();
    const logger = winston.createLogger({
      format: winston.format.combine(safeFormat({ maxItems: 10 }), winston.format.json()),
      transports: [c.transport],
    });
    logger.info('wide', wide(30));
    const line = c.lines[0] as Record<string, unknown>;
    expect(line['[Truncated]']).toBe('20 more fields');
    expect(line.message).toBe('wide');
  });
});

describe('errors with binary or very wide details', () => {
  it('an Error whose errors or details are a typed array is read without walking its bytes', () => {
    const r = createRedactor();
    const e = Object.assign(new Error('upload failed'), {
      errors: new Uint8Array(16),
      details: new Uint8Array(16),
    });
    const out = r.value(e) as Record<string, unknown>;
    expect(out.message).toBe('upload failed');
    expect(JSON.stringify(out)).not.toContain('0,0,0');
    // The cost does not grow with the bytes: 4 MB against 16 bytes (Object.keys of the bytes made
    // it 2 s for 5 MB). CPU time, the least of several rounds, with a wide margin.
    const cost = (bytes: number) => {
      const err = Object.assign(new Error('x'), {
        errors: new Uint8Array(bytes),
        details: new Uint8Array(bytes),
      });
      let least = Number.POSITIVE_INFINITY;
      for (let round = 0; round < 5; round++) {
        const t = process.cpuUsage();
        for (let i = 0; i < 20; i++) r.value(err);
        const u = process.cpuUsage(t);
        least = Math.min(least, u.user + u.system);
      }
      return least;
    };
    cost(16);
    expect(cost(4 * 1024 * 1024)).toBeLessThan(50 * cost(16) + 20_000);
  });

  it('an Error with more own keys than maxItems keeps the first and counts the rest', () => {
    const e = Object.assign(new Error('wide'), wide(30));
    const out = createRedactor({ maxItems: 10 }).value(e) as Record<string, unknown>;
    expect(out.message).toBe('wide');
    expect(out['[Truncated]']).toBe('20 more keys');
    expect(out.k9).toBe(9);
    expect(out.k10).toBeUndefined();
  });
});
