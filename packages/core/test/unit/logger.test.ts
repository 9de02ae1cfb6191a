import {
  codeLogger,
  isLogger,
  noopLogger,
  type OptionTypeError,
  resolveLogger,
} from '../../src/index';

describe('codeLogger', () => {
  const capture = (level?: 'debug' | 'info' | 'warn' | 'error') => {
    const lines: Record<string, unknown>[] = [];
    const log = codeLogger('resil.test', { level, write: (l) => lines.push(JSON.parse(l)) });
    return { log, lines };
  };
  it('writes only codes, names, counts and booleans, never the message or free text', () => {
    const { log, lines } = capture();
    log.warn('patient Jane Doe 123-45-6789 was limited', {
      code: 'RESIL_RATELIMIT_STORE_DOWN',
      event: 'degraded',
      name: 'hospital-api.create',
      count: 3,
      downMs: 12.5,
      insurance: true,
      patient: 'Jane Doe',
      name2: 'x',
      reason: 'has spaces and 123-45-6789',
      nested: { ssn: '123-45-6789' },
      level: 'error',
    });
    expect(lines).toEqual([
      {
        level: 'warn',
        logger: 'resil.test',
        code: 'RESIL_RATELIMIT_STORE_DOWN',
        event: 'degraded',
        name: 'hospital-api.create',
        count: 3,
        downMs: 12.5,
        insurance: true,
      },
    ]);
  });
  it('writes warn and error by default, not info or debug', () => {
    const { log, lines } = capture();
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error']);
  });
  it('honours a lower level', () => {
    const { log, lines } = capture('debug');
    log.debug('d', { count: 1 });
    expect(lines).toEqual([{ level: 'debug', logger: 'resil.test', count: 1 }]);
  });
  it('a failing write never throws', () => {
    const log = codeLogger('x', {
      write: () => {
        throw new Error('disk full');
      },
    });
    expect(() => log.error('e')).not.toThrow();
  });
  it('writes to stderr by default', () => {
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      codeLogger('resil.default').error('x', { code: 'RESIL_CORE_CLOSED' });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(JSON.parse(String(spy.mock.calls[0]?.[0]))).toEqual({
        level: 'error',
        logger: 'resil.default',
        code: 'RESIL_CORE_CLOSED',
      });
    } finally {
      spy.mockRestore();
    }
  });
  it('refuses an unknown level', () => {
    expect(() => codeLogger('x', { level: 'loud' as never })).toThrow(RangeError);
  });
});

describe('resolveLogger', () => {
  it('false is the no-op logger, undefined one code logger per name, a Logger itself', () => {
    expect(resolveLogger('f', 'resil.a', false)).toBe(noopLogger);
    const a = resolveLogger('f', 'resil.a', undefined);
    expect(resolveLogger('f', 'resil.a', undefined)).toBe(a);
    expect(resolveLogger('f', 'resil.b', undefined)).not.toBe(a);
    const mine = { debug() {}, info() {}, warn() {}, error() {} };
    expect(resolveLogger('f', 'resil.a', mine)).toBe(mine);
  });
  it('refuses something else, naming the option', () => {
    const err = (() => {
      try {
        resolveLogger('rateLimit', 'resil.ratelimit', { info() {} });
      } catch (e) {
        return e as OptionTypeError;
      }
    })();
    expect(err).toBeInstanceOf(TypeError);
    expect(err?.option).toBe('logger');
    expect(err?.message).toMatch(/^rateLimit: logger must/);
  });
  it('isLogger', () => {
    expect(isLogger(noopLogger)).toBe(true);
    expect(isLogger(null)).toBe(false);
  });
});
