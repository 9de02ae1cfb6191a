// Contracts the mutation run (issue #23) found untested: the exact messages of core's argument
// errors (they name the argument, never its value), callContext's bounds, RedisUnavailableError's
// message and name, what codeLogger keeps from `meta`, that the type guards answer false (never
// throw) for null, and that once() leaves no abort listener on the caller's signal.
import { getEventListeners } from 'node:events';
import {
  callContext,
  closeAll,
  codeLogger,
  Deadlines,
  EventEmitter,
  errorCode,
  hasErrorCode,
  isErrorCode,
  isRedisUnavailableError,
  once,
  problem,
  problemType,
  RedisUnavailableError,
  ResilError,
  statusOf,
} from '../../src/index';

describe('argument errors say what is wrong, in words of their own', () => {
  it('each message, exactly', () => {
    expect(() => callContext({ signal: {} as AbortSignal })).toThrow(
      new TypeError('callContext: signal must be an AbortSignal'),
    );
    expect(() => errorCode('bad pkg', 'X')).toThrow(
      new TypeError('errorCode: package and what must be upper-case words (A-Z, 0-9, _)'),
    );
    expect(() => new ResilError('nope', 'm')).toThrow(
      new TypeError('ResilError: code must be RESIL_<PACKAGE>_<WHAT>'),
    );
    expect(() => codeLogger('x', { level: 'loud' as never })).toThrow(
      new RangeError("codeLogger: level must be 'debug', 'info', 'warn' or 'error'"),
    );
    expect(() => problemType('Not A Slug')).toThrow(
      new TypeError('problemType: slug must be lower-case words joined by "-"'),
    );
    expect(() => problem({ slug: 'x', title: 'X', status: 302 })).toThrow(
      new RangeError('problem: status must be an integer from 400 to 599'),
    );
    expect(() => new Deadlines(0)).toThrow(
      new RangeError('Deadlines: timeoutMs must be a positive number'),
    );
    expect(() => new EventEmitter<number>().event('x' as never)).toThrow(
      new TypeError('event: listener must be a function'),
    );
  });

  it('closeAll counts the failures in its message', async () => {
    const failing = { close: () => Promise.reject(new Error('one')) };
    const fine = { close: () => Promise.resolve() };
    await expect(closeAll([failing, fine, failing] as never)).rejects.toThrow(
      'closeAll: 2 resource(s) failed to close',
    );
  });
});

describe('callContext bounds', () => {
  it('timeoutMs 0 is refused (positive only)', () => {
    expect(() => callContext({ timeoutMs: 0 })).toThrow(RangeError);
  });

  it('the deadline is now + timeoutMs, and its signal has not fired yet', () => {
    const now = Date.now();
    const ctx = callContext({ timeoutMs: 60_000 }, now);
    expect(ctx.deadline).toBe(now + 60_000);
    expect(ctx.signal.aborted).toBe(false);
    const both = callContext({ timeoutMs: 60_000, signal: new AbortController().signal }, now);
    expect(both.signal.aborted).toBe(false);
  });
});

describe('RedisUnavailableError', () => {
  it('a timeout names its limit; another reason keeps its own message even with a timeoutMs', () => {
    const t = new RedisUnavailableError('timeout', { timeoutMs: 250 });
    expect(t.message).toBe('redis: the command did not answer within 250 ms');
    expect(t.name).toBe('RedisUnavailableError');
    expect(t.timeoutMs).toBe(250);
    const f = new RedisUnavailableError('failed', { timeoutMs: 250 });
    expect(f.message).not.toContain('250');
    expect(f.message).toBe(new RedisUnavailableError('failed').message);
    expect(new RedisUnavailableError('timeout').message).not.toContain('undefined');
  });
});

describe('type guards answer false for anything that is not one, never throw', () => {
  it('null, undefined, strings, objects posing as codes', () => {
    for (const v of [null, undefined, 'RESIL_CORE_CLOSED', 7]) {
      expect(hasErrorCode(v)).toBe(false);
      expect(hasErrorCode(v, 'RESIL_CORE_CLOSED')).toBe(false);
      expect(isRedisUnavailableError(v)).toBe(false);
    }
    expect(isErrorCode({ toString: () => 'RESIL_CORE_CLOSED' })).toBe(false);
    expect(isRedisUnavailableError(new RedisUnavailableError('failed'))).toBe(true);
  });
});

describe('codeLogger keeps only safe fields of meta', () => {
  function lines(meta: unknown): Record<string, unknown> {
    const out: string[] = [];
    codeLogger('resil.test', { write: (l) => out.push(l) }).warn('free text', meta as never);
    expect(out).toHaveLength(1);
    return JSON.parse(out[0] as string);
  }

  it('level and logger cannot be overwritten; finite numbers and booleans kept, the rest dropped', () => {
    expect(
      lines({
        level: 'debug',
        logger: 'other',
        count: 3,
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        numeric: '42',
        ok: false,
        code: 'RESIL_X_Y',
        detail: 'short',
        reason: 'has spaces in it',
        nested: { code: 'A' },
      }),
    ).toEqual({ level: 'warn', logger: 'resil.test', count: 3, ok: false, code: 'RESIL_X_Y' });
  });

  it('a meta that is not an object adds nothing', () => {
    expect(lines('patient name')).toEqual({ level: 'warn', logger: 'resil.test' });
    expect(lines(null)).toEqual({ level: 'warn', logger: 'resil.test' });
  });
});

describe('statusOf skips a candidate that is not an integer', () => {
  it('falls through to the next field', () => {
    expect(statusOf({ status: '503', statusCode: 502 })).toBe(502);
    expect(statusOf({ status: 500.5, response: { status: 504 } })).toBe(504);
  });
});

describe('once() and the caller signal', () => {
  it('resolved or aborted, it leaves no abort listener behind', async () => {
    const e = new EventEmitter<number>();
    const ac = new AbortController();
    const got = once(e.event, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    e.emit(7);
    await expect(got).resolves.toBe(7);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(e.size).toBe(0);

    const aborted = once(e.event, ac.signal);
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(e.size).toBe(0);
  });
});
