import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppliedFault, randomFaults, runFaults } from './faults';
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

interface BulkCfg {
  limit: number;
  queue: number;
  leaseMs: number;
  loops: number;
  maxMs: number;
}

const WORKERS = 3;

/**
 * One call's function, as the PARENT saw it: `start` when the function's request reached the
 * parent (after the slot was taken), `end` when the parent answered it (before the function could
 * return and free the slot) or when its connection closed (the worker was SIGKILLed). So each
 * recorded interval lies inside the interval in which the call really held its slot: an overlap
 * of more than `limit` recorded intervals is a real one.
 */
export interface Exec {
  w: number;
  start: number;
  end: number;
  /** The worker's bulkhead was degraded when the call entered or when its function started. */
  share: boolean;
  /** Its lease may be gone without a promise covering it (data loss, a reported lost lease). */
  lost?: boolean;
}

/** The instant where running calls exceed what the README allows, or undefined. */
export function worstInstant(
  execs: readonly Exec[],
  limit: number,
): { at: number; running: number; share: number; lost: number } | undefined {
  const ev: { t: number; d: number; e: Exec }[] = [];
  for (const e of execs) {
    ev.push({ t: e.start, d: 1, e });
    ev.push({ t: e.end, d: -1, e });
  }
  // half-open intervals: an end at t comes before a start at t
  ev.sort((a, b) => a.t - b.t || a.d - b.d);
  let running = 0;
  let share = 0;
  let lost = 0;
  let worst: { at: number; running: number; share: number; lost: number } | undefined;
  for (const x of ev) {
    running += x.d;
    if (x.e.lost) lost += x.d;
    else if (x.e.share) share += x.d;
    if (x.d > 0 && running > limit + share + lost) {
      if (!worst || running - share - lost > worst.running - worst.share - worst.lost)
        worst = { at: x.t, running, share, lost };
    }
  }
  return worst;
}

export const bulkheadChecker: PackageChecker = {
  name: 'bulkhead',
  workers: WORKERS,

  generate(rng: Rng, seed: number, topology: Topology): Schedule {
    const durationMs = rng.int(5000, 6500);
    const limit = rng.pick([2, 3, 4, 6]);
    const cfg: BulkCfg = {
      limit,
      queue: rng.pick([0, 0, 2]),
      leaseMs: rng.pick([3000, 4000]),
      // more callers than slots, so the limit is always under pressure
      loops: rng.int(Math.ceil(limit / 2), limit),
      maxMs: rng.pick([60, 150, 400]),
    };
    const faults = randomFaults(rng, {
      durationMs,
      workers: WORKERS,
      max: 4,
      kinds: {
        ...(topology === 'single' ? { restart: 2 } : {}),
        pause: 2,
        killCmd: 2,
        sigkill: 2,
      },
    });
    return { pkg: 'bulkhead', seed, topology, durationMs, cfg: { ...cfg }, ops: [], faults };
  },

  describeOps(s: Schedule): string[] {
    const c = s.cfg as unknown as BulkCfg;
    return [
      `${WORKERS} workers x ${c.loops} loops: bulkhead({ limit: ${c.limit}, queue: ${c.queue}, leaseMs: ${c.leaseMs}, expectedWorkers: ${WORKERS} }) around a call to the parent lasting 5..${c.maxMs} ms, for ${s.durationMs} ms`,
    ];
  },

  async run(s: Schedule, env: Env) {
    const cfg = s.cfg as unknown as BulkCfg;
    let t0 = Date.now();
    const now = () => Date.now() - t0;
    const execs: Exec[] = [];
    const server = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const e: Exec = {
        w: Number(u.searchParams.get('w')),
        start: now(),
        end: Number.POSITIVE_INFINITY,
        share: u.searchParams.get('d') === '1',
      };
      execs.push(e);
      const timer = setTimeout(
        () => {
          e.end = now();
          res.end('ok');
        },
        Number(u.searchParams.get('ms') ?? 10),
      );
      res.on('close', () => {
        clearTimeout(timer);
        if (e.end === Number.POSITIVE_INFINITY) e.end = now();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const depUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const keyPrefix = `chaos:${s.seed}:`;
    const workerCfg = {
      name: `b${s.seed}`,
      keyPrefix,
      ...cfg,
      expectedWorkers: WORKERS,
      depUrl,
      store: env.store.address,
    };
    const setup = (w: number) => env.pool.cmd(w, 'setup', { pkg: 'bulkhead', cfg: workerCfg });
    const violations: Violation[] = [];
    let applied: AppliedFault[] = [];
    const eventsFrom = env.pool.events.length;
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
    const events = env.pool.events.splice(eventsFrom);
    // The README's windows, encoded: (1) a call admitted from the per-process share while Redis
    // was unusable is not in Redis (the fleet may exceed limit by their number while they run);
    // (2) a lease reported lost (onLeaseLost: the process stalled past its lease) no longer
    // counts; (3) the README promises nothing about leases that Redis itself lost (a restart
    // empties it): calls running across a restart are set apart, and counted in the summary.
    const lostAt = events
      .filter((e) => e.kind === 'leaseLost')
      .map((e) => ({ ...e, at: e.at - t0 }));
    let acrossLoss = 0;
    for (const e of execs) {
      if (lostAt.some((l) => l.w === e.w && e.start <= l.at && l.at <= e.end)) e.lost = true;
      if (
        applied.some(
          (a) =>
            // started before Redis went down and still running when it was killed: its lease
            // went with the data (calls started during the outage are share or new leases)
            a.applied && a.fault.kind === 'restart' && e.start < a.start && e.end > a.start,
        )
      ) {
        e.lost = true;
        acrossLoss++;
      }
    }
    const worst = worstInstant(execs, cfg.limit);
    if (worst) {
      const around = execs
        .filter((e) => e.start <= worst.at && worst.at < e.end)
        .map(
          (e) => `w${e.w}[${e.start}..${e.end}${e.share ? ' share' : ''}${e.lost ? ' lost' : ''}]`,
        )
        .join(' ');
      const near = applied
        .filter(
          (a) =>
            a.applied &&
            overlaps(a.start - cfg.leaseMs, a.end + cfg.leaseMs, worst.at, worst.at + 1),
        )
        .map((a) => `${a.fault.kind}@${a.start}..${a.end}`);
      violations.push({
        property: 'bulkhead.limit',
        detail: `${worst.running} functions running at t=${worst.at}ms; limit ${cfg.limit}, of them ${worst.share} admitted from the degraded share and ${worst.lost} with a lost lease (allowed: ${cfg.limit + worst.share + worst.lost}); running: ${around}; faults near: ${near.join(', ') || 'none'}`,
      });
    }
    for (const c of env.pool.crashes.splice(0))
      violations.push({ property: 'worker.crash', detail: c });
    const maxRun = (() => {
      let m = 0;
      for (const e of execs)
        m = Math.max(m, execs.filter((x) => x.start <= e.start && e.start < x.end).length);
      return m;
    })();
    return {
      applied,
      violations,
      summary: `${execs.length} calls (most at once ${maxRun}/${cfg.limit}, ${execs.filter((e) => e.share).length} from the degraded share, ${acrossLoss} across a restart, ${lostAt.length} lease-lost events)`,
    };
  },
};
