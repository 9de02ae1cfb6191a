/**
 * SafeLogger against plain winston in the realistic shapes of bench case 8 (bench/src/cases/safe-log.ts),
 * measured on this package's own src (the repository bench resolves @resil/safe-log through
 * node_modules, which may point at another checkout).
 *
 *   cd packages/safe-log && npx tsx --conditions=@resil/source bench/realistic.ts [--rounds=9] [--ms=400] [--only=8d,8e]
 *   SL_DIST=1 …   the same on the build in ./dist (npx tsup src/index.ts --format cjs --out-dir dist)
 *
 * Cases (20 records of about 1 KB per batch, the record of bench case 8):
 *   8d  the same 20 records every batch, a turn of the event loop (setImmediate) after each batch
 *   8e  a new requestId and a new free-text note in every record (as 8c), a turn after each batch
 *   8c  as 8e, but no turn between batches of one round (one turn at the end of the round)
 * Rounds of winston and SafeLogger alternate in one process; each round runs for --ms. Printed per
 * case: the median over rounds of (SafeLogger records/s) / (winston records/s), by wall time and
 * by process CPU time (process.cpuUsage, user + system), and CPU µs per record of each.
 */
import { Writable } from 'node:stream';
import winston from 'winston';
import type * as SafeLog from '../src';
import { fresh, sampleRecord } from './records';

class NullStream extends Writable {
  override _write(_chunk: unknown, _enc: BufferEncoding, cb: () => void): void {
    cb();
  }
}

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k as string, v ?? 'true'] as const;
  }),
);
const ROUNDS = Number(args.get('rounds') ?? 9);
const MS = Number(args.get('ms') ?? 400);
const ONLY = (args.get('only') ?? '8d,8e,8c').split(',');
const BATCH = 20;

// SL_DIST=1: the build in ./dist (`npx tsup src/index.ts --format cjs --out-dir dist`), as users run
// it; SL_DIST=<path>: another build (e.g. of the previous commit), to compare.
const { SafeLogger } = (
  process.env.SL_DIST
    ? require(process.env.SL_DIST === '1' ? '../dist/index.js' : process.env.SL_DIST)
    : require('../src')
) as typeof SafeLog;
const ours = new SafeLogger('bench', {
  transports: [new winston.transports.Stream({ stream: new NullStream() })],
});
const plain = winston.createLogger({
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Stream({ stream: new NullStream() })],
});
type Log = (rec: Record<string, unknown>) => void;
const logOurs: Log = (rec) => ours.info('hospital created', rec);
const logPlain: Log = (rec) => plain.info('hospital created', rec);
const records = Array.from({ length: BATCH }, (_, i) => sampleRecord(i));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
let seq = 0;

interface Round {
  n: number;
  wallNs: number;
  cpuUs: number;
}

async function round(kind: string, log: Log): Promise<Round> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const until = t0 + BigInt(MS * 1e6);
  let n = 0;
  while (process.hrtime.bigint() < until) {
    if (kind === '8d') for (const rec of records) log(rec);
    else for (const rec of records) log(fresh(seq++, rec));
    n += BATCH;
    if (kind !== '8c') await tick();
  }
  await tick();
  const wallNs = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(cpu0);
  return { n, wallNs, cpuUs: c.user + c.system };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

// SL_BASE=<path of a build>: a third subject, another build of SafeLogger, in the same rounds.
const baseLog: Log | undefined = process.env.SL_BASE
  ? (() => {
      const { SafeLogger: Base } = require(process.env.SL_BASE) as typeof SafeLog;
      const base = new Base('bench', {
        transports: [new winston.transports.Stream({ stream: new NullStream() })],
      });
      return (rec) => base.info('hospital created', rec);
    })()
  : undefined;

async function main(): Promise<void> {
  for (const kind of ONLY) {
    const subjects: Array<[string, Log]> = [
      ['winston', logPlain],
      ['SafeLogger', logOurs],
    ];
    if (baseLog) subjects.push(['SafeLogger (SL_BASE)', baseLog]);
    for (const [, log] of subjects) await round(kind, log); // warm-up
    const results = new Map<string, Round[]>(subjects.map(([name]) => [name, []]));
    for (let r = 0; r < ROUNDS; r++) {
      // A different subject goes first in each round.
      for (let k = 0; k < subjects.length; k++) {
        const [name, log] = subjects[(r + k) % subjects.length] as [string, Log];
        results.get(name)?.push(await round(kind, log));
      }
    }
    const plainRounds = results.get('winston') as Round[];
    const parts: string[] = [];
    for (const [name] of subjects.slice(1)) {
      const rounds = results.get(name) as Round[];
      const wall = rounds.map((o, i) => {
        const p = plainRounds[i] as Round;
        return o.n / o.wallNs / (p.n / p.wallNs);
      });
      const cpu = rounds.map((o, i) => {
        const p = plainRounds[i] as Round;
        return o.n / o.cpuUs / (p.n / p.cpuUs);
      });
      parts.push(
        `${name}/winston wall ${median(wall).toFixed(2)}x [${wall.map((x) => x.toFixed(2)).join(' ')}], cpu ${median(cpu).toFixed(2)}x, ${median(rounds.map((o) => o.cpuUs / o.n)).toFixed(1)} cpu us/record`,
      );
    }
    console.log(
      `${kind}: winston ${median(plainRounds.map((p) => p.cpuUs / p.n)).toFixed(1)} cpu us/record; ${parts.join('; ')}`,
    );
  }
}
void main();
