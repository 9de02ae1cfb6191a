import { ERROR_CODES, IdempotencyStoreError, isIdempotencyStoreError } from '../../src';

describe('IdempotencyStoreError', () => {
  it('carries its code, message and cause; isIdempotencyStoreError recognises the codes only', () => {
    const e = new IdempotencyStoreError(ERROR_CODES.STORE_FULL, 'full', { cause: 'x' });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('IdempotencyStoreError');
    expect(e.code).toBe('RESIL_IDEMPOTENCY_STORE_FULL');
    expect(e.message).toBe('full');
    expect(e.cause).toBe('x');
    expect(isIdempotencyStoreError(e)).toBe(true);
    expect(isIdempotencyStoreError({ code: 'RESIL_IDEMPOTENCY_NOT_REPLICATED' })).toBe(true);
    expect(isIdempotencyStoreError({ code: 'ECONNRESET' })).toBe(false);
    expect(isIdempotencyStoreError({ code: 5 })).toBe(false);
    expect(isIdempotencyStoreError({})).toBe(false);
    expect(isIdempotencyStoreError(null)).toBe(false);
    expect(isIdempotencyStoreError(undefined)).toBe(false);
  });
});
