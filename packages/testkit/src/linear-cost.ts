import { appendFileSync } from 'node:fs';

// Linear-cost checks (issue #23): grow a hostile input `growth` times (10x) and show that the work
// grows about as much, not quadratically. One helper for every package, built to hold on a loaded
// machine (CI runs each suite on four Node versions, on shared cores):
//
// - CPU time of this process (process.cpuUsage), not wall-clock: being preempted by other
//   processes does not count, so a long run is not penalised for being descheduled more often.
// - `reps` calls at size n and `reps` calls at size growth*n, measured alternately (a burst of load
//   or a GC falls on both sides alike), `reps` raised first until the small measurement costs at
//   least `minSmallMs` of CPU (below a few milliseconds, timer granularity and one GC dominate);
//   if a later JIT tier then makes the small side fall under half of that, reps is raised again
//   and the rounds start over (twice at most).
// - ratio = min(large over all rounds) / min(small over all rounds). Rounds are added (at least
//   `minRounds`, at most `maxRounds`) until the ratio is under `limit` and the two least small
//   measurements agree within 25 % (load on the small side is the one that could let a quadratic
//   cost through, so its minimum must be confirmed by a second quiet round). Noise only ever adds CPU
//   time, so each minimum only falls with more rounds and converges on the clean cost of its side:
//   a linear function under load gets under the limit, while a quadratic one (clean ratio about
//   growth^2 = 100) stays over a limit of 40 unless the small side were inflated 2.5x in every
//   round, which CPU time does not do.
//
// What it cannot absorb is a step in the cost per byte between the two sizes. V8 allocates a
// string or buffer of more than 128 KB in its large-object space, page by page from the operating
// system (page faults, cache misses, glibc thresholds); from there the cost per byte is up to 10x
// that of the young generation, and where the steps fall differs between Node versions (a 100 KB
// Buffer's base64 cost 0.07 ms on Node 26, 1 MB cost 4.3 ms: 60x for 10x). Inputs that are bytes
// in bulk therefore keep everything the call makes under 128 KB on the large side too, and the
// shapes that test an algorithm (nesting, many keys, backtracking) stay small enough for the same.

/** What a linear-cost check runs. */
export interface LinearCostOptions<T> {
  /** Builds the hostile input of size `n`; called once with `n` and once with `growth * n`. */
  make: (n: number) => T;
  /** One call on an input. A returned promise is awaited (its CPU time is counted). */
  run: (input: T) => unknown;
  /** The small size. */
  n: number;
  /**
   * Calls per measurement, at least: raised (doubled) until the small measurement costs
   * `minSmallMs` of CPU. The same number of calls is made at both sizes. @default 1
   */
  reps?: number;
  /** How many times larger the large input is. @default 10 */
  growth?: number;
  /** The large measurement must cost less than `limit` times the small one. @default 40 */
  limit?: number;
  /** Rounds always made before the ratio may pass. @default 3 */
  minRounds?: number;
  /** Rounds made at most; still over the limit after them, the check fails. @default 25 */
  maxRounds?: number;
  /** CPU milliseconds the small measurement is raised to (by raising `reps`). @default 4 */
  minSmallMs?: number;
}

/** The outcome of a linear-cost check; times are CPU milliseconds for `reps` calls. */
export interface LinearCost {
  /** `ratio < limit`. */
  linear: boolean;
  /** `largeMs / smallMs`. */
  ratio: number;
  /** Least CPU time of `reps` calls on the small input, over all rounds. */
  smallMs: number;
  /** Least CPU time of `reps` calls on the large input, over all rounds. */
  largeMs: number;
  rounds: number;
  reps: number;
  n: number;
  growth: number;
  limit: number;
}

/** Thrown by {@link expectLinearCost} when the ratio stayed over the limit. Carries numbers only. */
export class LinearCostError extends Error {
  readonly code = 'RESIL_TESTKIT_NOT_LINEAR';
  readonly result: LinearCost;
  constructor(result: LinearCost) {
    super(
      `${result.growth}x the input cost ${result.ratio.toFixed(1)}x the CPU time (limit ${result.limit}x) ` +
        `after ${result.rounds} rounds: small ${result.smallMs.toFixed(2)} ms, large ` +
        `${result.largeMs.toFixed(2)} ms for ${result.reps} calls each, n = ${result.n}`,
    );
    this.name = 'LinearCostError';
    this.result = result;
  }
}

/** Most doublings of `reps` while calibrating (2^24 times the given reps). */
const MAX_DOUBLINGS = 24;
/** Most times the rounds start over with more calls when the small side got too fast. */
const MAX_RESTARTS = 2;

function integerOption(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}`);
  }
  return value;
}

function numberOption(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= min) {
    throw new RangeError(`${name} must be a finite number > ${min}`);
  }
  return value;
}

/** CPU milliseconds (user + system, this process) of `reps` calls of `run` on `input`. */
async function cpuMs<T>(run: (input: T) => unknown, input: T, reps: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < reps; i++) await run(input);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/**
 * Measures how the CPU cost of `run` grows from an input of size `n` to one of size `growth * n`,
 * adding rounds until the ratio is under `limit` or `maxRounds` were made. Never throws for a
 * non-linear cost: see `linear` in the result, or use {@link expectLinearCost}.
 */
export async function measureLinearCost<T>(options: LinearCostOptions<T>): Promise<LinearCost> {
  if (typeof options.make !== 'function') throw new TypeError('make must be a function');
  if (typeof options.run !== 'function') throw new TypeError('run must be a function');
  const n = integerOption('n', options.n, 1);
  let reps = integerOption('reps', options.reps ?? 1, 1);
  const growth = numberOption('growth', options.growth ?? 10, 1);
  const limit = numberOption('limit', options.limit ?? 40, 1);
  const minRounds = integerOption('minRounds', options.minRounds ?? 3, 1);
  const maxRounds = integerOption('maxRounds', options.maxRounds ?? 25, minRounds);
  const minSmallMs = numberOption('minSmallMs', options.minSmallMs ?? 4, 0);
  const { run } = options;

  const small = options.make(n);
  const large = options.make(Math.round(growth * n));

  // Warm both paths up (JIT, first allocations), then calibrate: the least of two measurements,
  // so that one burst of load does not stop the doubling early.
  await cpuMs(run, large, 1);
  await cpuMs(run, small, reps);
  for (let d = 0; ; d++) {
    const cost = Math.min(await cpuMs(run, small, reps), await cpuMs(run, small, reps));
    if (cost >= minSmallMs) break;
    if (d === MAX_DOUBLINGS) {
      throw new RangeError(
        `n is too small: ${reps} calls on the small input cost under minSmallMs (${minSmallMs} ms) of CPU`,
      );
    }
    reps *= 2;
  }

  let smallMs = Number.POSITIVE_INFINITY;
  let secondSmallMs = Number.POSITIVE_INFINITY; // the second-least small measurement
  let largeMs = Number.POSITIVE_INFINITY;
  let rounds = 0;
  let ratio = Number.POSITIVE_INFINITY;
  let restarts = 0;
  while (rounds < maxRounds) {
    const smallNow = await cpuMs(run, small, reps);
    secondSmallMs = Math.min(secondSmallMs, Math.max(smallMs, smallNow));
    smallMs = Math.min(smallMs, smallNow);
    largeMs = Math.min(largeMs, await cpuMs(run, large, reps));
    rounds++;
    ratio = largeMs / smallMs;
    if (smallMs < minSmallMs / 2 && restarts < MAX_RESTARTS) {
      // The code got faster after the calibration (a later JIT tier): more calls, and start over
      // with both minima, so that the small side stays measurable. The same reps on both sides.
      for (let d = 0, projected = smallMs; projected < minSmallMs && d < MAX_DOUBLINGS; d++) {
        reps *= 2;
        projected *= 2;
      }
      smallMs = Number.POSITIVE_INFINITY;
      secondSmallMs = Number.POSITIVE_INFINITY;
      largeMs = Number.POSITIVE_INFINITY;
      rounds = 0;
      restarts++;
      continue;
    }
    // Load on the small side pulls the ratio down (the unsafe way): pass only once two small
    // measurements agree within 25 %, so that one quiet round is confirmed by another.
    if (rounds >= minRounds && ratio < limit && secondSmallMs <= 1.25 * smallMs) break;
  }
  const result = { linear: ratio < limit, ratio, smallMs, largeMs, rounds, reps, n, growth, limit };
  logResult(result);
  return result;
}

/**
 * With RESIL_LINEAR_COST_LOG set to a file path, appends each result to it as a JSON line with the
 * name of the running Jest test (numbers and test names only), to study the margins over many runs.
 */
function logResult(result: LinearCost): void {
  const file = process.env.RESIL_LINEAR_COST_LOG;
  if (!file) return;
  const jestExpect = (globalThis as { expect?: { getState?: () => { currentTestName?: string } } })
    .expect;
  const test = jestExpect?.getState?.().currentTestName;
  appendFileSync(file, `${JSON.stringify({ test, node: process.version, ...result })}\n`);
}

/**
 * {@link measureLinearCost}, rejecting with a {@link LinearCostError} (code
 * `RESIL_TESTKIT_NOT_LINEAR`, the measured numbers in its message) when the cost is not linear.
 */
export async function expectLinearCost<T>(options: LinearCostOptions<T>): Promise<LinearCost> {
  const result = await measureLinearCost(options);
  if (!result.linear) throw new LinearCostError(result);
  return result;
}
