import {
  CORE_ERROR_CODES,
  errorCode,
  hasErrorCode,
  isErrorCode,
  isRedisUnavailableError,
  isResilError,
  RedisUnavailableError,
  ResilError,
} from '../../src/index';

describe('errorCode', () => {
  it('builds RESIL_<PACKAGE>_<WHAT>', () => {
    expect(errorCode('ratelimit', 'STORE_DOWN')).toBe('RESIL_RATELIMIT_STORE_DOWN');
  });
  it('rejects a malformed part', () => {
    expect(() => errorCode('rate-limit', 'X')).toThrow(TypeError);
    expect(() => errorCode('core', 'lower')).toThrow(TypeError);
  });
  it('recognises well-formed codes only', () => {
    expect(isErrorCode('RESIL_BREAKER_OPEN')).toBe(true);
    expect(isErrorCode('ECIRCUITOPEN')).toBe(false);
    expect(isErrorCode('RESIL_BREAKER')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});

describe('ResilError', () => {
  it('keeps code, name, message and cause', () => {
    const cause = new Error('low level');
    const err = new ResilError('RESIL_CORE_REDIS_FAILED', 'redis: the command failed', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('RESIL_CORE_REDIS_FAILED');
    expect(err.name).toBe('ResilError');
    expect(err.cause).toBe(cause);
  });
  it('has no own cause when none is given', () => {
    expect(Object.hasOwn(new ResilError('RESIL_CORE_CLOSED', 'x'), 'cause')).toBe(false);
  });
  it('refuses a code outside the scheme', () => {
    expect(() => new ResilError('ECIRCUITOPEN', 'x')).toThrow(TypeError);
  });
  it('is recognised by code, also as a plain object from another copy', () => {
    const foreign = Object.assign(new Error('x'), { code: 'RESIL_BREAKER_OPEN' });
    expect(isResilError(foreign)).toBe(true);
    expect(hasErrorCode(foreign, 'RESIL_BREAKER_OPEN')).toBe(true);
    expect(hasErrorCode(foreign, 'RESIL_BREAKER_TIMEOUT')).toBe(false);
    expect(isResilError({ code: 'RESIL_BREAKER_OPEN' })).toBe(false);
    expect(isResilError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(false);
    expect(hasErrorCode(null)).toBe(false);
  });
});

describe('RedisUnavailableError', () => {
  it.each([
    ['timeout', CORE_ERROR_CODES.REDIS_TIMEOUT],
    ['failed', CORE_ERROR_CODES.REDIS_FAILED],
    ['unavailable', CORE_ERROR_CODES.REDIS_UNAVAILABLE],
    ['closed', CORE_ERROR_CODES.CLOSED],
  ] as const)('maps reason %s to %s', (reason, code) => {
    const err = new RedisUnavailableError(reason);
    expect(err.code).toBe(code);
    expect(err.reason).toBe(reason);
    expect(isRedisUnavailableError(err)).toBe(true);
    expect(isRedisUnavailableError({ code })).toBe(true);
  });
  it('names the time limit of a timeout and keeps the cause of a failure', () => {
    expect(new RedisUnavailableError('timeout', { timeoutMs: 250 }).message).toContain('250 ms');
    const cause = new Error('ECONNRESET');
    expect(new RedisUnavailableError('failed', { cause }).cause).toBe(cause);
  });
  it('is not confused with other errors', () => {
    expect(isRedisUnavailableError(new Error('x'))).toBe(false);
    expect(isRedisUnavailableError(undefined)).toBe(false);
  });
  it('codes all follow the one prefix scheme', () => {
    for (const code of Object.values(CORE_ERROR_CODES)) expect(isErrorCode(code)).toBe(true);
  });
});
