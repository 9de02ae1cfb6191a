// The request parsers called directly (issue #23): the Idempotency-Key header and the sorted
// request target that goes into the fingerprint.
import type { Request } from 'express';
import { parseIdempotencyKey } from '../../src';
import { target } from '../../src/middleware';

const req = (url: string, baseUrl = '', path = url.split('?')[0] as string) =>
  ({ originalUrl: url, url, baseUrl, path }) as Request;

describe('parseIdempotencyKey', () => {
  it('parseIdempotencyKey: bounds, whitespace, quoting', () => {
    expect(parseIdempotencyKey('a'.repeat(255))).toBe('a'.repeat(255));
    expect(parseIdempotencyKey('a'.repeat(256))).toBeUndefined();
    expect(parseIdempotencyKey(`"${'a'.repeat(255)}"`)).toBe('a'.repeat(255));
    expect(parseIdempotencyKey(`"${'a'.repeat(256)}"`)).toBeUndefined();
    expect(parseIdempotencyKey('  k \t')).toBe('k');
    expect(parseIdempotencyKey('""')).toBeUndefined();
    expect(parseIdempotencyKey('')).toBeUndefined();
    expect(parseIdempotencyKey('"a b"')).toBe('a b');
    expect(parseIdempotencyKey('a b')).toBeUndefined();
    expect(parseIdempotencyKey('"a\\\\b"')).toBe('a\\b');
    expect(parseIdempotencyKey('"a\\"b"')).toBe('a"b');
    expect(parseIdempotencyKey('"\\\\\\""')).toBe('\\"');
    expect(parseIdempotencyKey('"a\\b"')).toBeUndefined();
    expect(parseIdempotencyKey('"a"b"')).toBeUndefined();
    expect(parseIdempotencyKey('x"a"')).toBe('x"a"');
    expect(parseIdempotencyKey('"a" ')).toBe('a');
    expect(parseIdempotencyKey('\u007f')).toBeUndefined();
    expect(parseIdempotencyKey('~!')).toBe('~!');
  });
});

describe('target (path and sorted query of the fingerprint)', () => {
  it('is the mount path and path, without a query when there is none', () => {
    expect(target(req('/h'))).toBe('/h');
    expect(target(req('/api/h', '/api', '/h'))).toBe('/api/h');
  });

  it('sorts parameters by name, keeps the order of repeated names, and normalises encoding', () => {
    expect(target(req('/h?b=2&a=1'))).toBe('/h?a=1&b=2');
    expect(target(req('/h?a=2&b=1&a=1'))).toBe('/h?a=2&a=1&b=1');
    expect(target(req('/h?B=1&a=1&_=1'))).toBe('/h?B=1&_=1&a=1'); // UTF-16 code unit order
    expect(target(req('/h?x=a%20b&y=%7E'))).toBe('/h?x=a+b&y=%7E');
    expect(target(req('/h?'))).toBe('/h?');
    expect(target(req('/h?a'))).toBe('/h?a=');
  });

  it('the same parameters in any order give the same target; other values do not', () => {
    expect(target(req('/h?z=1&m=2&a=3'))).toBe(target(req('/h?a=3&z=1&m=2')));
    expect(target(req('/h?amount=1'))).not.toBe(target(req('/h?amount=10')));
  });

  it('falls back to req.url without originalUrl', () => {
    expect(target({ url: '/h?b=1&a=2', baseUrl: '', path: '/h' } as Request)).toBe('/h?a=2&b=1');
  });
});
