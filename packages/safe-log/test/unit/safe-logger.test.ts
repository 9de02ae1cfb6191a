import { Writable } from 'node:stream';
import fc from 'fast-check';
import winston from 'winston';
import { SafeLogger, safeFormat } from '../../src';
import { capture } from './capture';

describe('SafeLogger', () => {
  it('writes one JSON object per line with timestamp, level, logger and message', () => {
    const c = capture();
    new SafeLogger('hospital-api', { transports: [c.transport] }).info('hospital created', {
      hospitalId: 'h-1',
    });
    expect(c.lines).toEqual([
      {
        level: 'info',
        logger: 'hospital-api',
        message: 'hospital created',
        hospitalId: 'h-1',
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      },
    ]);
  });

  it('redacts an identifier in a top-level field name as it does in a nested one (SafeLogger and safeFormat)', () => {
    // A field named by the data (a map keyed by SSN or email, spread into the metadata) is as much
    // in the line as a value: nested names were scanned, top-level ones were written as given.
    const c = capture();
    const log = new SafeLogger('t', { transports: [c.transport] });
    log.info('seen', {
      '123-45-6789': 'x',
      'ana.garcia@example.org': 2,
      'ssn 987-65-4321': { ok: true },
      nested: { '555-12-3456': 1 },
      plain: 'kept',
    });
    log.child({ 'jane.doe@example.org': 'bound' }).warn('child');
    const text = c.raw.join('\n');
    for (const secret of ['123-45-6789', 'ana.garcia', '987-65-4321', '555-12-3456', 'jane.doe'])
      expect(text).not.toContain(secret);
    expect(c.lines[0]).toMatchObject({
      '[REDACTED:ssn]': 'x',
      '[REDACTED:email]': 2,
      'ssn [REDACTED:ssn]': { ok: true },
      nested: { '[REDACTED:ssn]': 1 },
      plain: 'kept',
      message: 'seen',
    });
    expect(c.lines[1]).toMatchObject({ '[REDACTED:email]': 'bound', message: 'child' });

    const lines: string[] = [];
    const w = winston.createLogger({
      format: winston.format.combine(safeFormat(), winston.format.json()),
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            write(chunk, _enc, cb) {
              lines.push(String(chunk));
              cb();
            },
          }),
        }),
      ],
    });
    w.info('format', { '123-45-6789': 'x', plain: 1 });
    expect(lines.join('')).not.toContain('123-45-6789');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ '[REDACTED:ssn]': 'x', plain: 1 });
  });

  it('redacts metadata by key and by value, and the message', () => {
    const c = capture();
    const log = new SafeLogger('t', { transports: [c.transport] });
    log.warn('lookup for 123-45-6789 failed', {
      patient: { ssn: '123-45-6789', dob: '1984-03-12', ward: 'B' },
      url: '/p?ssn=123-45-6789',
    });
    expect(c.lines[0]).toMatchObject({
      message: 'lookup for [REDACTED:ssn] failed',
      patient: { ssn: '[REDACTED]', dob: '[REDACTED]', ward: 'B' },
      url: '/p?ssn=[REDACTED:query]',
    });
    expect(c.raw.join('\n')).not.toContain('6789');
  });

  it('logs an Error with its message, code and stack redacted, never verbatim', () => {
    const c = capture();
    const log = new SafeLogger('t', { transports: [c.transport] });
    const err = Object.assign(new Error('duplicate key (ssn)=(123-45-6789)'), { code: '23505' });
    log.error(err, { op: 'insert' });
    expect(c.lines[0]).toMatchObject({
      level: 'error',
      message: 'duplicate key (ssn)=([REDACTED:ssn])',
      op: 'insert',
      error: { name: 'Error', code: '23505' },
    });
    expect(c.raw[0]).not.toContain('123-45-6789');
    expect((c.lines[0]?.error as { stack: string } | undefined)?.stack).toContain(
      'safe-logger.test.ts',
    );
  });

  it('redacts a PHI: message whole', () => {
    const c = capture();
    new SafeLogger('t', { transports: [c.transport] }).info('PHI: Jane Roe is diabetic');
    expect(c.lines[0]?.message).toBe('[REDACTED:phi]');
  });

  it('cannot be split into forged lines by CR/LF', () => {
    const c = capture();
    new SafeLogger('t', { transports: [c.transport] }).info(
      'name\n{"level":"error","forged":true}',
      { note: 'a\r\nb' },
    );
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]?.forged).toBeUndefined();
  });

  it('keeps its own fields: a caller field named level or message does not overwrite them', () => {
    const c = capture();
    new SafeLogger('t', { transports: [c.transport] }).info('m', { level: 'error', logger: 'x' });
    expect(c.lines[0]).toMatchObject({
      level: 'info',
      logger: 't',
      'meta.level': 'error',
      'meta.logger': 'x',
    });
  });

  it('accepts an object as the first argument', () => {
    const c = capture();
    new SafeLogger('t', { transports: [c.transport] }).info({ event: 'x', email: 'a@b.org' });
    expect(c.lines[0]).toMatchObject({ message: '', event: 'x', email: '[REDACTED]' });
  });

  it('honours the level', () => {
    const c = capture();
    const log = new SafeLogger('t', { level: 'warn', transports: [c.transport] });
    log.info('no');
    log.debug('no');
    log.warn('yes');
    expect(c.lines.map((l) => l.message)).toEqual(['yes']);
  });

  it('rejects bad options with an error naming the option', () => {
    expect(() => new SafeLogger('')).toThrow(TypeError);
    expect(() => new SafeLogger('t', { levl: 'info' } as never)).toThrow(/levl/);
    expect(() => new SafeLogger('t', { level: 'loud' })).toThrow(/level/);
  });

  it('property: no generated SSN or email reaches a transport, in message or metadata', () => {
    const c = capture();
    const log = new SafeLogger('t', { transports: [c.transport] });
    const d = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
    const ssn = fc.tuple(d(3), d(2), d(4)).map(([a, b, x]) => `${a}-${b}-${x}`);
    const email = fc
      .tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/))
      .map(([u, h]) => `${u}@${h}.org`);
    fc.assert(
      fc.property(
        fc.oneof(ssn, email),
        fc.constantFrom('message', 'meta', 'error', 'array'),
        (id, where) => {
          const before = c.raw.length;
          if (where === 'message') log.info(`failed for ${id}`);
          else if (where === 'meta') log.info('x', { deep: { deeper: { v: `id=${id};` } } });
          else if (where === 'error') log.error(new Error(`row ${id}`));
          else log.info('x', { list: [[`<${id}>`]] });
          expect(c.raw.slice(before).join('\n')).not.toContain(id);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('safeFormat', () => {
  it('adds the redaction to an existing winston logger', () => {
    const c = capture();
    const logger = winston.createLogger({
      format: winston.format.combine(safeFormat(), winston.format.json()),
      transports: [c.transport],
    });
    logger.info('patient 123-45-6789', { email: 'a@b.org', ok: 1 });
    expect(c.lines[0]).toEqual({
      level: 'info',
      message: 'patient [REDACTED:ssn]',
      email: '[REDACTED]',
      ok: 1,
    });
  });

  it('takes extra rules', () => {
    const c = capture();
    const logger = winston.createLogger({
      format: winston.format.combine(safeFormat({ keys: ['ward'] }), winston.format.json()),
      transports: [c.transport],
    });
    logger.info('m', { ward: 'B' });
    expect(c.lines[0]?.ward).toBe('[REDACTED]');
  });
});
