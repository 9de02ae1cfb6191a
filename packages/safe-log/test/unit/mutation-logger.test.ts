// SafeLogger, safeFormat and the log context with exact records, written against the survivors of
// the mutation runs (stryker.config.mjs).

import type winston from 'winston';
import Transport from 'winston-transport';
import { getLogContext, SafeLogger, safeFormat, withLogContext } from '../../src';

/** A transport that keeps the info objects winston hands it (after every format). */
function capture() {
  const infos: Array<Record<string, unknown>> = [];
  class Keep extends Transport {
    override log(info: Record<string, unknown>, next: () => void): void {
      infos.push(info);
      next();
    }
  }
  return { infos, transport: new Keep() };
}
/** The caller-visible fields of a record, in order (no timestamp, no winston symbols). */
const fields = (info: Record<string, unknown> | undefined) =>
  Object.fromEntries(Object.entries(info ?? {}).filter(([k]) => k !== 'timestamp'));

describe('SafeLogger construction (mutation tests)', () => {
  it('refuses a name that is not a non-empty string, unknown options, bad levels and bad traceIds, naming them', () => {
    expect(() => new SafeLogger('')).toThrow(
      new TypeError('SafeLogger: name must be a non-empty string'),
    );
    expect(() => new SafeLogger(5 as never)).toThrow(/name must be a non-empty string/);
    expect(() => new SafeLogger('t', { colour: 1 } as never)).toThrow(
      new TypeError('SafeLogger: unknown option "colour"'),
    );
    expect(() => new SafeLogger('t', { level: 'loud' })).toThrow(
      new RangeError(
        "SafeLogger: level must be one of 'error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'",
      ),
    );
    expect(() => new SafeLogger('t', { traceIds: 'x' as never })).toThrow(
      new TypeError('SafeLogger: traceIds must be a function'),
    );
    const { transport } = capture();
    for (const level of ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'])
      expect(new SafeLogger('t', { level, transports: [transport] }).level).toBe(level);
    expect(
      () =>
        new SafeLogger('t', {
          traceIds: false,
          transports: [transport],
          rules: {},
          defaultMeta: {},
        }),
    ).not.toThrow();
  });

  it('writes to the console by default', async () => {
    const writes: string[] = [];
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      writes.push(String(chunk));
      return true;
    });
    const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      writes.push(a.map(String).join(' '));
    });
    // winston's Console transport writes to console._stdout when the console has one: under Jest's
    // worker processes that is Jest's own stream, not process.stdout (the test passed alone, in
    // band, and failed in a full parallel run).
    const stream = (console as unknown as { _stdout?: NodeJS.WritableStream })._stdout;
    const own =
      stream && stream !== process.stdout
        ? jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
            writes.push(String(chunk));
            return true;
          })
        : undefined;
    try {
      const logger = new SafeLogger('console-default', { traceIds: false });
      logger.info('to the console');
      await logger.close();
    } finally {
      out.mockRestore();
      log.mockRestore();
      own?.mockRestore();
    }
    expect(writes.join('\n')).toContain('"message":"to the console"');
  });

  it('takes its level from LOG_LEVEL, else info', () => {
    const saved = process.env.LOG_LEVEL;
    try {
      process.env.LOG_LEVEL = 'debug';
      expect(new SafeLogger('t', { transports: [] }).level).toBe('debug');
      process.env.LOG_LEVEL = 'loud';
      expect(() => new SafeLogger('t', { transports: [] })).toThrow(RangeError);
      delete process.env.LOG_LEVEL;
      expect(new SafeLogger('t', { transports: [] }).level).toBe('info');
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
  });

  it('redacts with its rules and writes its defaultMeta, redacted, on every record', () => {
    const c = capture();
    const log = new SafeLogger('svc', {
      transports: [c.transport],
      rules: { keys: ['ward'] },
      defaultMeta: { region: 'eu', contact: 'a@b.org' },
      traceIds: false,
    });
    log.info('m', { ward: 'B' });
    expect(fields(c.infos[0])).toEqual({
      level: 'info',
      message: 'm',
      ward: '[REDACTED]',
      logger: 'svc',
      region: 'eu',
      contact: '[REDACTED:email]',
    });
    expect(c.infos[0]?.timestamp).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
  });
});

describe('SafeLogger records (mutation tests)', () => {
  const make = (
    level = 'debug',
    traceIds: (() => { traceId: string; spanId: string }) | false = false,
  ) => {
    const c = capture();
    return { ...c, log: new SafeLogger('t', { transports: [c.transport], level, traceIds }) };
  };

  it('debug, info, warn and error write at their level; below the level nothing is written', () => {
    const { infos, log } = make('debug');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(infos.map((i) => [i.level, i.message])).toEqual([
      ['debug', 'd'],
      ['info', 'i'],
      ['warn', 'w'],
      ['error', 'e'],
    ]);
    const quiet = make('error');
    quiet.log.warn('w');
    quiet.log.info('i');
    quiet.log.debug('d');
    expect(quiet.infos).toHaveLength(0);
  });

  it('fields in order: context, trace ids, bound fields, the first argument, the meta (later ones win in place); own names go to meta.<name>', () => {
    const { infos, log } = make('debug', () => ({ traceId: 'T', spanId: 'S' }));
    withLogContext({ a: 1, requestId: 'r' }, () =>
      log
        .child({ a: 2, b: 1 })
        .info(
          { message: 'm', timestamp: 't', level: 'x', logger: 'l', c: 1 },
          { a: 3, logger: 'l2' },
        ),
    );
    expect(Object.keys(infos[0] ?? {}).filter((k) => k !== 'timestamp')).toEqual([
      'level',
      'message',
      'a',
      'requestId',
      'traceId',
      'spanId',
      'b',
      'c',
      'meta.level',
      'meta.message',
      'meta.timestamp',
      'meta.logger',
      'logger',
    ]);
    expect(fields(infos[0])).toEqual({
      level: 'info',
      message: '',
      a: 3,
      requestId: 'r',
      traceId: 'T',
      spanId: 'S',
      b: 1,
      c: 1,
      'meta.level': 'x',
      'meta.message': 'm',
      'meta.timestamp': 't',
      'meta.logger': 'l2',
      logger: 't',
    });
  });

  it('an Error: its redacted message, and an error field after the meta', () => {
    const { infos, log } = make();
    const err = Object.assign(new Error('e a@b.org'), { code: 'C' });
    err.stack = 'S';
    log.warn(err, { x: 1 });
    expect(fields(infos[0])).toEqual({
      level: 'warn',
      message: 'e [REDACTED:email]',
      x: 1,
      error: { name: 'Error', message: 'e [REDACTED:email]', code: 'C', stack: 'S' },
      logger: 't',
    });
  });

  it('null as the message and a meta that is not an object write an empty message and nothing else', () => {
    const { infos, log } = make();
    log.info(null as never, 'str' as never);
    log.info('m', null as never);
    expect(fields(infos[0])).toEqual({ level: 'info', message: '', logger: 't' });
    expect(fields(infos[1])).toEqual({ level: 'info', message: 'm', logger: 't' });
    // no error field, no meta.<name> of an own field that was not given
    log.info('n', { timestamp: 'x' });
    for (const info of infos) expect('error' in info).toBe(false);
    expect(Object.keys(infos[2] ?? {}).filter((k) => k.startsWith('meta.'))).toEqual([
      'meta.timestamp',
    ]);
  });

  it('a __proto__ field is written as a field; a throwing getter as [Unreadable]', () => {
    const { infos, log } = make();
    const meta: Record<string, unknown> = JSON.parse('{"__proto__": {"p": 1}}');
    Object.defineProperty(meta, 'boom', {
      enumerable: true,
      get() {
        throw new Error('x');
      },
    });
    log.error('m', meta);
    const info = infos[0] as object;
    expect(Object.getPrototypeOf(info)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(info, '__proto__')).toEqual({
      value: { p: 1 },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    expect((info as Record<string, unknown>).boom).toBe('[Unreadable]');
  });

  it('trace ids only from a tracer that returns them; a throwing tracer writes none', () => {
    let ids: { traceId: string; spanId: string } | undefined;
    const { infos, log } = make('info', () => ids as never);
    log.info('none');
    ids = { traceId: 'T', spanId: 'S' };
    log.info('some');
    expect(infos.map((i) => [i.traceId, i.spanId])).toEqual([
      [undefined, undefined],
      ['T', 'S'],
    ]);
    const t = make('info', () => {
      throw new Error('down');
    });
    t.log.info('x');
    expect(fields(t.infos[0])).toEqual({ level: 'info', message: 'x', logger: 't' });
  });

  it('a child keeps the name, level and transports; children of children add up; refuses a non-object', () => {
    const { infos, log } = make('warn');
    const child = log.child({ a: 1 }).child({ b: 2 });
    expect(child.name).toBe('t');
    expect(child.level).toBe('warn');
    child.info('hidden');
    child.warn('shown');
    log.warn('parent');
    expect(infos.map(fields)).toEqual([
      { level: 'warn', message: 'shown', a: 1, b: 2, logger: 't' },
      { level: 'warn', message: 'parent', logger: 't' },
    ]);
    expect(() => log.child('x' as never)).toThrow(
      new TypeError('SafeLogger.child: fields must be an object'),
    );
  });

  it('close() resolves once the transports have finished', async () => {
    const { log } = make();
    let finished = false;
    const closing = log.close().then(() => {
      finished = true;
    });
    await closing;
    expect(finished).toBe(true);
  });
});

describe('safeFormat (mutation tests)', () => {
  const run = (format: winston.Logform.Format, info: Record<string, unknown>) =>
    format.transform({ level: 'info', message: '', ...info } as winston.Logform.TransformableInfo);

  it('redacts message, stack and fields; never level, timestamp or logger', () => {
    const out = run(safeFormat(), {
      message: 'ssn 123-45-6789',
      stack: 'at a@b.org',
      timestamp: '123-45-6789',
      logger: 'a@b.org',
      ssn: 'x',
      list: ['a@b.org'],
    });
    expect({ ...(out as object) }).toEqual({
      level: 'info',
      message: 'ssn [REDACTED:ssn]',
      stack: 'at [REDACTED:email]',
      timestamp: '123-45-6789',
      logger: 'a@b.org',
      ssn: '[REDACTED]',
      list: ['[REDACTED:email]'],
    });
  });

  it('a message that is not a string is redacted as a value; a stack that is not a string as a field', () => {
    const out = run(safeFormat(), { message: { ssn: 1, n: 'a@b.org' }, stack: { ssn: 1 } });
    expect({ ...(out as object) }).toEqual({
      level: 'info',
      message: { ssn: '[REDACTED]', n: '[REDACTED:email]' },
      stack: { ssn: '[REDACTED]' },
    });
  });

  it('with options, redacts with those rules', () => {
    expect({ ...(run(safeFormat({ keys: ['ward'] }), { ward: 'B' }) as object) }).toEqual({
      level: 'info',
      message: '',
      ward: '[REDACTED]',
    });
    expect({ ...(run(safeFormat(), { ward: 'B' }) as object) }).toEqual({
      level: 'info',
      message: '',
      ward: 'B',
    });
  });
});

describe('withLogContext and otelTraceIds (mutation tests)', () => {
  it('refuses fields that are not an object; nested contexts add up; none outside', () => {
    expect(() => withLogContext(null as never, () => 1)).toThrow(
      new TypeError('withLogContext: fields must be an object'),
    );
    expect(() => withLogContext('x' as never, () => 1)).toThrow(TypeError);
    expect(getLogContext()).toBeUndefined();
    const seen = withLogContext({ a: 1, b: 1 }, () =>
      withLogContext({ b: 2 }, () => ({ inner: getLogContext(), value: 7 })),
    );
    expect(seen).toEqual({ inner: { a: 1, b: 2 }, value: 7 });
  });

  it('writes no trace ids when @opentelemetry/api cannot be loaded', () => {
    try {
      let ctx: typeof import('../../src/context') | undefined;
      jest.isolateModules(() => {
        jest.doMock('@opentelemetry/api', () => {
          throw new Error('not installed');
        });
        ctx = require('../../src/context');
      });
      const otel = (ctx as typeof import('../../src/context')).otelTraceIds;
      expect(otel()).toBeUndefined();
      expect(otel()).toBeUndefined();
    } finally {
      jest.dontMock('@opentelemetry/api');
    }
  });
  it('reads the active span of @opentelemetry/api once; no span or an all-zero trace id gives none', () => {
    let span: { spanContext(): { traceId: string; spanId: string } } | undefined;
    let loads = 0;
    try {
      let ctx: typeof import('../../src/context') | undefined;
      jest.isolateModules(() => {
        jest.doMock('@opentelemetry/api', () => {
          loads++;
          return { trace: { getActiveSpan: () => span } };
        });
        ctx = require('../../src/context');
      });
      const otel = (ctx as typeof import('../../src/context')).otelTraceIds;
      expect(otel()).toBeUndefined();
      span = { spanContext: () => ({ traceId: '0000', spanId: '1' }) };
      expect(otel()).toBeUndefined();
      span = { spanContext: () => ({ traceId: '00a0', spanId: 'b7' }) };
      expect(otel()).toEqual({ traceId: '00a0', spanId: 'b7' });
      expect(loads).toBe(1);
    } finally {
      jest.dontMock('@opentelemetry/api');
    }
  });
});

describe('SafeLogger lifecycle (the one @resil lifecycle)', () => {
  it('close() is idempotent and await using closes it', async () => {
    const { transport } = capture();
    const log = new SafeLogger('t', { transports: [transport] });
    const first = log.close();
    expect(log.close()).toBe(first);
    await first;
    let closed: Promise<void> | undefined;
    {
      const scoped = new SafeLogger('t', { transports: [capture().transport] });
      const close = scoped.close.bind(scoped);
      scoped.close = () => {
        closed = close();
        return closed;
      };
      await scoped[Symbol.asyncDispose]();
    }
    expect(closed).toBeInstanceOf(Promise);
    await closed;
  });

  it('option errors carry core codes and name the option, never the value', () => {
    const err = (() => {
      try {
        new SafeLogger('t', { level: 'patient-john-smith' });
      } catch (e) {
        return e as { code?: string; option?: string; message: string };
      }
    })();
    expect(err?.code).toBe('RESIL_CORE_OPTION_RANGE');
    expect(err?.option).toBe('level');
    expect(err?.message).not.toContain('john');
  });
});
