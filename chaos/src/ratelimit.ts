import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppliedFault, DATA_LOSS, randomFaults, runFaults } from './faults';
import type { Rng } from './rng';
import type { Topology } from './store';
import {
  type Env,
  overlaps,
  type PackageChecker,
  type Schedule,
  sleep,
  type Violation,
} from './types';

interface RateCfg {
  points: number;
  durationMs: number;
  burst: number;
  maxCost: number;
  loops: number;
}

const WORKERS = 3;
/**
 * Grant times are taken in the callers' processes (one machine, one clock) when `acquire()`
 * resolves; a timer that fires late in one process can move a grant by a few tens of ms. The
 * window checked is therefore durationMs − JITTER_MS long: a violation is more than the limit in
 * a window a little SHORTER than the limiter's.
 */
export const JITTER_MS = 50;

interface Grant {
  at: number;
  w: number;
  cost: number;
  /** Granted while the limiter was in its in-memory fallback (Redis failing or slow). */
  degraded?: boolean;
  /** The granting process's worst event-loop delay since its previous grant, ms. */
  lag?: number;
}

/** The largest cost sum in any window [t, t + windowMs) and where it starts. */
export function heaviestWindow(
  grants: readonly Grant[],
  windowMs: number,
): { sum: number; from: number } {
  const g = [...grants].sort((a, b) => a.at - b.at);
  let best = { sum: 0, from: 0 };
  let lo = 0;
  let sum = 0;
  for (let hi = 0; hi < g.length; hi++) {
    sum += (g[hi] as Grant).cost;
    while ((g[hi] as Grant).at - (g[lo] as Grant).at >= windowMs) {
      sum -= (g[lo] as Grant).cost;
      lo++;
    }
    if (sum > best.sum) best = { sum, from: (g[lo] as Grant).at };
  }
  return best;
}

export const ratelimitChecker: PackageChecker = {
  name: 'ratelimit',
  workers: WORKERS,

  generate(rng: Rng, seed: number, topology: Topology): Schedule {
    const durationMs = rng.int(5000, 7000);
    const cfg: RateCfg = {
      points: rng.pick([10, 15, 20]),
      durationMs: 1000,
      burst: rng.pick([1, 1, 2, 4]),
      maxCost: rng.pick([1, 3, 5]),
      loops: rng.int(1, 3),
    };
    const faults = randomFaults(rng, {
      durationMs,
      workers: WORKERS,
      max: 4,
      kinds: {
        ...(topology === 'single' ? { restart: 2 } : {}),
        pause: 2,
        killCmd: 2,
        del: 2,
        pexpire: 1,
        sigkill: 1.5,
      },
    });
    return { pkg: 'ratelimit', seed, topology, durationMs, cfg: { ...cfg }, ops: [], faults };
  },

  describeOps(s: Schedule): string[] {
    const c = s.cfg as unknown as RateCfg;
    return [
      `${WORKERS} workers x ${c.loops} loops: acquire({ cost: 1 (70 %) or 1..${c.maxCost}, timeoutMs: 1500 }) for ${s.durationMs} ms`,
    ];
  },

  async run(s: Schedule, env: Env) {
    const cfg = s.cfg as unknown as RateCfg;
    let t0 = Date.now();
    const now = () => Date.now() - t0;
    const grants: Grant[] = [];
    const server = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      grants.push({
        at: Number(u.searchParams.get('at')) - t0,
        w: Number(u.searchParams.get('w')),
        cost: Number(u.searchParams.get('cost')),
        degraded: u.searchParams.get('d') === '1',
        lag: Number(u.searchParams.get('lag') ?? 0),
      });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const depUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const keyPrefix = `chaos:${s.seed}:`;
    const workerCfg = {
      name: `r${s.seed}`,
      keyPrefix,
      ...cfg,
      expectedWorkers: WORKERS,
      depUrl,
      store: env.store.address,
    };
    const setup = (w: number) => env.pool.cmd(w, 'setup', { pkg: 'ratelimit', cfg: workerCfg });
    const violations: Violation[] = [];
    let applied: AppliedFault[] = [];
    let inconclusive = 0;
    try {
      await Promise.all([0, 1, 2].map(setup));
      t0 = Date.now();
      await Promise.all([0, 1, 2].map((w) => env.pool.cmd(w, 'start')));
      applied = await runFaults(s.faults, {
        store: env.store,
        pool: env.pool,
        keyPrefix,
        seed: s.seed,
        now,
        revive: async (w) => {
          await env.pool.respawn(w);
          await setup(w);
          await env.pool.cmd(w, 'start');
        },
      });
      const wait = s.durationMs - now();
      if (wait > 0) await sleep(wait);
      await Promise.all(
        [0, 1, 2].map((w) => (env.pool.alive(w) ? env.pool.cmd(w, 'halt') : undefined)),
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.all(
        [0, 1, 2].map((w) =>
          env.pool.alive(w) ? env.pool.cmd(w, 'teardown').catch(() => undefined) : undefined,
        ),
      );
    }
    const limit = cfg.points;
    const windowMs = cfg.durationMs - JITTER_MS;
    const worst = heaviestWindow(grants, windowMs);
    if (worst.sum > limit) {
      const loss = applied.filter(
        (a) =>
          a.applied &&
          (DATA_LOSS.has(a.fault.kind) || a.fault.kind === 'killCmd' || a.fault.kind === 'pause') &&
          overlaps(
            a.start - cfg.durationMs,
            a.end + cfg.durationMs,
            worst.from,
            worst.from + windowMs,
          ),
      );
      const inWindow = grants
        .filter((g) => g.at >= worst.from && g.at < worst.from + windowMs)
        .sort((a, b) => a.at - b.at);
      const fallback = inWindow.filter((g) => g.degraded).reduce((a, g) => a + g.cost, 0);
      const grantList = inWindow
        .map((g) => `${g.at}:w${g.w}x${g.cost}${g.degraded ? 'm' : ''}`)
        .join(' ');
      const stall = Math.max(0, ...inWindow.map((g) => g.lag ?? 0));
      if (stall > JITTER_MS) {
        inconclusive++;
        console.log(
          `  inconclusive: ${worst.sum}/${limit} units in a window, but a caller's event loop stalled ${stall} ms (> ${JITTER_MS}) there: grant times are not exact enough to judge`,
        );
      } else
        violations.push({
          property: loss.some((a) => DATA_LOSS.has(a.fault.kind))
            ? 'ratelimit.window-across-loss'
            : 'ratelimit.window',
          detail: `${worst.sum} units granted in the ${windowMs} ms from t=${worst.from}ms; limit points = ${limit}${loss.length ? ` (near: ${loss.map((a) => a.fault.kind).join(', ')})` : ' (no fault near)'}; ${fallback} of them from the in-memory fallback; grants (t:worker x cost, m = fallback, ~lag): ${grantList}`,
        });
    }
    for (const c of env.pool.crashes.splice(0))
      violations.push({ property: 'worker.crash', detail: c });
    const units = grants.reduce((a, g) => a + g.cost, 0);
    return {
      applied,
      violations,
      inconclusive,
      summary: `${grants.length} grants (${units} units, busiest window ${worst.sum}/${limit}${inconclusive ? ', inconclusive: caller stalled' : ''})`,
    };
  },
};
