import { Writable } from 'node:stream';
import { SafeLogger } from '@resil/safe-log';
import pino from 'pino';
import winston from 'winston';
import { buildCorpus } from '../../../packages/safe-log/eval/corpus';
import { score } from '../../../packages/safe-log/eval/score';
import { compareNs, record, relate, type Settings } from '../harness';

const CASE = '8. safe logging, 1 KB nested record';

export class NullStream extends Writable {
  override _write(_chunk: unknown, _enc: BufferEncoding, cb: () => void): void {
    cb();
  }
}

/** A realistic ~1 KB record from a hospital service: request context, a few identifiers, nesting. */
export function sampleRecord(i: number): Record<string, unknown> {
  return {
    requestId: `req-${i}-7f3a9c2e`,
    route: '/hospitals/:id',
    method: 'POST',
    status: 201,
    durationMs: 12.5,
    user: { id: 'u-1842', role: 'registrar', email: 'ana.garcia@example.org' },
    hospital: {
      id: 'h-000912',
      name: 'St. Mary General',
      address: { street: '1200 Westheimer Rd', city: 'Houston', zip: '77006' },
      beds: 420,
      departments: ['cardiology', 'oncology', 'pediatrics', 'emergency'],
    },
    patient: {
      mrn: 'MRN-00482913',
      ssn: '123-45-6789',
      dob: '1984-03-12',
      phone: '+1 713 555 0199',
    },
    upstream: {
      url: 'https://registry.example.org/v1/hospitals?dob=1984-03-12&name=Ana',
      attempt: 2,
      latencyMs: [10.2, 11.9, 35.1],
      headers: { 'content-type': 'application/json', 'x-request-id': 'abc123' },
    },
    note: 'created after one retry; registry answered 503 once then 201',
    tags: ['create', 'activate', 'idempotent'],
  };
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
