/**
 * Bench case 8d (bench/src/cases/safe-log.ts) replayed with tinybench as the bench runs it, optionally
 * after cases 8 and 8c on the same logger (as `npm run bench -- --only=safe-log` does):
 *   npx tsx --conditions=@resil/source bench/replay-8d.ts [--before] [--new-logger] [--rounds=7] [--ms=500]
 *     [--only-ours] [--prof=FILE.cpuprofile]
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Writable } from 'node:stream';
import { Bench } from 'tinybench';
import winston from 'winston';
import type * as SafeLog from '../src';
import { fresh, sampleRecord } from './records';

class NullStream extends Writable {
  override _write(_chunk: unknown, _enc: BufferEncoding, cb: () => void): void {
    cb();
  }
}
const arg = (k: string) => process.argv.find((a) => a.startsWith(`--${k}`))?.split('=')[1];
const ROUNDS = Number(arg('rounds') ?? 7);
const MS = Number(arg('ms') ?? 500);
const { SafeLogger } = (
  process.env.SL_DIST ? require('../dist/index.js') : require('../src')
) as typeof SafeLog;
const ours = new SafeLogger('bench', {
  transports: [new winston.transports.Stream({ stream: new NullStream() })],
});
const plain = winston.createLogger({
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Stream({ stream: new NullStream() })],
});
const BATCH = 20;
const records = Array.from({ length: BATCH }, (_, i) => sampleRecord(i));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function compare(name: string, subjects: Record<string, () => unknown>): Promise<void> {
  const names = Object.keys(subjects);
  const per: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length] as string);
    const bench = new Bench({ time: MS, warmupTime: Math.min(100, MS), throws: true });
    for (const n of order) bench.add(n, subjects[n] as () => unknown);
    await bench.run();
    for (const t of bench.tasks) per[t.name]?.push((t.result.latency.mean * 1e6) / BATCH);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const w = per.winston ? med(per.winston) : Number.NaN;
  for (const n of names) {
    const m = med(per[n] as number[]);
    console.log(
      `${name} ${n}: ${(m / 1000).toFixed(1)} us/record, ${(w / m).toFixed(2)}x winston records/s`,
    );
  }
}

async function main(): Promise<void> {
  let logger = ours;
  const both = (f: (log: (r: Record<string, unknown>) => void) => () => unknown) => {
    const s: Record<string, () => unknown> = {
      ours: f((r) => logger.info('hospital created', r)),
    };
    if (!process.argv.includes('--only-ours'))
      s.winston = f((r) => plain.info('hospital created', r));
    return s;
  };
  if (process.argv.includes('--before')) {
    await compare(
      '8',
      both((log) => () => {
        for (const r of records) log(r);
      }),
    );
    let seq = 0;
    await compare(
      '8c',
      both((log) => () => {
        for (const r of records) log(fresh(seq++, r));
      }),
    );
  }
  const mu = () => {
    const m = process.memoryUsage();
    return `heap ${(m.heapUsed / 1e6).toFixed(0)}/${(m.heapTotal / 1e6).toFixed(0)} MB, rss ${(m.rss / 1e6).toFixed(0)} MB`;
  };
  console.log(`before 8d: ${mu()}`);
  if (process.argv.includes('--drain')) {
    await new Promise((r) => setTimeout(r, 2000));
    console.log(`drained: ${mu()}`);
  }
  if (globalThis.gc) {
    globalThis.gc();
    console.log(`after gc: ${mu()}`);
    if (process.env.SNAP) require('node:v8').writeHeapSnapshot(process.env.SNAP);
  }
  // --new-logger: 8d on a new SafeLogger with its own redactor (empty caches), as the same code.
  if (process.argv.includes('--new-logger'))
    logger = new SafeLogger('bench', {
      rules: {},
      transports: [new winston.transports.Stream({ stream: new NullStream() })],
    });
  const prof = arg('prof');
  const session = new Session();
  if (prof) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  await compare(
    '8d',
    both((log) => async () => {
      for (const r of records) log(r);
      await tick();
    }),
  );
  if (prof) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(prof, JSON.stringify(profile));
  }
}
void main();
