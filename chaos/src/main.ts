/**
 * npm run test:chaos [-- --package breaker|breaker-policies|ratelimit|idempotency|bulkhead] [--seed N] [--topology single|cluster]
 *                       [--minutes N] [--schedules N] [--no-shrink]
 *
 * Seeded random schedules of operations and faults over real worker processes and a private
 * Redis (and a private 3-master Cluster), checked on the recorded history. See chaos/README.md.
 */
import { randomInt } from 'node:crypto';
import { breakerChecker } from './breaker';
import { breakerPoliciesChecker } from './breaker-policies';
import { bulkheadChecker } from './bulkhead';
import { describeFault } from './faults';
import { idempotencyChecker } from './idempotency';
import { Pool } from './pool';
import { ratelimitChecker } from './ratelimit';
import { Rng } from './rng';
import { ChaosStore, type Topology } from './store';
import type { Env, PackageChecker, PackageName, RunResult, Schedule } from './types';

/** no-redis: every package; the others: breaker-policies only (see worker.ts mutatePolicy). */
const MUTANTS = ['no-redis', 'min-calls', 'no-rate', 'no-quorum', 'permits'];

const CHECKERS: Record<PackageName, PackageChecker> = {
  breaker: breakerChecker,
  'breaker-policies': breakerPoliciesChecker,
  ratelimit: ratelimitChecker,
  idempotency: idempotencyChecker,
  bulkhead: bulkheadChecker,
};

interface Args {
  packages: PackageName[];
  seed?: number;
  topology?: Topology;
  minutes?: number;
  schedules?: number;
  shrink: boolean;
  /** Operations only (a control run: the checks must pass without faults). */
  noFaults: boolean;
  /** Indices (in the generated list) of the only faults to inject: replays a shrunk schedule. */
  keepFaults?: number[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    packages: ['breaker', 'breaker-policies', 'ratelimit', 'idempotency', 'bulkhead'],
    shrink: true,
    noFaults: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const need = () => {
      if (v === undefined) throw new TypeError(`chaos: ${k} needs a value`);
      i++;
      return v;
    };
    if (k === '--package') {
      const p = need();
      if (!(p in CHECKERS))
        throw new TypeError(`chaos: --package must be one of ${Object.keys(CHECKERS).join(', ')}`);
      a.packages = [p as PackageName];
    } else if (k === '--seed') a.seed = Number(need());
    else if (k === '--topology') {
      const t = need();
      if (t !== 'single' && t !== 'cluster')
        throw new TypeError('chaos: --topology must be single or cluster');
      a.topology = t;
    } else if (k === '--minutes') a.minutes = Number(need());
    else if (k === '--schedules') a.schedules = Number(need());
    else if (k === '--no-shrink') a.shrink = false;
    else if (k === '--no-faults') a.noFaults = true;
    else if (k === '--keep-faults')
      a.keepFaults = need()
        .split(',')
        .filter((x) => x !== '' && x !== '-')
        .map((x) => {
          const n = Number(x);
          if (!Number.isInteger(n) || n < 0)
            throw new RangeError('chaos: --keep-faults takes fault indices, e.g. 0,2');
          return n;
        });
    else if (k === '--mutant') {
      // Validation of the checker: run against a deliberately broken harness (see worker.ts).
      const m = need();
      if (!MUTANTS.includes(m))
        throw new TypeError(`chaos: --mutant must be one of ${MUTANTS.join(', ')}`);
      process.env.CHAOS_MUTANT = m;
    } else throw new TypeError(`chaos: unknown argument ${k}`);
  }
  if (a.seed !== undefined && !(Number.isInteger(a.seed) && a.seed >= 0))
    throw new RangeError('chaos: --seed must be a non-negative integer');
  if (a.seed !== undefined && a.packages.length !== 1)
    throw new TypeError('chaos: --seed replays one schedule: give --package (and --topology) too');
  if (a.seed !== undefined) a.topology ??= 'single';
  if (a.minutes !== undefined && !(a.minutes > 0))
    throw new RangeError('chaos: --minutes must be > 0');
  return a;
}

function printSchedule(c: PackageChecker, s: Schedule, prefix = '  '): void {
  console.log(
    `${prefix}package ${s.pkg}, topology ${s.topology}, seed ${s.seed}, ${s.durationMs} ms`,
  );
  console.log(`${prefix}config ${JSON.stringify(s.cfg)}`);
  for (const line of c.describeOps(s)) console.log(`${prefix}op    ${line}`);
  if (s.faults.length === 0) console.log(`${prefix}fault (none)`);
  for (const f of s.faults) console.log(`${prefix}fault ${describeFault(f)}`);
}

const stats = { schedules: 0, faults: 0, violations: 0, errors: 0, inconclusive: 0 };

async function runOne(c: PackageChecker, s: Schedule, env: Env): Promise<RunResult> {
  const r = await c.run(s, env);
  stats.schedules++;
  stats.faults += r.applied.filter((a) => a.applied).length;
  stats.inconclusive += r.inconclusive ?? 0;
  return r;
}

/**
 * Delta debugging over the fault list (one fault removed at a time, until none can go): the
 * smallest schedule that still breaks the same property. Runs are real, so a removal is kept
 * only if the property still fails on re-run.
 */
async function shrink(
  c: PackageChecker,
  s: Schedule,
  env: Env,
  property: string,
  maxRuns: number,
): Promise<Schedule> {
  let best = s;
  let changed = true;
  let budget = maxRuns;
  while (changed && budget > 0) {
    changed = false;
    for (let i = 0; i < best.faults.length && budget > 0; i++) {
      const candidate = { ...best, faults: best.faults.filter((_, j) => j !== i) };
      budget--;
      const r = await runOne(c, candidate, env).catch(() => undefined);
      if (r?.violations.some((v) => v.property === property)) {
        console.log(
          `  shrink: still fails without fault #${i} (${describeFault(best.faults[i] as never)})`,
        );
        best = candidate;
        changed = true;
        break;
      }
    }
  }
  return best;
}

async function session(
  c: PackageChecker,
  topology: Topology,
  args: Args,
  deadline: number,
  minSchedules: number,
): Promise<void> {
  const store = await ChaosStore.start(topology);
  const pool = new Pool(c.workers);
  const env: Env = { store, pool };
  try {
    await pool.ready();
    let n = 0;
    let consecutiveErrors = 0;
    while (
      (args.seed !== undefined && n === 0) ||
      (args.seed === undefined &&
        (n < minSchedules || Date.now() < deadline) &&
        (args.schedules === undefined || n < args.schedules))
    ) {
      n++;
      const seed = args.seed ?? randomInt(0, 2 ** 31 - 1);
      const generated = c.generate(new Rng(seed), seed, topology);
      const keep = args.keepFaults;
      const s = args.noFaults
        ? { ...generated, faults: [] }
        : keep
          ? { ...generated, faults: generated.faults.filter((_, i) => keep.includes(i)) }
          : generated;
      const started = Date.now();
      let r: RunResult;
      try {
        r = await runOne(c, s, env);
      } catch (err) {
        // The harness could not run the schedule (a package that does not load, a worker that
        // did not start): not a verdict on the guarantee, but the run cannot pass either.
        stats.errors++;
        console.log(
          `[${c.name}/${topology}] seed ${seed}: ERROR, no verdict: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
        );
        // A package that does not load now (someone is editing it) ends this session; the next
        // round (long mode) tries again with fresh processes.
        if (++consecutiveErrors >= 3) {
          console.log(
            `[${c.name}/${topology}] three schedules in a row could not run: session ended`,
          );
          break;
        }
        continue;
      }
      consecutiveErrors = 0;
      const applied = r.applied.filter((a) => a.applied).length;
      const verdict = r.violations.length === 0 ? 'ok' : `${r.violations.length} VIOLATION(S)`;
      console.log(
        `[${c.name}/${topology}] seed ${seed}: ${applied}/${s.faults.length} faults applied, ${r.summary}, ${Date.now() - started} ms: ${verdict}`,
      );
      if (r.violations.length === 0) continue;
      stats.violations += r.violations.length;
      for (const v of r.violations) console.log(`  VIOLATION ${v.property}: ${v.detail}`);
      for (const a of r.applied)
        console.log(
          `  applied ${describeFault(a.fault)}: ${a.applied ? `in effect t=${a.start}..${a.end}ms` : 'not applied'}${a.note ? ` (${a.note})` : ''}`,
        );
      console.log(`  schedule (seed ${seed}):`);
      printSchedule(c, s, '    ');
      if (args.shrink && s.faults.length > 0) {
        const first = r.violations[0]?.property ?? '';
        // CI size keeps to its time budget: fewer re-runs than the long mode.
        const min = await shrink(c, s, env, first, args.minutes === undefined ? 4 : 10);
        console.log(`  minimal schedule for ${first}:`);
        printSchedule(c, min, '    ');
        const kept = min.faults.map((f) => generated.faults.indexOf(f));
        console.log(
          `  replay the minimal schedule: npm run test:chaos -- --package ${c.name} --topology ${topology} --seed ${seed} --keep-faults ${kept.join(',') || '-'}`,
        );
      }
      console.log(
        `  replay: npm run test:chaos -- --package ${c.name} --topology ${topology} --seed ${seed}`,
      );
    }
  } finally {
    await pool.close();
    await store.stop();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  // CI size: 30 s of schedules per package (60 % single Redis, 40 % Cluster; 60 s for one
  // package alone: at most 36 s per topology); with start-up, the last schedule of each slice and
  // a shrink, all four packages stay under 4 minutes.
  const totalMs =
    args.minutes !== undefined
      ? args.minutes * 60_000
      : args.packages.length === 1
        ? 60_000
        : 30_000 * args.packages.length;
  const topologies: Topology[] = args.topology ? [args.topology] : ['single', 'cluster'];
  const rounds = args.minutes !== undefined ? Math.max(1, Math.floor(args.minutes / 5)) : 1;
  const sliceMs = totalMs / rounds / args.packages.length;
  for (let round = 0; round < rounds; round++) {
    for (const p of args.packages) {
      const c = CHECKERS[p];
      let sliceStart = Date.now();
      for (const t of topologies) {
        const share = topologies.length === 1 ? 1 : t === 'single' ? 0.6 : 0.4;
        const deadline = sliceStart + sliceMs * share;
        await session(c, t, args, deadline, 1);
        sliceStart = Date.now();
      }
      if (args.seed !== undefined) break;
    }
    if (args.seed !== undefined) break;
  }
  const secs = Math.round((Date.now() - started) / 1000);
  console.log(
    `chaos: ${stats.schedules} schedules, ${stats.faults} faults, ${stats.violations} violations${stats.inconclusive ? `, ${stats.inconclusive} inconclusive windows` : ''}${stats.errors ? `, ${stats.errors} schedules not run (errors)` : ''} (${secs} s)`,
  );
  process.exitCode = stats.violations > 0 ? 1 : stats.errors > 0 ? 2 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 2;
});
