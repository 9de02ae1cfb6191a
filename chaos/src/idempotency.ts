import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AppliedFault, DATA_LOSS, randomFaults, runFaults } from './faults';
import { Rng } from './rng';
import type { Topology } from './store';
import {
  type Env,
  overlaps,
  type PackageChecker,
  type Schedule,
  sleep,
  type Violation,
} from './types';

interface IdemCfg {
  leaseMs: number;
  onConcurrent: 'reject' | 'wait';
}

/** One client's series of attempts with one key (retries reuse the key, as a client must). */
interface ClientOp {
  key: string;
  client: number;
  at: number;
  /** How long the handler takes for this key. */
  handlerMs: number;
  /** Per-attempt client timeout (then the client disconnects), or none. */
  timeoutMs?: number;
  attempts: number;
  /** Payload: query `n` and body `b`. A client with another payload must not get a replay. */
  n: number;
  b: number;
}

interface Exec {
  key: string;
  execId: string;
  w: number;
  t: number;
  end?: number;
  n: string;
  b: unknown;
}

interface Answer {
  op: ClientOp;
  start: number;
  t: number;
  status: number;
  body: { execId?: string; key?: string; n?: string; b?: unknown } | undefined;
  replayed: boolean;
}

const WORKERS = 3;
/** The worker's commandTimeoutMs (500) and some slack: how long storing an answer may take. */
const COMPLETE_MS = 700;
/** Statuses the middleware itself may answer (documented): anything else must come from the handler. */
const MIDDLEWARE_STATUSES = new Set([400, 409, 422, 503]);

export const idempotencyChecker: PackageChecker = {
  name: 'idempotency',
  workers: WORKERS,

  generate(rng: Rng, seed: number, topology: Topology): Schedule {
    const durationMs = rng.int(5000, 7000);
    const cfg: IdemCfg = {
      leaseMs: rng.pick([600, 900, 1500]),
      onConcurrent: rng.chance(0.6) ? 'reject' : 'wait',
    };
    const ops: ClientOp[] = [];
    const keys = rng.int(4, 8);
    for (let k = 0; k < keys; k++) {
      const key = `k${seed.toString(36)}-${k}`;
      // Some handlers outlast the lease several times over: renewal must keep the claim.
      const handlerMs = rng.chance(0.4) ? rng.int(cfg.leaseMs, cfg.leaseMs * 3) : rng.int(10, 300);
      const at = rng.int(0, durationMs - 2500);
      const clients = rng.int(1, 3);
      for (let c = 0; c < clients; c++) {
        const other = c > 0 && rng.chance(0.2);
        const op: ClientOp = {
          key,
          client: c,
          at: at + (c === 0 ? 0 : rng.int(0, 1500)),
          handlerMs,
          attempts: rng.int(2, 8),
          n: other && rng.chance(0.5) ? 2 : 1,
          b: other && rng.chance(0.5) ? 2 : 1,
        };
        if (rng.chance(0.5)) op.timeoutMs = rng.int(100, 1500);
        ops.push(op);
      }
    }
    const faults = randomFaults(rng, {
      durationMs,
      workers: WORKERS,
      max: 4,
      kinds: {
        ...(topology === 'single' ? { restart: 2 } : {}),
        pause: 2,
        killCmd: 2,
        del: 1.5,
        pexpire: 1,
        sigkill: 2,
      },
    });
    return { pkg: 'idempotency', seed, topology, durationMs, cfg: { ...cfg }, ops, faults };
  },

  describeOps(s: Schedule): string[] {
    return (s.ops as ClientOp[]).map(
      (o) =>
        `t=${o.at}ms client ${o.client} key ${o.key}: POST /op?n=${o.n} {b:${o.b}}, handler ${o.handlerMs} ms, ${o.attempts} attempt(s)${o.timeoutMs ? `, client timeout ${o.timeoutMs} ms` : ''}`,
    );
  },

  async run(s: Schedule, env: Env) {
    const cfg = s.cfg as unknown as IdemCfg;
    const ops = s.ops as ClientOp[];
    let t0 = Date.now();
    const now = () => Date.now() - t0;
    const execLog = path.join(
      os.tmpdir(),
      `resil-chaos-exec-${process.pid}-${s.seed}-${Date.now()}.jsonl`,
    );
    fs.writeFileSync(execLog, '');
    const keyPrefix = `chaos:${s.seed}:`;
    const workerCfg = { keyPrefix, ...cfg, execLog, store: env.store.address };
    const ports: (number | undefined)[] = [];
    const setup = async (w: number) => {
      await env.pool.cmd(w, 'setup', { pkg: 'idempotency', cfg: workerCfg });
      ports[w] = (await env.pool.cmd(w, 'port')) as number;
    };
    const answers: Answer[] = [];
    const violations: Violation[] = [];
    let applied: AppliedFault[] = [];
    try {
      await Promise.all([0, 1, 2].map(setup));
      t0 = Date.now();
      const clients = ops.map(async (op, i) => {
        const rng = new Rng((s.seed ^ (i * 2654435761)) >>> 0);
        await sleep(op.at);
        for (let a = 0; a < op.attempts; a++) {
          const w = rng.int(0, WORKERS - 1);
          const port = env.pool.alive(w) ? ports[w] : undefined;
          if (port === undefined) {
            await sleep(rng.int(100, 400));
            continue;
          }
          const ac = new AbortController();
          const timer = op.timeoutMs ? setTimeout(() => ac.abort(), op.timeoutMs) : undefined;
          const start = now();
          let status = 0;
          let body: Answer['body'];
          let replayed = false;
          try {
            const res = await fetch(`http://127.0.0.1:${port}/op?n=${op.n}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'idempotency-key': op.key },
              body: JSON.stringify({ b: op.b, ms: op.handlerMs }),
              signal: ac.signal,
            });
            status = res.status;
            replayed = res.headers.get('idempotent-replayed') === 'true';
            const text = await res.text();
            try {
              body = JSON.parse(text);
            } catch {
              body = undefined;
            }
          } catch {
            status = 0; // timed out (disconnected) or connection refused/reset
          } finally {
            clearTimeout(timer);
          }
          answers.push({ op, start, t: now(), status, body, replayed });
          if (status !== 0 && status !== 409 && status !== 503 && status < 500) break;
          await sleep(rng.int(100, 600));
        }
      });
      applied = await runFaults(s.faults, {
        store: env.store,
        pool: env.pool,
        keyPrefix,
        seed: s.seed,
        now,
        revive: async (w) => {
          ports[w] = undefined;
          await env.pool.respawn(w);
          await setup(w);
        },
      });
      await Promise.all(clients);
      // Handlers still running finish (or are torn down) before the log is read.
      const longest = Math.max(0, ...ops.map((o) => o.handlerMs));
      await sleep(Math.min(longest, 3000) + 200);
    } finally {
      await Promise.all(
        [0, 1, 2].map((w) =>
          env.pool.alive(w) ? env.pool.cmd(w, 'teardown').catch(() => undefined) : undefined,
        ),
      );
    }
    const execs = new Map<string, Exec>();
    for (const line of fs.readFileSync(execLog, 'utf8').split('\n')) {
      if (!line) continue;
      let e: { ev: string; execId: string; t: number } & Partial<Exec>;
      try {
        e = JSON.parse(line);
      } catch {
        continue; // a line torn by SIGKILL
      }
      if (e.ev === 'exec')
        execs.set(e.execId, {
          key: String(e.key),
          execId: e.execId,
          w: Number(e.w),
          t: e.t - t0,
          n: String(e.n),
          b: e.b,
        });
      else if (e.ev === 'end') {
        const x = execs.get(e.execId);
        if (x) x.end = e.t - t0;
      }
    }
    fs.rmSync(execLog, { force: true });

    const byKey = new Map<string, Exec[]>();
    for (const x of execs.values()) byKey.set(x.key, [...(byKey.get(x.key) ?? []), x]);
    const ok = applied.filter((a) => a.applied);
    // Why a second run may be legitimate: the package's README promises at-most-once while the
    // store keeps the claim, and a retry after a crashed worker's lease.
    const excuse = (runs: Exec[]): string | undefined => {
      const first = runs[0] as Exec;
      for (const a of ok) {
        if (DATA_LOSS.has(a.fault.kind) && a.end >= first.t)
          return `${a.fault.kind} at t=${a.start}ms lost records`;
      }
      for (const x of runs) {
        const xEnd = x.end ?? Number.POSITIVE_INFINITY;
        for (const a of ok) {
          if (
            a.fault.kind === 'sigkill' &&
            a.fault.worker === x.w &&
            a.start >= x.t &&
            a.start <= xEnd
          )
            return `worker ${x.w} killed while running it (lease expiry lets the retry run)`;
          // README, Guarantees, exception 3: the record could not be written when the handler
          // answered (the store disturbed then): after the lease the retry runs again.
          if (
            x.end !== undefined &&
            (a.fault.kind === 'killCmd' ||
              a.fault.kind === 'pause' ||
              a.fault.kind === 'restart') &&
            overlaps(a.start, a.end + 50, x.end - 50, x.end + COMPLETE_MS)
          )
            return `${a.fault.kind} at t=${a.start}ms as the answer was being stored (README exception 3)`;
          if (
            a.fault.kind === 'pause' &&
            (a.fault.ms ?? 0) >= (cfg.leaseMs * 2) / 3 &&
            overlaps(a.start, a.end, x.t, xEnd)
          )
            return `store paused ${a.fault.ms} ms (>= 2/3 of the lease) while it ran: the lease could not be renewed`;
        }
      }
      return undefined;
    };
    const excused: string[] = [];
    for (const [key, runs] of byKey) {
      runs.sort((a, b) => a.t - b.t);
      const why = runs.length > 1 ? excuse(runs) : undefined;
      if (why) excused.push(why);
      if (runs.length > 1 && !why)
        violations.push({
          property: 'idempotency.at-most-once',
          detail: `key ${key}: the handler ran ${runs.length} times (at t=${runs.map((r) => `${r.t}${r.end === undefined ? '' : `..${r.end}`}ms on worker ${r.w}`).join(', ')}) with no fault that loses the claim`,
        });
    }
    for (const a of answers) {
      const runs = byKey.get(a.op.key) ?? [];
      if (a.status === 0) continue;
      if (a.status >= 200 && a.status < 300) {
        const x = runs.find((r) => r.execId === a.body?.execId);
        if (!x) {
          violations.push({
            property: 'idempotency.same-answer',
            detail: `key ${a.op.key}: a client got ${a.status} with a body no execution of this key produced`,
          });
          continue;
        }
        if (x.n !== String(a.op.n) || x.b !== a.op.b)
          violations.push({
            property: 'idempotency.payload',
            detail: `key ${a.op.key}: a request with n=${a.op.n} b=${a.op.b} got ${a.replayed ? 'a replay' : 'the answer'} of a run with n=${x.n} b=${String(x.b)} (different payload: expected 422)`,
          });
        const firstOk = answers.find(
          (o) => o.op.key === a.op.key && o.status >= 200 && o.status < 300 && o.body?.execId,
        );
        if (firstOk && firstOk.body?.execId !== a.body?.execId && !excuse(runs))
          violations.push({
            property: 'idempotency.same-answer',
            detail: `key ${a.op.key}: two clients got different answers (${firstOk.status} vs ${a.status} from different runs)`,
          });
      } else if (!MIDDLEWARE_STATUSES.has(a.status))
        violations.push({
          property: 'idempotency.answer',
          detail: `key ${a.op.key}: a client got ${a.status}, neither the handler's answer nor one the middleware documents (400, 409, 422, 503)`,
        });
    }
    for (const c of env.pool.crashes.splice(0))
      violations.push({ property: 'worker.crash', detail: c });
    const counts = new Map<number, number>();
    for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    return {
      applied,
      violations,
      summary: `${execs.size} executions of ${byKey.size} keys (${excused.length} re-runs excused by faults), answers ${[...counts].map(([k, v]) => `${k || 'none'}x${v}`).join(' ')}`,
    };
  },
};
