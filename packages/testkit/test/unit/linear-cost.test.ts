import { expectLinearCost, LinearCostError, measureLinearCost } from '../../src';

/** Results are summed here so that no call can be optimised away. */
let sink = 0;

/** n numbers. */
const numbers = (n: number) => Array.from({ length: n }, (_, i) => i % 7);

/** Linear: one pass. */
function sum(xs: number[]): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] as number;
  sink += s;
  return s;
}

/** Quadratic: every pair (10x the input is 100x the work). */
function pairs(xs: number[]): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) if (xs[i] === xs[j]) s++;
  }
  sink += s;
  return s;
}

/** Burns about `ms` of CPU time (load that lands on this process). */
function burn(ms: number): void {
  const start = process.cpuUsage();
  let used = 0;
  while (used < ms * 1000) {
    sink += Math.sqrt(used);
    const d = process.cpuUsage(start);
    used = d.user + d.system;
  }
}

describe('expectLinearCost', () => {
  it('passes a linear function, with the small measurement raised to minSmallMs', async () => {
    const result = await expectLinearCost({ make: numbers, run: sum, n: 100_000 });
    expect(result.linear).toBe(true);
    expect(result.ratio).toBeLessThan(40);
    expect(result.smallMs).toBeGreaterThanOrEqual(2); // calibrated to 4 ms, minus noise
    expect(result.rounds).toBeGreaterThanOrEqual(3);
    expect(sink).toBeGreaterThan(0);
  });

  it('fails a quadratic function with the default options, after all 25 rounds', async () => {
    // This is the proof that the helper cannot pass a quadratic cost: with every default (the ones
    // the linear-cost tests use), more rounds only bring both minima closer to their clean cost,
    // whose ratio is 100, so the ratio never gets under 40.
    const check = expectLinearCost({ make: numbers, run: pairs, n: 300 });
    await expect(check).rejects.toBeInstanceOf(LinearCostError);
    const error = (await check.catch((e: unknown) => e)) as LinearCostError;
    expect(error.code).toBe('RESIL_TESTKIT_NOT_LINEAR');
    expect(error.result.linear).toBe(false);
    expect(error.result.rounds).toBe(25);
    expect(error.result.ratio).toBeGreaterThanOrEqual(40);
    expect(error.message).toMatch(/^10x the input cost \d+\.\dx the CPU time \(limit 40x\)/);
  }, 120_000);

  // The next two tests inject load into chosen measurements. With `reps` fixed (minSmallMs so low
  // that the calibration keeps it), the calls come in a known order: one warm-up call on the large
  // input, `reps` warm-up calls and two calibration measurements on the small one, then per round
  // `reps` small calls and `reps` large calls. A burst is burnt in the first call of a measurement.
  const REPS = 20;

  it('keeps adding rounds through a burst of load until a linear function gets under the limit', async () => {
    // The large side is hit by a burst of load (150 ms of CPU) in each of its first 8 rounds, far
    // over 40x the small side: a fixed number of rounds (5 before) fails here, more rounds pass.
    let largeCalls = 0;
    const result = await expectLinearCost({
      make: numbers,
      run: (xs: number[]) => {
        if (xs.length > 100_000) {
          largeCalls++;
          const round = Math.floor((largeCalls - 2) / REPS);
          if (largeCalls >= 2 && (largeCalls - 2) % REPS === 0 && round < 8) burn(150);
        }
        return sum(xs);
      },
      n: 100_000,
      reps: REPS,
      minSmallMs: 0.001,
    });
    expect(result.reps).toBe(REPS);
    expect(result.linear).toBe(true);
    expect(result.rounds).toBeGreaterThan(8);
  }, 60_000);

  it('fails a quadratic function even when the small side is hit by load in the first rounds', async () => {
    // Load on the small side pulls the ratio down (the unsafe way): here 30 ms in each of the
    // first 2 rounds, enough to take a quadratic under 40x. The check does not stop there (at least
    // 3 rounds, two small measurements that agree) and the minimum of the small side falls to its
    // clean cost in the quiet rounds. 140 calls: the small side costs a few ms, as calibrated.
    const reps = 140;
    let smallCalls = 0;
    const result = await measureLinearCost({
      make: numbers,
      run: (xs: number[]) => {
        if (xs.length === 300) {
          smallCalls++;
          const inRound = smallCalls - 3 * reps - 1; // calls before: warm-up and calibration
          if (inRound >= 0 && inRound % reps === 0 && inRound < 2 * reps) burn(30);
        }
        return pairs(xs);
      },
      n: 300,
      reps,
      minSmallMs: 0.001,
      maxRounds: 6,
    });
    expect(result.reps).toBe(reps);
    expect(result.linear).toBe(false);
    expect(result.rounds).toBe(6);
    expect(result.ratio).toBeGreaterThanOrEqual(40);
  }, 60_000);

  it('awaits a returned promise and counts its CPU time', async () => {
    const result = await measureLinearCost({
      make: numbers,
      run: async (xs: number[]) => {
        await Promise.resolve();
        return pairs(xs);
      },
      n: 200,
      maxRounds: 4,
    });
    expect(result.linear).toBe(false);
    expect(result.smallMs).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('refuses bad options with a RangeError or TypeError naming the option', async () => {
    const ok = { make: numbers, run: sum, n: 10 };
    await expect(measureLinearCost({ ...ok, n: 0 })).rejects.toThrow(/^n must be/);
    await expect(measureLinearCost({ ...ok, n: 1.5 })).rejects.toThrow(RangeError);
    await expect(measureLinearCost({ ...ok, reps: 0 })).rejects.toThrow(/^reps must be/);
    await expect(measureLinearCost({ ...ok, growth: 1 })).rejects.toThrow(/^growth must be/);
    await expect(measureLinearCost({ ...ok, limit: Number.NaN })).rejects.toThrow(/^limit must/);
    await expect(measureLinearCost({ ...ok, minRounds: 0 })).rejects.toThrow(/^minRounds must/);
    await expect(measureLinearCost({ ...ok, minRounds: 5, maxRounds: 4 })).rejects.toThrow(
      /^maxRounds must be an integer >= 5/,
    );
    await expect(measureLinearCost({ ...ok, minSmallMs: 0 })).rejects.toThrow(/^minSmallMs must/);
    await expect(
      measureLinearCost({ ...ok, make: undefined as unknown as () => number[] }),
    ).rejects.toThrow(TypeError);
    await expect(measureLinearCost({ ...ok, run: 'x' as unknown as () => number })).rejects.toThrow(
      /^run must be a function/,
    );
  });
});
