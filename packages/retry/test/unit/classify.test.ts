import {
  isAbort,
  isCircuitOpen,
  isRetryable,
  parseRetryAfter,
  RETRYABLE_CODES,
  RETRYABLE_STATUS,
  retryAfterMsOf,
  statusOf,
} from '../../src';
import { describe as describeError } from '../../src/classify';

const coded = (code: string) => Object.assign(new Error('x'), { code });
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('isRetryable', () => {
  it('exports exactly the documented statuses and network codes', () => {
    expect([...RETRYABLE_STATUS].sort()).toEqual([408, 425, 429, 500, 502, 503, 504]);
    expect([...RETRYABLE_CODES].sort()).toEqual(
      [
        'ECONNRESET',
        'ETIMEDOUT',
        'ECONNREFUSED',
        'EAI_AGAIN',
        'EPIPE',
        'ECONNABORTED',
        'EHOSTUNREACH',
        'ENETUNREACH',
        'ENETDOWN',
        'UND_ERR_SOCKET',
        'UND_ERR_CONNECT_TIMEOUT',
        'UND_ERR_HEADERS_TIMEOUT',
        'UND_ERR_BODY_TIMEOUT',
        'UND_ERR_CLOSED',
      ].sort(),
    );
  });

  it.each([
    'ECONNRESET',
    'ETIMEDOUT',
    'ECONNREFUSED',
    'EAI_AGAIN',
    'EPIPE',
    'ECONNABORTED',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ENETDOWN',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_CLOSED',
  ])('retries %s, directly and as a cause', (code) => {
    expect(isRetryable(coded(code))).toBe(true);
    expect(isRetryable(new TypeError('fetch failed', { cause: coded(code) }))).toBe(true);
  });

  it.each([408, 425, 429, 500, 502, 503, 504])('retries HTTP %d', (status) => {
    expect(isRetryable({ status })).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 422, 501, 505])('does not retry HTTP %d', (status) => {
    expect(isRetryable({ status })).toBe(false);
  });

  it('a status decides before any network code, timeout name or message', () => {
    expect(isRetryable({ status: 400, code: 'ECONNRESET' })).toBe(false);
    expect(isRetryable({ status: 404, name: 'TimeoutError' })).toBe(false);
    expect(isRetryable({ status: 400, message: 'socket hang up' })).toBe(false);
  });

  it('a null or primitive cause ends the search without throwing', () => {
    expect(isRetryable(new Error('x', { cause: null }))).toBe(false);
    expect(isRetryable(new Error('x', { cause: 'ECONNRESET' }))).toBe(false);
  });

  it('follows causes three levels deep, not four', () => {
    const chain = (depth: number) => {
      let e: unknown = coded('ECONNRESET');
      for (let i = 0; i < depth; i++) e = new Error('wrap', { cause: e });
      return e;
    };
    expect(isRetryable(chain(3))).toBe(true);
    expect(isRetryable(chain(4))).toBe(false);
  });

  it('retries "socket hang up" only by its exact message', () => {
    expect(isRetryable(new Error('socket hang up'))).toBe(true);
    expect(isRetryable(new Error('socket hang up!'))).toBe(false);
    expect(isRetryable(new Error('x', { cause: new Error('socket hang up') }))).toBe(true);
  });

  it('never retries primitives, a circuit-open error or an abort, whatever their status', () => {
    for (const v of [null, undefined, 'ECONNRESET', 503, true]) expect(isRetryable(v)).toBe(false);
    expect(isRetryable({ code: 'RESIL_BREAKER_OPEN', status: 503 })).toBe(false);
    expect(isRetryable({ name: 'AbortError', status: 503 })).toBe(false);
    expect(isRetryable({ name: 'AbortError', code: 'ECONNRESET' })).toBe(false);
    expect(isRetryable({ name: 'TimeoutError' })).toBe(true);
    expect(isRetryable({ code: 42 })).toBe(false);
  });
});

describe('statusOf', () => {
  it('reads status, then statusCode, then response.status, integers only', () => {
    expect(statusOf({ status: 503, statusCode: 400, response: { status: 401 } })).toBe(503);
    expect(statusOf({ statusCode: 502, response: { status: 401 } })).toBe(502);
    expect(statusOf({ response: { status: 401 } })).toBe(401);
    expect(statusOf({ status: '503', statusCode: 503.5, response: { status: 429 } })).toBe(429);
    expect(statusOf({ response: null })).toBeUndefined();
    expect(statusOf({})).toBeUndefined();
    expect(statusOf(null)).toBeUndefined();
    expect(statusOf(503)).toBeUndefined();
  });
});

describe('isCircuitOpen and isAbort', () => {
  it.each(['ECIRCUITOPEN', 'EOPENBREAKER', 'RESIL_BREAKER_OPEN'])('recognises code %s', (code) => {
    expect(isCircuitOpen({ code })).toBe(true);
  });

  it('recognises the name, and nothing else', () => {
    expect(isCircuitOpen({ name: 'CircuitOpenError' })).toBe(true);
    expect(isCircuitOpen({ name: 'Error', code: 'ECONNRESET' })).toBe(false);
    expect(isCircuitOpen({ code: 1 })).toBe(false);
    expect(isCircuitOpen(null)).toBe(false);
    expect(isCircuitOpen('ECIRCUITOPEN')).toBe(false);
  });

  it('isAbort is true for an AbortError only', () => {
    expect(isAbort(Object.assign(new Error('a'), { name: 'AbortError' }))).toBe(true);
    expect(isAbort(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toBe(false);
    expect(isAbort(null)).toBe(false);
    expect(isAbort('AbortError')).toBe(false);
  });
});

describe('describe (the log cause)', () => {
  it('says the status, else a code, else the cause code, else the class name, else "an error"', () => {
    expect(describeError({ status: 503, code: 'ECONNRESET' })).toBe('HTTP 503');
    expect(describeError({ code: 'ECONNRESET', name: 'Error' })).toBe('ECONNRESET');
    expect(describeError({ code: 'bad code', cause: { code: 'EPIPE' } })).toBe('EPIPE');
    expect(describeError(new TypeError('fetch failed', { cause: coded('UND_ERR_SOCKET') }))).toBe(
      'UND_ERR_SOCKET',
    );
    expect(describeError(new RangeError('x'))).toBe('RangeError');
    expect(describeError({ name: 'patient 123-45-6789' })).toBe('an error');
    expect(describeError({ code: 'A'.repeat(41), cause: { code: 'x y' } })).toBe('an error');
    expect(describeError({ code: 'AB' })).toBe('AB');
    expect(describeError({ code: 'A' })).toBe('an error');
    expect(describeError({ code: `${'A'.repeat(40)}` })).toBe('A'.repeat(40));
    expect(describeError({ name: 'N'.repeat(41) })).toBe('an error');
    expect(describeError({ name: '' })).toBe('an error');
    expect(describeError({ code: 'ECONNRESET\nforged' })).toBe('an error');
    expect(describeError({ name: 'Error x' })).toBe('an error');
    expect(describeError(null)).toBe('an error');
    expect(describeError('oops')).toBe('an error');
  });
});

describe('retryAfterMsOf', () => {
  it('prefers err.headers over err.response.headers, in any casing', () => {
    const err = {
      headers: { 'RETRY-AFTER': '3' },
      response: { headers: { 'retry-after': '7' } },
    };
    expect(retryAfterMsOf(err, NOW)).toBe(3000);
    expect(
      retryAfterMsOf({ headers: {}, response: { headers: { 'Retry-After': '7' } } }, NOW),
    ).toBe(7000);
    expect(
      retryAfterMsOf(
        { headers: new Headers(), response: { headers: new Headers({ 'retry-after': '2' }) } },
        NOW,
      ),
    ).toBe(2000);
  });

  it('ignores values that are not a string or a number, and absent or odd containers', () => {
    for (const headers of [
      { 'retry-after': { toString: () => '5' } },
      { 'retry-after': [5] },
      { 'retry-after': [] },
      { 'retry-after': null },
      { 'x-retry-after': '5' },
      'retry-after: 5',
      null,
      undefined,
      5,
    ]) {
      expect(retryAfterMsOf({ headers }, NOW)).toBeUndefined();
    }
    expect(retryAfterMsOf({ response: null }, NOW)).toBeUndefined();
    expect(retryAfterMsOf(null, NOW)).toBeUndefined();
    expect(retryAfterMsOf('retry-after: 5', NOW)).toBeUndefined();
  });

  it('reads the first matching field only when another field precedes it', () => {
    expect(retryAfterMsOf({ headers: { 'content-type': 'x', 'Retry-After': '4' } }, NOW)).toBe(
      4000,
    );
  });
});

describe('parseRetryAfter', () => {
  const at = (s: string) => parseRetryAfter(s, NOW);
  const VALID = 'Thu, 01 Jan 2026 12:00:30 GMT';

  it('accepts the valid fixdate this suite varies', () => {
    expect(at(VALID)).toBe(30_000);
  });

  it.each([
    [3, 'x'], // ", " after the day name
    [4, 'x'],
    [7, 'x'], // the spaces around the month and the year
    [11, 'x'],
    [16, 'x'],
    [19, '-'], // the time separators
    [22, '-'],
    [25, 'x'], // " GMT"
    [26, 'U'],
    [28, 'X'],
    [0, 'X'], // the day name
    [8, 'j'], // the month name
    [5, 'x'], // a digit of the day, the year, the hour, the minute, the second
    [6, '/'],
    [12, ':'],
    [15, 'x'],
    [17, 'x'],
    [18, 'x'],
    [20, 'x'],
    [21, 'x'],
    [23, 'x'],
    [24, 'x'],
  ])('refuses the fixdate with character %d replaced by %j', (i, c) => {
    expect(at(VALID.slice(0, i) + c + VALID.slice(i + 1))).toBeUndefined();
  });

  it('refuses one character more or less', () => {
    expect(at(`${VALID}x`)).toBeUndefined();
    expect(at(VALID.replace(' 2026', ' 026'))).toBeUndefined();
    expect(at(`${VALID.slice(0, 28)}`)).toBeUndefined();
  });

  it.each([
    ['Thu, 01 Jan 2026 23:59:59 GMT', NOW, Date.UTC(2026, 0, 1, 23, 59, 59) - NOW],
    ['Thu, 01 Jan 2026 12:59:00 GMT', NOW, 59 * 60_000],
    ['Sat, 31 Jan 2026 12:00:00 GMT', Date.UTC(2026, 0, 31, 11), 3_600_000],
    ['Tue, 29 Feb 2028 12:00:00 GMT', Date.UTC(2028, 1, 29, 11), 3_600_000],
    ['Wed, 31 Dec 2025 12:00:00 GMT', NOW, 0],
    ['Mon, 01 Jan 0001 00:00:00 GMT', NOW, 0],
  ])('reads %j at %d as %d ms', (value, now, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it('reads year 0000 (a valid IMF-fixdate, long past) as 0', () => {
    expect(at('Sat, 01 Jan 0000 00:00:00 GMT')).toBe(0);
  });

  it('takes a year below 100 as written, not as 19xx', () => {
    const year50 = new Date(0).setUTCFullYear(50, 0, 1);
    expect(parseRetryAfter('Sat, 01 Jan 0050 00:00:10 GMT', year50)).toBe(10_000);
  });

  it.each([
    'Thu, 01 Jan 2026 24:00:00 GMT',
    'Thu, 01 Jan 2026 12:60:00 GMT',
    'Thu, 01 Jan 2026 12:00:61 GMT',
    'Thu, 00 Jan 2026 12:00:00 GMT',
    'Thu, 32 Jan 2026 12:00:00 GMT',
    'Thu, 29 Feb 2026 12:00:00 GMT',
    'Thu, 31 Apr 2026 12:00:00 GMT',
    'Thu, 01 Foo 2026 12:00:00 GMT',
  ])('refuses %j', (value) => {
    expect(at(value)).toBeUndefined();
  });

  it('trims spaces and tabs only, on both sides', () => {
    expect(at('\t 5 \t')).toBe(5000);
    expect(at('5\t')).toBe(5000);
    expect(at('\t5')).toBe(5000);
    expect(at(` ${VALID}\t`)).toBe(30_000);
    expect(at('\n5')).toBeUndefined();
    expect(at('5\r')).toBeUndefined();
    expect(at('\u00a05')).toBeUndefined();
    expect(at(' \t ')).toBeUndefined();
    expect(at('')).toBeUndefined();
  });

  it('reads digits only: the characters next to 0 and 9 in ASCII are refused', () => {
    expect(at('10')).toBe(10_000);
    expect(at('90')).toBe(90_000);
    expect(at('1/')).toBeUndefined();
    expect(at('1:')).toBeUndefined();
    expect(at('/1')).toBeUndefined();
    expect(at(':1')).toBeUndefined();
  });
});

describe('classification reads objects only', () => {
  it('a thrown function carrying error-like properties is not an error', () => {
    const fn = (props: Record<string, unknown>) =>
      Object.assign(() => undefined, props) as unknown as Error;
    const named = (name: string) => {
      const f = () => undefined;
      Object.defineProperty(f, 'name', { value: name });
      return f;
    };
    expect(statusOf(fn({ status: 503 }))).toBeUndefined();
    expect(isRetryable(fn({ status: 503 }))).toBe(false);
    expect(isRetryable(fn({ code: 'ECONNRESET' }))).toBe(false);
    expect(isRetryable(fn({ message: 'socket hang up' }))).toBe(false);
    expect(isRetryable(named('TimeoutError'))).toBe(false);
    expect(isRetryable({ cause: fn({ code: 'ECONNRESET' }) })).toBe(false);
    expect(isCircuitOpen(named('CircuitOpenError'))).toBe(false);
    expect(isCircuitOpen(fn({ code: 'EOPENBREAKER' }))).toBe(false);
    expect(isAbort(named('AbortError'))).toBe(false);
    expect(retryAfterMsOf(fn({ headers: { 'retry-after': '5' } }), NOW)).toBeUndefined();
    expect(retryAfterMsOf({ headers: fn({ 'retry-after': '5' }) }, NOW)).toBeUndefined();
    expect(describeError(named('TypeError'))).toBe('an error');
    expect(describeError(fn({ code: 'ECONNRESET' }))).toBe('an error');
  });
});
