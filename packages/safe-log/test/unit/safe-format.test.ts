// safeFormat on a user's own winston logger: the paths by which winston carries data past a format
// that walks only the info's own enumerable fields (an Error as the info, the splat arguments, a
// line an earlier format already wrote). Real loggers, a captured Stream transport, synthetic values.
import { Writable } from 'node:stream';
import winston from 'winston';
import { safeFormat } from '../../src';

const SSN = '078-05-1120';
const NAME = 'Wei Zhang';
const f = winston.format;

/** The records a logger with these formats writes, one string each (a record may hold newlines). */
function run(formats: winston.Logform.Format[], log: (l: winston.Logger) => void): string[] {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out.push(String(chunk));
      cb();
    },
  });
  const logger = winston.createLogger({
    format: f.combine(...formats),
    transports: [new winston.transports.Stream({ stream })],
  });
  log(logger);
  return out;
}

const printf = () =>
  f.printf((i) => `${i.level}: ${String(i.message)} ${typeof i.stack === 'string' ? i.stack : ''}`);

function dbError(): Error {
  return Object.assign(new Error(`duplicate key (ssn)=(${SSN})`), {
    code: '23505',
    detail: `Key (ssn)=(${SSN}) already exists.`,
  });
}

function expectClean(lines: string[], ...kept: string[]): void {
  const text = lines.join('\n');
  expect(lines.length).toBeGreaterThan(0);
  expect(text).not.toContain(SSN);
  expect(text).not.toContain(NAME);
  expect(text).not.toContain('Zhang');
  for (const k of kept) expect(text).toContain(k);
}

describe('safeFormat: an Error passed as the info (logger.error(err))', () => {
  it.each<[string, () => winston.Logform.Format[]]>([
    ['safeFormat, json', () => [safeFormat(), f.json()]],
    ['safeFormat, timestamp, printf', () => [safeFormat(), f.timestamp(), printf()]],
    ['safeFormat, simple', () => [safeFormat(), f.simple()]],
    [
      'safeFormat, errors({ stack: true }), json',
      () => [safeFormat(), f.errors({ stack: true }), f.json()],
    ],
    [
      'safeFormat, errors({ stack: true }), printf',
      () => [safeFormat(), f.errors({ stack: true }), printf()],
    ],
  ])('%s: writes the redacted message and stack, never the SSN', (_name, formats) => {
    const err = dbError();
    const lines = run(formats(), (l) => {
      l.error(err);
      l.log('error', err);
    });
    expect(lines).toHaveLength(2);
    expectClean(lines, 'duplicate key (ssn)=([REDACTED:ssn])', 'Error: duplicate key (ssn)=(');
    // The caller's Error is left as it was (winston itself adds `level`).
    expect(err.message).toBe(`duplicate key (ssn)=(${SSN})`);
    expect(Object.keys(err)).not.toContain('message');
    expect(err.stack).toContain(SSN);
  });

  it('json: message and stack are fields, the enumerable fields of the Error are redacted too', () => {
    const [line] = run([safeFormat(), f.json()], (l) => l.error(dbError()));
    const rec = JSON.parse(line as string);
    expect(rec).toEqual({
      level: 'error',
      message: 'duplicate key (ssn)=([REDACTED:ssn])',
      stack: expect.stringMatching(/^Error: duplicate key \(ssn\)=\(\[REDACTED:ssn\]\)\\n {4}at /),
      code: '23505',
      detail: 'Key (ssn)=([REDACTED:key]) already exists.',
    });
  });

  it('errors({ cause: true }) after it gets a redacted cause', () => {
    const err = new Error('insert failed', { cause: new Error(`patient ${NAME} ssn ${SSN}`) });
    const [line] = run([safeFormat(), f.errors({ stack: false, cause: true }), f.json()], (l) =>
      l.error(err),
    );
    expectClean([line as string], 'insert failed');
    expect(JSON.parse(line as string).cause).toMatchObject({
      message: 'patient [REDACTED:name] ssn [REDACTED:ssn]',
    });
  });
});

describe('safeFormat: splat arguments', () => {
  const splatChains: Array<[string, () => winston.Logform.Format[]]> = [
    ['splat, safeFormat, json', () => [f.splat(), safeFormat(), f.json()]],
    ['safeFormat, splat, json', () => [safeFormat(), f.splat(), f.json()]],
    ['safeFormat, json (no splat)', () => [safeFormat(), f.json()]],
  ];

  it('%s tokens: the same redacted message whether splat() comes before, after or not at all', () => {
    const messages = splatChains.map(([, formats]) =>
      run(formats(), (l) => l.info('patient %s ssn %s', NAME, SSN)).map(
        (line) => JSON.parse(line).message,
      ),
    );
    expect(messages).toEqual(splatChains.map(() => ['patient [REDACTED:name] ssn [REDACTED:ssn]']));
  });

  it.each<[string, () => winston.Logform.Format[]]>([
    ['safeFormat, splat, json', () => [safeFormat(), f.splat(), f.json()]],
    ['safeFormat, splat, printf', () => [safeFormat(), f.splat(), printf()]],
    ['safeFormat, splat, simple', () => [safeFormat(), f.splat(), f.simple()]],
    [
      'safeFormat, splat, errors({ stack: true }), json',
      () => [safeFormat(), f.splat(), f.errors({ stack: true }), f.json()],
    ],
  ])('%s: interpolated and merged arguments never write the SSN or the name', (_n, formats) => {
    const lines = run(formats(), (l) => {
      l.info('patient %s ssn %s', NAME, SSN);
      l.info('lookup %s', 'done', { patientName: NAME, note: `ssn ${SSN}` });
      l.info('lookup', { ward: 'B' }, { ssn: SSN, note: `patient ${NAME}` });
      l.error('failed: %s', dbError());
      l.error('insert failed', dbError());
      l.info('sent %j to %o', { ssn: SSN, ok: 1 }, { contact: { name: NAME } });
    });
    expect(lines).toHaveLength(6);
    expectClean(
      lines,
      'patient [REDACTED:name] ssn [REDACTED:ssn]',
      'lookup done',
      'B',
      'failed: ',
      'insert failed duplicate key (ssn)=([REDACTED:ssn])',
      'sent',
      '23505',
    );
  });

  it('json: arguments that splat() merges as fields are written redacted', () => {
    const lines = run([safeFormat(), f.splat(), f.json()], (l) => {
      l.info('lookup %s', 'done', { patientName: NAME, note: `ssn ${SSN}` });
      l.error('insert failed', dbError());
    });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        level: 'info',
        message: 'lookup done',
        patientName: '[REDACTED]',
        note: 'ssn [REDACTED:ssn]',
      },
      {
        level: 'error',
        message: 'insert failed duplicate key (ssn)=([REDACTED:ssn])',
        stack: expect.stringContaining('Error: duplicate key (ssn)=([REDACTED:ssn])'),
        code: '23505',
        detail: 'Key (ssn)=([REDACTED:key]) already exists.',
      },
    ]);
  });
});

describe('safeFormat after a format that already wrote the line', () => {
  it.each<[string, () => winston.Logform.Format[], string]>([
    [
      'errors({ stack: true }), safeFormat',
      () => [f.errors({ stack: true }), safeFormat()],
      'duplicate key (ssn)=([REDACTED:ssn])',
    ],
    [
      'json, safeFormat',
      () => [f.json(), safeFormat()],
      '"detail":"Key (ssn)=([REDACTED:key]) already exists."',
    ],
    [
      'simple, safeFormat',
      () => [f.simple(), safeFormat()],
      '"detail":"Key (ssn)=([REDACTED:key]) already exists."',
    ],
  ])('%s: the written line is redacted', (_n, formats, kept) => {
    expectClean(
      run(formats(), (l) => l.error(dbError())),
      kept,
    );
  });

  it.each<[string, () => winston.Logform.Format[]]>([
    ['json, safeFormat', () => [f.json(), safeFormat()]],
    ['simple, safeFormat', () => [f.simple(), safeFormat()]],
    ['printf, safeFormat', () => [printf(), safeFormat()]],
  ])('%s: a message and fields already written are redacted', (_n, formats) => {
    const lines = run(formats(), (l) =>
      l.info(`patient ${NAME} ssn ${SSN}`, { patientName: NAME }),
    );
    expectClean(lines, 'patient [REDACTED:name] ssn [REDACTED:ssn]');
  });
});

describe('safeFormat never throws into the caller', () => {
  it('a splat argument that throws on every read: the record says [Unreadable], the call returns', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error(`boom ${SSN}`);
        },
        ownKeys() {
          throw new Error(`boom ${SSN}`);
        },
      },
    );
    let lines: string[] = [];
    expect(() => {
      lines = run([safeFormat(), f.json()], (l) => l.info('patient %s', hostile));
    }).not.toThrow();
    expect(lines.join('')).toContain('[Unreadable]');
    expect(lines.join('')).not.toContain(SSN);
  });
});
