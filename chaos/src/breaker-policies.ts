/**
 * The breaker's policies of issue #19 under chaos: `mode: 'rate'` (minimumCalls, the failure and
 * slow-call rates), `halfOpenPermits` (N trial calls across the fleet) and `quorum` (K distinct
 * workers). Same harness as `breaker.ts`: 3 worker processes, a private Redis, seeded faults; the
 * verdicts come from what reached the dependency and from the state changes the workers reported.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SETTLE_MS } from './breaker';
import { type AppliedFault, DISRUPTIVE, randomFaults, runFaults } from './faults';
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

type Policy = 'rate' | 'permits' | 'quorum';
/** `solo`: the dependency fails for worker `w` only (a broken network path of one worker). */
type Mode = 'healthy' | 'failing' | 'hanging' | 'slow' | 'solo';
interface Segment {
  at: number;
  mode: Mode;
  w?: number;
}
interface PolicyCfg {
  policy: Policy;
  failureThreshold: number;
  resetTimeoutMs: number;
  probeLeaseMs: number;
  /** Passed to circuitBreaker() as they are. */
  options: Record<string, unknown>;
}
interface Call {
  /** handled (parent clock) */
  t: number;
  /** sent (the worker's clock: same machine) */
  s: number;
  w: number;
  /** what the dependency did with this call */
  did: 'ok' | 'fail' | 'hang' | 'slow';
}

const WORKERS = 3;
/** A slow call's answer comes this late; slowCallDurationMs is below it. */
const SLOW_MS = 250;
const SLOW_CALL_MS = 150;

class Dependency {
  mode: Mode = 'healthy';
  solo = -1;
  calls: Call[] = [];
  #held = new Set<http.ServerResponse>();
  #server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const t = this.now();
    const sent = Number(u.searchParams.get('s'));
    const w = Number(u.searchParams.get('w'));
    const m = this.mode;
    const did =
      m === 'failing' || (m === 'solo' && w === this.solo)
        ? 'fail'
        : m === 'hanging'
          ? 'hang'
          : m === 'slow'
            ? 'slow'
            : 'ok';
    this.calls.push({ t, s: sent > 0 ? Math.min(t, sent - this.t0()) : t, w, did });
    if (did === 'ok') res.end('ok');
    else if (did === 'fail') {
      res.statusCode = 503;
      res.end('down');
    } else if (did === 'slow') {
      this.#held.add(res);
      setTimeout(() => {
        this.#held.delete(res);
        res.end('ok');
      }, SLOW_MS);
    } else this.#held.add(res); // hangs until the schedule is over
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

/** The mutant (`--mutant`) decides the policy, so that it meets the check it should fail. */
function policyFor(rng: Rng): Policy {
  const m = process.env.CHAOS_MUTANT;
  if (m === 'min-calls' || m === 'no-rate') return 'rate';
  if (m === 'no-quorum') return 'quorum';
  if (m === 'permits') return 'permits';
  return rng.pick(['rate', 'permits', 'quorum'] as const);
}

interface StateEvent {
  w: number;
  at: number;
  from: string;
  to: string;
}

export const breakerPoliciesChecker: PackageChecker = {
  name: 'breaker-policies',
  workers: WORKERS,

  generate(rng: Rng, seed: number, topology: Topology): Schedule {
    const durationMs = rng.int(5000, 7000);
    const policy = policyFor(rng);
    const cfg: PolicyCfg = {
      policy,
      failureThreshold: rng.int(2, 4),
      resetTimeoutMs: rng.int(400, 1000),
      probeLeaseMs: rng.int(600, 1500),
      options: {},
    };
    const segments: Segment[] = [];
    let weights: Partial<Record<Mode, number>>;
    if (policy === 'rate') {
      cfg.options = {
        mode: 'rate',
        failureRateThreshold: rng.pick([0.2, 0.3, 0.5]),
        minimumCalls: rng.int(10, 40),
        // longer than the schedule: the window is "since the last state change"
        windowMs: 60_000,
        slowCallDurationMs: SLOW_CALL_MS,
        slowCallRateThreshold: rng.pick([0.5, 0.8]),
        flushEvery: rng.pick([1, 5, 10]),
        flushIntervalMs: rng.int(100, 500),
      };
      weights = { healthy: 3, failing: 4, slow: 2 };
      // half the schedules start bad: the window then holds fewer than minimumCalls calls
      if (rng.chance(0.5)) segments.push({ at: 0, mode: rng.pick(['failing', 'slow'] as const) });
    } else if (policy === 'permits') {
      cfg.options = { halfOpenPermits: rng.int(2, 4) };
      weights = {};
    } else {
      cfg.options = { quorum: rng.int(2, 3), windowMs: rng.int(800, 2000) };
      weights = { healthy: 2, failing: 2, solo: 5 };
    }
    // permits: the dependency fails (the circuit opens), then hangs (every call is a trial)
    if (policy === 'permits')
      for (let at = 0; at < durationMs; ) {
        segments.push({ at, mode: 'failing' });
        at += rng.int(900, 1600);
        segments.push({ at, mode: 'hanging' });
        at += rng.int(1000, 2500);
        if (rng.chance(0.3)) segments.push({ at, mode: 'healthy' });
        at += rng.int(400, 1000);
      }
    for (
      let at = segments.length ? rng.int(800, 2000) : 0;
      policy !== 'permits' && at < durationMs;
    ) {
      const mode = rng.weighted(weights as Record<Mode, number>);
      segments.push(mode === 'solo' ? { at, mode, w: rng.int(0, WORKERS - 1) } : { at, mode });
      at += rng.int(600, 2000);
    }
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
      },
    });
    return {
      pkg: 'breaker-policies',
      seed,
      topology,
      durationMs,
      cfg: { ...cfg },
      ops: segments,
      faults,
    };
  },

  describeOps(s: Schedule): string[] {
    return (s.ops as Segment[]).map(
      (o) =>
        `t=${o.at}ms dependency ${o.mode}${o.mode === 'solo' ? ` (fails for worker ${o.w})` : ''}`,
    );
  },

  async run(s: Schedule, env: Env) {
    const cfg = s.cfg as unknown as PolicyCfg;
    const segments = s.ops as Segment[];
    let t0 = Date.now();
    const now = () => Date.now() - t0;
    const dep = new Dependency(now, () => t0);
    const depUrl = await dep.listen();
    const keyPrefix = `chaos:${s.seed}:`;
    const workerCfg = {
      name: `p${s.seed}`,
      keyPrefix,
      failureThreshold: cfg.failureThreshold,
      resetTimeoutMs: cfg.resetTimeoutMs,
      probeLeaseMs: cfg.probeLeaseMs,
      options: cfg.options,
      depUrl,
      store: env.store.address,
      // permits: a loop leaves a hung trial after 50 ms and calls again, so that every permit of
      // a round is asked for (a loop waiting 1 s per hung call would hide a breaker granting more)
      capMs: cfg.policy === 'permits' ? 50 : 1000,
    };
    const setup = async (w: number) => {
      await env.pool.cmd(w, 'setup', { pkg: 'breaker', cfg: workerCfg });
    };
    const violations: Violation[] = [];
    let applied: AppliedFault[] = [];
    let checked = 0;
    let skipped = 0;
    try {
      await Promise.all([0, 1, 2].map(setup));
      env.pool.events.splice(0);
      t0 = Date.now();
      await Promise.all([0, 1, 2].map((w) => env.pool.cmd(w, 'start')));
      const actual: { start: number; mode: Mode }[] = [];
      const flips = segments.map(async (seg) => {
        const wait = seg.at - now();
        if (wait > 0) await sleep(wait);
        dep.solo = seg.w ?? -1;
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
      await Promise.all([0, 1, 2].map((w) => env.pool.cmd(w, 'halt')));
      dep.mode = 'healthy';
      const end = now();
      actual.sort((a, b) => a.start - b.start);

      // What the workers reported: state changes (`state:from>to`) and Redis degraded/restored.
      const states: StateEvent[] = [];
      const degraded: { start: number; end: number }[] = [];
      for (const e of env.pool.events) {
        if (e.kind.startsWith('state:')) {
          const [from = '', to = ''] = e.kind.slice(6).split('>');
          states.push({ w: e.w, at: e.at - t0, from, to });
        } else if (e.kind === 'degraded') {
          const back = env.pool.events.find(
            (x) => x.w === e.w && x.kind === 'restored' && x.at >= e.at,
          );
          degraded.push({ start: e.at - t0, end: (back?.at ?? Date.now()) - t0 });
        }
      }
      states.sort((a, b) => a.at - b.at);
      /** No fault and no degraded worker in [from, to] (disruptive ones: and SETTLE_MS after). */
      const quiet = (from: number, to: number) =>
        applied.every((a) =>
          DISRUPTIVE.has(a.fault.kind)
            ? !overlaps(a.start, a.end + SETTLE_MS, from, to)
            : !overlaps(a.start - 100, a.end + 100, from, to),
        ) && degraded.every((d) => !overlaps(d.start, d.end + SETTLE_MS, from, to));
      /**
       * The fleet's last close before `t`: the first report of `closed` after the latest report
       * of any other state (0: the schedule's start), or undefined if the fleet was not closed.
       */
      const lastClose = (t: number): number | undefined => {
        const before = states.filter((e) => e.at < t);
        const lastOther = before.filter((e) => e.to !== 'closed').at(-1);
        if (!lastOther) return 0;
        return before.find((e) => e.at > lastOther.at && e.to === 'closed')?.at;
      };
      /** Opens from closed that start a wave (the first worker to report it). */
      const opens = states.filter(
        (e) => e.from === 'closed' && e.to === 'open' && lastClose(e.at) !== undefined,
      );
      const sentIn = (from: number, to: number, pred: (c: Call) => boolean = () => true) =>
        dep.calls.filter((c) => c.s >= from && c.s < to && pred(c));

      if (cfg.policy === 'rate') {
        const o = cfg.options as {
          minimumCalls: number;
          failureRateThreshold: number;
          slowCallRateThreshold: number;
          flushEvery: number;
        };
        // breaker.rate-minimum: the circuit never opens before minimumCalls calls since the last
        // close (the window starts empty on every state change; batching only makes it later).
        for (const e of opens) {
          const c = lastClose(e.at) as number;
          if (!quiet(c, e.at + 1)) {
            skipped++;
            continue;
          }
          checked++;
          const n = sentIn(c, e.at + 1).length;
          if (n < o.minimumCalls)
            violations.push({
              property: 'breaker.rate-minimum',
              detail: `worker ${e.w} reported open at t=${e.at}ms after ${n} calls reached the dependency since the fleet's last close at t=${c}ms; minimumCalls ${o.minimumCalls}`,
            });
        }
        // breaker.rate-opens: in a bad period (every call fails, or every call is slow) that
        // starts closed, with C calls since the close, the circuit opens after at most
        // n = max(ceil(θ·C / (1 − θ)), minimumCalls − C + workers·(flushEvery − 1), 1) bad calls
        // (Redis may miss each worker's unflushed successes, never a failure: the README's
        // batching error), then each other worker has at most one call in flight; one probe per
        // resetTimeoutMs after that.
        actual.forEach((seg, i) => {
          if (seg.mode !== 'failing' && seg.mode !== 'slow') return;
          if (actual[i - 1]?.mode === seg.mode) return;
          let j = i;
          while (actual[j + 1]?.mode === seg.mode) j++;
          const pEnd = actual[j + 1]?.start ?? end;
          const c = lastClose(seg.start);
          if (c === undefined || !quiet(c, pEnd)) {
            skipped++;
            return;
          }
          checked++;
          const theta = seg.mode === 'failing' ? o.failureRateThreshold : o.slowCallRateThreshold;
          const C = sentIn(c, seg.start).length;
          const need = Math.max(
            theta >= 1 ? Number.POSITIVE_INFINITY : Math.ceil((theta * C) / (1 - theta)),
            o.minimumCalls - C + WORKERS * (o.flushEvery - 1),
            1,
          );
          const did = seg.mode === 'failing' ? 'fail' : 'slow';
          const n = sentIn(seg.start, pEnd, (x) => x.did === did).length;
          const bound = need + WORKERS - 1 + Math.ceil((pEnd - seg.start) / cfg.resetTimeoutMs);
          if (n > bound)
            violations.push({
              property: 'breaker.rate-opens',
              detail: `dependency ${seg.mode} for ${pEnd - seg.start} ms from t=${seg.start}ms, ${C} calls in the window before: ${n} ${seg.mode} calls reached it; opening needs at most ${need} (threshold ${theta}, minimumCalls ${o.minimumCalls}, flushEvery ${o.flushEvery}), bound ${bound} with one in flight per other worker and one probe per resetTimeoutMs`,
            });
        });
      }

      if (cfg.policy === 'permits') {
        // breaker.half-open-permits: once the circuit is open everywhere on a failing dependency
        // that then hangs (no timeoutMs: a trial never settles), every call that reaches it is a
        // trial; a round grants N across the fleet and the next round starts when the lease runs
        // out: at most N · (1 + ceil(L / probeLeaseMs)).
        const N = cfg.options.halfOpenPermits as number;
        actual.forEach((seg, i) => {
          const prev = actual[i - 1];
          if (seg.mode !== 'hanging' || prev?.mode !== 'failing') return;
          let j = i;
          while (actual[j + 1]?.mode === 'hanging') j++;
          const hEnd = actual[j + 1]?.start ?? end;
          const lastCalls = dep.calls.filter((c) => c.t >= seg.start - 300 && c.t < seg.start);
          if (
            !quiet(prev.start, hEnd) ||
            seg.start - prev.start < 300 + cfg.resetTimeoutMs ||
            lastCalls.length > WORKERS * N
          ) {
            skipped++;
            return;
          }
          checked++;
          const n = sentIn(seg.start, hEnd, (c) => c.did === 'hang').length;
          const allowed = N * (1 + Math.ceil((hEnd - seg.start) / cfg.probeLeaseMs));
          if (n > allowed)
            violations.push({
              property: 'breaker.half-open-permits',
              detail: `circuit open, dependency hanging for ${hEnd - seg.start} ms from t=${seg.start}ms: ${n} trial calls reached it; halfOpenPermits ${N} per round, a new round per probeLeaseMs (${cfg.probeLeaseMs} ms), allows ${allowed}`,
            });
        });
      }

      if (cfg.policy === 'quorum') {
        // breaker.quorum: the fleet opens only when K distinct workers failed within windowMs:
        // every open (from closed) has K workers whose calls the dependency failed in
        // [t − windowMs − 300 ms, t]. Not checked near faults or degraded reports: in memory the
        // quorum does not apply (the README), and an open kept in memory is pushed on restore.
        const K = cfg.options.quorum as number;
        const windowMs = cfg.options.windowMs as number;
        for (const e of opens) {
          if (!quiet(e.at - windowMs - SETTLE_MS, e.at + 1)) {
            skipped++;
            continue;
          }
          checked++;
          const failed = new Set(
            dep.calls
              .filter((c) => c.did === 'fail' && c.t >= e.at - windowMs - 300 && c.t <= e.at)
              .map((c) => c.w),
          );
          if (failed.size < K)
            violations.push({
              property: 'breaker.quorum',
              detail: `worker ${e.w} reported open at t=${e.at}ms with ${failed.size} worker(s) failing in the last windowMs (${windowMs} ms): [${[...failed].join(', ')}]; quorum ${K}`,
            });
        }
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
    const opened = env.pool.events.filter((e) => e.kind.endsWith('>open')).length;
    return {
      applied,
      violations,
      summary: `${cfg.policy} ${JSON.stringify(cfg.options)}: ${dep.calls.length} calls reached the dependency, ${opened} open reports; ${checked} checks, ${skipped} skipped (faults or degraded)`,
    };
  },
};
