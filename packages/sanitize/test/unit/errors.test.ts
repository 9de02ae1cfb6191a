import { isResilError, ResilError } from '@resil/core';
import { isSanitizeError, SanitizeError } from '../../src';

describe('SanitizeError', () => {
  it('carries name, code, limit, message and cause', () => {
    const cause = new Error('inner');
    const err = new SanitizeError('RESIL_SANITIZE_TOO_LONG', 'too long', 7, { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(ResilError); // core's base class: one error scheme
    expect(isResilError(err)).toBe(true);
    expect({
      name: err.name,
      code: err.code,
      limit: err.limit,
      message: err.message,
      cause: err.cause,
    }).toEqual({
      name: 'SanitizeError',
      code: 'RESIL_SANITIZE_TOO_LONG',
      limit: 7,
      message: 'too long',
      cause,
    });
  });
});

describe('isSanitizeError', () => {
  it('is true for any object whose code starts with RESIL_SANITIZE_ (another installed copy)', () => {
    expect(isSanitizeError(new SanitizeError('RESIL_SANITIZE_TOO_LONG', 'x', 1))).toBe(true);
    expect(isSanitizeError({ code: 'RESIL_SANITIZE_OTHER' })).toBe(true);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'RESIL_SANITIZE_TOO_LONG'],
    ['an error without code', new Error('x')],
    ['a numeric code', { code: 42 }],
    ['another package code', { code: 'RESIL_BREAKER_OPEN' }],
    ['the prefix later in the code', { code: 'X_RESIL_SANITIZE_TOO_LONG' }],
    ['the prefix without its trailing underscore', { code: 'RESIL_SANITIZE' }],
  ])('is false for %s', (_name, value) => {
    expect(isSanitizeError(value)).toBe(false);
  });
});
