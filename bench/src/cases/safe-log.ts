import { Writable } from 'node:stream';
import { SafeLogger } from '@resil/safe-log';
import pino from 'pino';
import winston from 'winston';
import { fresh, sampleRecord } from '../../../packages/safe-log/bench/records';
import { buildCorpus } from '../../../packages/safe-log/eval/corpus';
import { score } from '../../../packages/safe-log/eval/score';
import { compareNs, record, relate, type Settings } from '../harness';

const CASE = '8. safe logging, 1 KB nested record';

export class NullStream extends Writable {
  override _write(_chunk: unknown, _enc: BufferEncoding, cb: () => void): void {
    cb();
  }
}

/** A realistic ~1 KB record from a hospital service (kept with the package's own bench scripts). */
export { sampleRecord };

/** Runs `subjects` interleaved (compareNs) and records records/s, relative to plain winston. */
async function versusWinston(
  name: string,
  subjects: Record<string, () => unknown>,
  settings: Settings,
  batch: number,
): Promise<void> {
  const versus = 'winston (plain JSON, no redaction)';
  const medians = await compareNs(name, subjects, settings, { batch, versus });
  for (const [subject, ns] of Object.entries(medians))
    record({
      case: name,
      subject,
      metric: 'records per second',
      unit: 'records/s',
      better: 'higher',
      values: [1e9 / ns],
    });
  relate(name, 'records per second', versus);
}

export async function safeLogging(settings: Settings): Promise<void> {
  const BATCH = 20;
  const ours = new SafeLogger('bench', {
    transports: [new winston.transports.Stream({ stream: new NullStream() })],
  });
  const plain = winston.createLogger({
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream: new NullStream() })],
  });
  const pinoRedact = pino(
    {
      redact: [
        'patient.ssn',
        'patient.dob',
        'patient.phone',
        'patient.mrn',
        'user.email',
        'hospital.address.street',
        'upstream.url',
      ],
    },
    new NullStream(),
  );
  const records = Array.from({ length: BATCH }, (_, i) => sampleRecord(i));
  const batch = (fn: (rec: Record<string, unknown>) => void) => () => {
    for (const rec of records) fn(rec);
  };
  const medians = await compareNs(
    CASE,
    {
      '@resil/safe-log': batch((rec) => ours.info('hospital created', rec)),
      'winston (plain JSON, no redaction)': batch((rec) => plain.info('hospital created', rec)),
      'pino (redact paths)': batch((rec) => pinoRedact.info(rec, 'hospital created')),
    },
    settings,
    { batch: BATCH, versus: 'winston (plain JSON, no redaction)' },
  );
  for (const [name, ns] of Object.entries(medians)) {
    record({
      case: CASE,
      subject: name,
      metric: 'records per second',
      unit: 'records/s',
      better: 'higher',
      values: [1e9 / ns],
    });
  }
  relate(CASE, 'records per second', 'winston (plain JSON, no redaction)');

  // 8c: strings that never repeat. Every record gets a new requestId and a new free-text note, so
  // the redactor's remembered verdicts help only with the fields that do repeat (route, method…).
  let seqOurs = 0;
  let seqPlain = 0;
  await versusWinston(
    '8c. safe logging, 1 KB nested record, new strings in every record',
    {
      '@resil/safe-log': () => {
        for (const rec of records) ours.info('hospital created', fresh(seqOurs++, rec));
      },
      'winston (plain JSON, no redaction)': () => {
        for (const rec of records) plain.info('hospital created', fresh(seqPlain++, rec));
      },
    },
    settings,
    BATCH,
  );

  // 8d: as case 8, but each batch ends with a turn of the event loop. In cases 8 and 8c a whole
  // tinybench run is one chain of promise jobs, so the Stream transport's callbacks (winston emits
  // 'logged' with setImmediate) pile up until the run ends and both loggers pay for the backlog's
  // garbage collection; here the transports write as they go, and the redaction is a larger part.
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  await versusWinston(
    '8d. safe logging, 1 KB nested record, event loop turn after each batch',
    {
      '@resil/safe-log': async () => {
        for (const rec of records) ours.info('hospital created', rec);
        await tick();
      },
      'winston (plain JSON, no redaction)': async () => {
        for (const rec of records) plain.info('hospital created', rec);
        await tick();
      },
    },
    settings,
    BATCH,
  );

  // What the redaction finds, on the evaluation corpus of packages/safe-log (eval/corpus.ts):
  // the per-kind tables are printed by `npm run eval -w @resil/safe-log`.
  const s = score(buildCorpus());
  const pct = (t: { hit: number; total: number }) => (100 * t.hit) / t.total;
  const EVAL = '8b. safe logging, evaluation corpus (2,400 records)';
  const rows: Array<[string, number]> = [
    ['identifiers removed (recall)', pct(s.recall)],
    [
      'person names removed',
      pct({ hit: s.names.hit + s.namesHeldOut.hit, total: s.names.total + s.namesHeldOut.total }),
    ],
    ['person names removed, held-out locales', pct(s.namesHeldOut)],
    ['strings kept', pct(s.keep)],
  ];
  for (const [k, t] of s.recallByShape) rows.push([`recall, ${k}`, pct(t)]);
  for (const [metric, value] of rows)
    record({
      case: EVAL,
      subject: '@resil/safe-log',
      metric,
      unit: '%',
      better: 'higher',
      values: [value],
    });
}
