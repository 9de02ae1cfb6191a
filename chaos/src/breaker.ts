import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppliedFault, DISRUPTIVE, randomFaults, runFaults } from './faults';
import type { Rng } from './rng';
import type { Topology } from './store';
import {
  type Env,
  overlaps,
  type PackageChecker,
  type Schedule,
  sleep,
  until,
  type Violation,
} from './types';

type Mode = 'healthy' | 'failing' | 'hanging';
interface Segment {
  at: number;
  mode: Mode;
}
interface BreakerCfg {
  failureThreshold: number;
  resetTimeoutMs: number;
  timeoutMs?: number;
  probeLeaseMs?: number;
}

const WORKERS = 3;
/** A disruptive fault's effect is assumed to last this long after it ends (reconnects, resync). */
export const SETTLE_MS = 2500;
/** After faults are over and the settle time passed, every worker follows a change within this. */
export const CONVERGE_MS = 2000;

/** The dependency: a tiny HTTP server whose mode the schedule flips; it records every call. */
class Dependency {
  mode: Mode = 'healthy';
  /** t: when the dependency handled the call (and decided its mode); s: when it was sent. */
  calls: { t: number; s: number; w: number; mode: Mode }[] = [];
  #held: http.ServerResponse[] = [];
  #server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const t = this.now();
    const sent = Number(u.searchParams.get('s'));
    this.calls.push({
      t,
      s: sent > 0 ? Math.min(t, sent - this.t0()) : t,
      w: Number(u.searchParams.get('w')),
      mode: this.mode,
    });
    if (this.mode === 'healthy') res.end('ok');
    else if (this.mode === 'failing') {
      res.statusCode = 503;
      res.end('down');
    } else this.#held.push(res); // hangs until the schedule is over
  });
  constructor(
    readonly now: () => number,
    readonly t0: () => number,
  ) {}
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }
  async close(): Promise<void> {
    for (const r of this.#held) r.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

function leaseOf(cfg: BreakerCfg): number {
  return cfg.probeLeaseMs ?? cfg.timeoutMs ?? 30_000;
}

export const breakerChecker: PackageChecker = {
  name: 'breaker',
  workers: WORKERS,

  generate(rng: Rng, seed: number, topology: Topology): Schedule {
    const durationMs = rng.int(5000, 7000);
    const cfg: BreakerCfg = {
      failureThreshold: rng.int(2, 4),
      resetTimeoutMs: rng.int(500, 1200),
    };
    // Half the schedules time calls out (lease = timeoutMs); the others rely on probeLeaseMs alone.
    if (rng.chance(0.5)) cfg.timeoutMs = rng.int(200, 600);
    else cfg.probeLeaseMs = rng.int(600, 1500);
    const segments: Segment[] = [];
    for (let at = 0; at < durationMs; at += rng.int(500, 1800))
      segments.push({ at, mode: rng.weighted({ healthy: 4, failing: 5, hanging: 1.5 }) });
    const faults = randomFaults(rng, {
      durationMs,
      workers: WORKERS,
      max: 4,
      kinds: {
        ...(topology === 'single' ? { restart: 2 } : {}),
        pause: 2,
        killCmd: 2,
        killSub: 2,
        del: 2,
        pexpire: 1,
        sigkill: 1.5,
        open: 1,
        close: 1,
      },
    });
    return { pkg: 'breaker', seed, topology, durationMs, cfg: { ...cfg }, ops: segments, faults };
  },

  describeOps(s: Schedule): string[] {
    return (s.ops as Segment[]).map((o) => `t=${o.at}ms dependency ${o.mode}`);
  },

  async run(s: Schedule, env: Env) {
    const cfg = s.cfg as unknown as BreakerCfg;
    const segments = s.ops as Segment[];
    let t0 = Date.now();
    const now = () => Date.now() - t0;
    const dep = new Dependency(now, () => t0);
    const depUrl = await dep.listen();
    const keyPrefix = `chaos:${s.seed}:`;
    const workerCfg = {
      name: `b${s.seed}`,
      keyPrefix,
      ...cfg,
      depUrl,
      store: env.store.address,
      capMs: 1000,
    };
    const setup = async (w: number) => {
      await env.pool.cmd(w, 'setup', { pkg: 'breaker', cfg: workerCfg });
    };
    const violations: Violation[] = [];
    let applied: AppliedFault[] = [];
    let checkedPeriods = 0;
    let skippedDegraded = 0;
    try {
      await Promise.all([0, 1, 2].map(setup));
      env.pool.events.splice(0);
      t0 = Date.now();
      await Promise.all([0, 1, 2].map((w) => env.pool.cmd(w, 'start')));
      const actual: { start: number; mode: Mode }[] = [];
      const flips = segments.map(async (seg) => {
        const wait = seg.at - now();
        if (wait > 0) await sleep(wait);
        dep.mode = seg.mode;
        actual.push({ start: now(), mode: seg.mode });
      });
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
      await Promise.all(flips);
      const wait = s.durationMs - now();
      if (wait > 0) await sleep(wait);
      dep.mode = 'healthy';
      const end = now();
      actual.sort((a, b) => a.start - b.start);

      // B1, B2: failing periods (consecutive failing segments), far from disruptive faults. An
      // instantaneous fault inside a period (key loss, operator open/close) starts a new piece:
      // the bound holds again from that moment.
      const T = cfg.failureThreshold;
      const R = cfg.resetTimeoutMs;
      const bound = T + WORKERS - 1;
      // With timeoutMs, a hanging dependency fails too (each call times out and counts), so
      // hanging periods are held to the same bounds; without it, hung calls never count.
      const bad = (m: Mode | undefined) =>
        m === 'failing' || (m === 'hanging' && cfg.timeoutMs !== undefined);
      const pieces: { start: number; end: number }[] = [];
      actual.forEach((seg, i) => {
        if (!bad(seg.mode) || bad(actual[i - 1]?.mode)) return;
        let j = i;
        while (bad(actual[j + 1]?.mode)) j++;
        const periodEnd = actual[j + 1]?.start ?? end;
        const cuts = applied
          .filter(
            (a) => !DISRUPTIVE.has(a.fault.kind) && a.start > seg.start && a.start < periodEnd,
          )
          .map((a) => ({ stop: a.start, resume: a.end + 1 }));
        // The piece before a fault ends when the fault begins; the next begins when it is over
        // (a PEXPIRE takes effect some ms after it is sent: calls meanwhile belong to neither).
        let from = seg.start;
        for (const cut of [...cuts, { stop: periodEnd, resume: periodEnd }]) {
          if (cut.stop > from) pieces.push({ start: from, end: cut.stop });
          from = Math.max(from, cut.resume);
        }
      });
      // Intervals in which a worker's breaker said Redis was unreachable or too slow (degraded):
      // it then counts in memory, as its README says, and the shared bound does not apply.
      const degraded: { start: number; end: number }[] = [];
      for (const e of env.pool.events) {
        if (e.kind !== 'degraded') continue;
        const back = env.pool.events.find(
          (x) => x.w === e.w && x.kind === 'restored' && x.at >= e.at,
        );
        degraded.push({ start: e.at - t0, end: (back?.at ?? Date.now()) - t0 });
      }
      for (const p of pieces) {
        const clean =
          applied.every(
            (a) =>
              !DISRUPTIVE.has(a.fault.kind) ||
              !overlaps(a.start, a.end + SETTLE_MS, p.start, p.end),
          ) && degraded.every((d) => !overlaps(d.start, d.end + SETTLE_MS, p.start, p.end));
        if (!clean) {
          if (degraded.some((d) => overlaps(d.start, d.end + SETTLE_MS, p.start, p.end)))
            skippedDegraded++;
          continue;
        }
        checkedPeriods++;
        // Calls SENT in the piece that the dependency failed or held: a call sent before a mode
        // change but handled after it (the parent was busy) is that worker's call in flight.
        const failed = dep.calls.filter((c) => c.mode !== 'healthy');
        const first = failed.filter((c) => c.s >= p.start && c.s < Math.min(p.end, p.start + R));
        const inFirst = first.length;
        if (inFirst > bound)
          violations.push({
            property: 'breaker.failing-calls',
            detail: `dependency failing or hanging from t=${p.start}ms: ${inFirst} calls reached it within resetTimeoutMs (${R} ms); bound failureThreshold + workers - 1 = ${bound}; calls (sent at:worker): ${first.map((c) => `${c.s}${c.t - c.s > 50 ? `(handled ${c.t})` : ''}:w${c.w}`).join(' ')}`,
          });
        const all = failed.filter((c) => c.s >= p.start && c.s < p.end).length;
        const probes = Math.ceil((p.end - p.start) / R);
        if (all > bound + probes)
          violations.push({
            property: 'breaker.one-probe',
            detail: `dependency failing or hanging for ${p.end - p.start} ms from t=${p.start}ms: ${all} calls reached it; bound ${bound} + one probe per resetTimeoutMs (${probes}) = ${bound + probes}`,
          });
      }

      // B2b: probes that hang. Without timeoutMs a hung call never settles, so once the circuit
      // is open everywhere, every call that reaches a hanging dependency is a probe, and a new
      // probe may start only when the previous one's lease ran out: at most one in flight.
      if (cfg.timeoutMs === undefined) {
        const lease = leaseOf(cfg);
        actual.forEach((seg, i) => {
          if (seg.mode !== 'hanging' || actual[i - 1]?.mode === 'hanging') return;
          const prev = actual[i - 1];
          if (prev?.mode !== 'failing') return;
          let j = i;
          while (actual[j + 1]?.mode === 'hanging') j++;
          const hEnd = actual[j + 1]?.start ?? end;
          const quiet =
            applied.every((a) =>
              DISRUPTIVE.has(a.fault.kind)
                ? !overlaps(a.start, a.end + SETTLE_MS, prev.start, hEnd)
                : !overlaps(a.start - 100, a.end + 1, prev.start, hEnd),
            ) && degraded.every((d) => !overlaps(d.start, d.end + SETTLE_MS, prev.start, hEnd));
          // Open everywhere at the switch: in its last 300 ms at most one call per worker (a
          // probe) reached the failing dependency; a closed worker calls every 5-20 ms.
          const lastCalls = dep.calls.filter((c) => c.t >= seg.start - 300 && c.t < seg.start);
          if (!quiet || seg.start - prev.start < 300 + R || lastCalls.length > WORKERS) return;
          checkedPeriods++;
          const n = dep.calls.filter(
            (c) => c.mode === 'hanging' && c.s >= seg.start && c.s < hEnd,
          ).length;
          const allowed = 1 + Math.ceil((hEnd - seg.start) / lease);
          if (n > allowed)
            violations.push({
              property: 'breaker.one-probe',
              detail: `circuit open, dependency hanging for ${hEnd - seg.start} ms from t=${seg.start}ms (no timeoutMs): ${n} calls reached it; one probe at a time, a new one when the last one's probeLeaseMs (${lease} ms) ran out, allows ${allowed}`,
            });
        });
      }

      // B3: after the faults are over: liveness, then convergence on operator changes.
      const liveness = SETTLE_MS + R + leaseOf(cfg);
      await sleep(liveness);
      await Promise.all([0, 1, 2].map((w) => env.pool.cmd(w, 'halt')));
      for (let w = 0; w < WORKERS; w++) {
        const r = await env.pool.cmd(w, 'call').catch((e: Error) => `error ${e.message}`);
        if (r !== 'ok')
          violations.push({
            property: 'breaker.recovers',
            detail: `worker ${w}: a call ${liveness} ms after the dependency recovered and the faults ended answered '${r}' (expected to reach the dependency)`,
          });
      }
      const follow = async (target: 'open' | 'closed') => {
        const states: unknown[] = [];
        const ok = await until(async () => {
          for (let w = 0; w < WORKERS; w++) states[w] = await env.pool.cmd(w, 'state');
          return states.every((x) => x === target);
        }, CONVERGE_MS);
        if (!ok)
          violations.push({
            property: 'breaker.converges',
            detail: `operator ${target === 'open' ? 'open()' : 'close()'}: after ${CONVERGE_MS} ms the workers' states are [${states.join(', ')}]`,
          });
      };
      await env.pool.cmd(0, 'open');
      await follow('open');
      await env.pool.cmd(WORKERS - 1, 'close');
      await follow('closed');
      for (let w = 0; w < WORKERS; w++) {
        const r = await env.pool.cmd(w, 'call').catch((e: Error) => `error ${e.message}`);
        if (r !== 'ok')
          violations.push({
            property: 'breaker.converges',
            detail: `worker ${w}: a call after operator close() answered '${r}'`,
          });
      }
    } finally {
      await dep.close();
      await Promise.all(
        [0, 1, 2].map((w) =>
          env.pool.alive(w) ? env.pool.cmd(w, 'teardown').catch(() => undefined) : undefined,
        ),
      );
    }
    for (const c of env.pool.crashes.splice(0))
      violations.push({ property: 'worker.crash', detail: c });
    const failing = dep.calls.filter((c) => c.mode === 'failing').length;
    return {
      applied,
      violations,
      summary: `${dep.calls.length} calls reached the dependency (${failing} while failing; ${checkedPeriods} failing periods checked against the bound${skippedDegraded ? `, ${skippedDegraded} skipped: a breaker reported Redis degraded` : ''})`,
    };
  },
};
