/**
 * One chaos worker process. It runs the packages' TypeScript sources (forked with
 * `--conditions=@resil/source --import tsx`), imports them by name through their public API only,
 * and obeys the parent over IPC. Everything the checks rely on is recorded outside this process
 * (the parent's dependency server, or an append-only file written before a handler runs), so a
 * SIGKILL loses nothing the checks need.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import express from 'express';
import { Cluster } from 'ioredis';
import type { StoreAddress } from './store';

export type ToWorker =
  | { t: 'cmd'; id: number; op: string; args?: Record<string, unknown> }
  | { t: 'exit' };
export type FromWorker =
  | { t: 'ready' }
  | { t: 'reply'; id: number; ok: boolean; value?: unknown; error?: string }
  | { t: 'fault'; what: string }
  | { t: 'event'; kind: string; at: number };

const index = Number(process.argv[2] ?? 0);

function send(m: FromWorker): void {
  process.send?.(m);
}

// A worker that dies of an unhandled rejection would hide a bug: report it, then carry on.
process.on('unhandledRejection', (err) => {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  send({ t: 'fault', what: `unhandledRejection in worker ${index}: ${msg}` });
});

/**
 * `--mutant no-redis` (validation of the checker only): the packages get no Redis, so each worker
 * keeps its own state, as if sharing were broken. Every property should then fail.
 */
const mutant = process.env.CHAOS_MUTANT ?? '';

function redisFor(addr: StoreAddress): string | Cluster | undefined {
  if (mutant === 'no-redis') return undefined;
  if (addr.topology === 'single') return addr.url as string;
  const c = new Cluster(addr.nodes ?? [], {
    redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 1000 },
    clusterRetryStrategy: () => 200,
  });
  c.on('error', () => {});
  return c;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Session {
  stop(): Promise<void>;
  handle(op: string, args: Record<string, unknown>): Promise<unknown>;
}

let session: Session | undefined;

// ---------------------------------------------------------------------------- breaker

interface BreakerCfg {
  name: string;
  keyPrefix: string;
  failureThreshold: number;
  resetTimeoutMs: number;
  timeoutMs?: number;
  probeLeaseMs?: number;
  depUrl: string;
  store: StoreAddress;
  capMs: number;
  /** The policies of issue #19 (breaker-policies schedules): mode, minimumCalls, quorum, ... */
  options?: Record<string, unknown>;
}

/**
 * Validation of the breaker-policies checker (`--mutant NAME`): the worker's breaker is given a
 * policy other than the schedule's, as a broken breaker would behave. Each should fail one check.
 */
function mutatePolicy(o: Record<string, unknown>): Record<string, unknown> {
  if (mutant === 'min-calls' && o.mode === 'rate') return { ...o, minimumCalls: 1 };
  if (mutant === 'no-rate' && o.mode === 'rate')
    return { ...o, failureRateThreshold: 1, slowCallRateThreshold: 1, minimumCalls: 1_000_000 };
  if (mutant === 'no-quorum' && typeof o.quorum === 'number') return { ...o, quorum: 1 };
  if (mutant === 'permits' && typeof o.halfOpenPermits === 'number')
    return { ...o, halfOpenPermits: o.halfOpenPermits * 3 };
  return o;
}

// Each package is loaded when a session needs it: a package that another engineer is editing
// (and that does not compile this minute) does not stop the others' checks.
async function breakerSession(cfg: BreakerCfg): Promise<Session> {
  const { circuitBreaker, isCircuitOpenError } = await import('@resil/breaker');
  const redis = redisFor(cfg.store);
  let seq = 0;
  const call = circuitBreaker({
    name: cfg.name,
    keyPrefix: cfg.keyPrefix,
    failureThreshold: cfg.failureThreshold,
    resetTimeoutMs: cfg.resetTimeoutMs,
    ...(cfg.timeoutMs !== undefined ? { timeoutMs: cfg.timeoutMs } : {}),
    ...(cfg.probeLeaseMs !== undefined ? { probeLeaseMs: cfg.probeLeaseMs } : {}),
    ...(redis ? { redis } : {}),
    ...(cfg.options ? mutatePolicy(cfg.options) : {}),
    // one id per worker slot: a worker killed and replaced is the same member of the quorum
    ...(cfg.options?.quorum !== undefined ? { workerId: `w${index}` } : {}),
    logger: false,
  })(async (c: number) => {
    // s: when this process sent the call (one machine, one clock), so that a parent busy for a
    // moment does not move a call sent before a mode change into the period after it.
    const res = await fetch(`${cfg.depUrl}/?w=${index}&c=${c}&s=${Date.now()}`);
    await res.arrayBuffer();
    if (res.status !== 200) throw Object.assign(new Error('dependency failed'), { status: 503 });
    return res.status;
  });
  // The README lets a breaker whose Redis is unreachable or slower than commandTimeoutMs count
  // in memory: the checker must know when that happened (a loaded machine slows Redis too).
  call.breaker.onDegraded(() => send({ t: 'event', kind: 'degraded', at: Date.now() }));
  call.breaker.onRestored(() => send({ t: 'event', kind: 'restored', at: Date.now() }));
  call.breaker.onStateChange((e) =>
    send({ t: 'event', kind: `state:${e.from}>${e.to}`, at: Date.now() }),
  );
  await call.breaker.ready();
  let running = false;
  let loop: Promise<void> | undefined;
  const once = async (): Promise<'ok' | 'fail' | 'open'> => {
    try {
      await call(++seq);
      return 'ok';
    } catch (err) {
      return isCircuitOpenError(err) ? 'open' : 'fail';
    }
  };
  return {
    async stop() {
      running = false;
      await loop;
      await call.breaker.close();
      if (redis instanceof Cluster) redis.disconnect();
    },
    async handle(op) {
      switch (op) {
        case 'start':
          running = true;
          loop = (async () => {
            while (running) {
              // A hung call does not stop the loop for ever: after capMs the next one starts.
              await Promise.race([once(), sleep(cfg.capMs)]);
              await sleep(5 + Math.floor(Math.random() * 15));
            }
          })();
          return true;
        case 'halt':
          running = false;
          await loop;
          return true;
        case 'state':
          return call.breaker.state;
        case 'open':
          await call.breaker.open();
          return true;
        case 'close':
          await call.breaker.forceClose();
          return true;
        case 'call':
          return Promise.race([once(), sleep(cfg.capMs).then(() => 'hung' as const)]);
        default:
          throw new Error(`unknown op ${op}`);
      }
    },
  };
}

// ---------------------------------------------------------------------------- ratelimit

interface RateCfg {
  name: string;
  keyPrefix: string;
  points: number;
  durationMs: number;
  burst: number;
  expectedWorkers: number;
  loops: number;
  maxCost: number;
  depUrl: string;
  store: StoreAddress;
}

async function rateSession(cfg: RateCfg): Promise<Session> {
  const { createRateLimiter } = await import('@resil/ratelimit');
  const redis = redisFor(cfg.store);
  const limiter = createRateLimiter({
    name: cfg.name,
    keyPrefix: cfg.keyPrefix,
    points: cfg.points,
    durationMs: cfg.durationMs,
    burst: cfg.burst,
    expectedWorkers: cfg.expectedWorkers,
    ...(redis ? { redis } : {}),
    logger: false,
  });
  let running = false;
  const loops: Promise<void>[] = [];
  const agent = new http.Agent({ keepAlive: true });
  // How late this process's timers ran since the previous grant: a grant reported at `at` was
  // due at most `lag` ms earlier (a stalled event loop fires the limiter's timer late).
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  const report = (cost: number, at: number, degraded: boolean) =>
    new Promise<void>((resolve) => {
      const req = http.request(
        `${cfg.depUrl}/?w=${index}&cost=${cost}&at=${at}&d=${degraded ? 1 : 0}&lag=${lagNow()}`,
        { method: 'POST', agent },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', () => resolve());
      req.end();
    });
  const lagNow = () => {
    const ms = Math.round(eld.max / 1e6);
    eld.reset();
    return ms;
  };
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      eld.disable();
      agent.destroy();
      await limiter.close();
      if (redis instanceof Cluster) redis.disconnect();
    },
    async handle(op) {
      if (op === 'start') {
        running = true;
        for (let l = 0; l < cfg.loops; l++) {
          loops.push(
            (async () => {
              while (running) {
                const cost = Math.random() < 0.7 ? 1 : 1 + Math.floor(Math.random() * cfg.maxCost);
                try {
                  await limiter.acquire({ cost, timeoutMs: 1500 });
                  // The grant's time is taken here, in the caller, when acquire resolves: what
                  // the dependency would see, without the network between us and it.
                  const at = Date.now();
                  await report(cost, at, limiter.degraded);
                } catch {
                  await sleep(20);
                }
              }
            })(),
          );
        }
        return true;
      }
      if (op === 'halt') {
        running = false;
        await Promise.all(loops);
        return true;
      }
      throw new Error(`unknown op ${op}`);
    },
  };
}

// ---------------------------------------------------------------------------- idempotency

interface IdemCfg {
  keyPrefix: string;
  leaseMs: number;
  onConcurrent: 'reject' | 'wait';
  execLog: string;
  store: StoreAddress;
}

async function idemSession(cfg: IdemCfg): Promise<Session> {
  const { idempotency } = await import('@resil/idempotency');
  const redis = redisFor(cfg.store);
  const mw = idempotency({
    ...(redis ? { redis } : {}),
    keyPrefix: cfg.keyPrefix,
    leaseMs: cfg.leaseMs,
    onConcurrent: cfg.onConcurrent,
    waitTimeoutMs: 2000,
    commandTimeoutMs: 500,
    logger: false,
  });
  const app = express();
  app.use(express.json());
  app.use(mw);
  app.post('/op', async (req, res) => {
    const execId = `${index}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const key = String(req.get('idempotency-key'));
    const n = String(req.query.n ?? '');
    // Written synchronously BEFORE the handler does anything: survives a SIGKILL.
    fs.appendFileSync(
      cfg.execLog,
      `${JSON.stringify({ ev: 'exec', key, execId, w: index, t: Date.now(), n, b: req.body?.b })}\n`,
    );
    await sleep(Number(req.body?.ms ?? 10));
    res.status(201).json({ execId, key, n, b: req.body?.b });
    fs.appendFileSync(cfg.execLog, `${JSON.stringify({ ev: 'end', execId, t: Date.now() })}\n`);
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await mw.close();
      if (redis instanceof Cluster) redis.disconnect();
    },
    async handle(op) {
      if (op === 'port') return port;
      throw new Error(`unknown op ${op}`);
    },
  };
}

// ---------------------------------------------------------------------------- bulkhead

interface BulkCfg {
  name: string;
  keyPrefix: string;
  limit: number;
  queue: number;
  leaseMs: number;
  loops: number;
  maxMs: number;
  expectedWorkers: number;
  depUrl: string;
  store: StoreAddress;
}

async function bulkSession(cfg: BulkCfg): Promise<Session> {
  const { bulkhead } = await import('@resil/bulkhead');
  const redis = redisFor(cfg.store);
  const guard = bulkhead({
    name: cfg.name,
    keyPrefix: cfg.keyPrefix,
    limit: cfg.limit,
    queue: cfg.queue,
    leaseMs: cfg.leaseMs,
    expectedWorkers: cfg.expectedWorkers,
    ...(redis ? { redis } : {}),
    logger: false,
  });
  let degradedEpoch = 0;
  guard.onDegraded(() => {
    degradedEpoch++;
  });
  guard.onLeaseLost(() => send({ t: 'event', kind: 'leaseLost', at: Date.now() }));
  const agent = new http.Agent({ keepAlive: true });
  // The function: a request to the parent, which records when it started and ended (it answers
  // after `ms`); this process's own view of the call is not used by the check.
  const callParent = (ms: number, share: boolean) =>
    new Promise<void>((resolve) => {
      const req = http.request(
        `${cfg.depUrl}/?w=${index}&ms=${ms}&d=${share ? 1 : 0}`,
        { method: 'POST', agent },
        (res) => {
          res.resume();
          res.on('end', resolve);
          res.on('error', () => resolve());
        },
      );
      req.on('error', () => resolve());
      req.end();
    });
  let running = false;
  const loops: Promise<void>[] = [];
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      await guard.close();
      if (redis instanceof Cluster) redis.disconnect();
    },
    async handle(op) {
      if (op === 'start') {
        running = true;
        for (let l = 0; l < cfg.loops; l++) {
          loops.push(
            (async () => {
              while (running) {
                const ms = 5 + Math.floor(Math.random() * (cfg.maxMs - 5));
                // admitted from the share: degraded when the call entered, when its function
                // started, or in between (a conservative label: it only widens the allowance)
                const d0 = guard.degraded;
                const e0 = degradedEpoch;
                try {
                  await guard.execute(() =>
                    callParent(ms, d0 || guard.degraded || degradedEpoch !== e0),
                  );
                } catch {
                  await sleep(5 + Math.floor(Math.random() * 20));
                }
              }
            })(),
          );
        }
        return true;
      }
      if (op === 'halt') {
        running = false;
        await Promise.all(loops);
        return true;
      }
      throw new Error(`unknown op ${op}`);
    },
  };
}

// ---------------------------------------------------------------------------- protocol

process.on('message', async (m: ToWorker) => {
  if (m.t === 'exit') {
    await session?.stop().catch(() => undefined);
    process.exit(0);
  }
  if (m.t !== 'cmd') return;
  const args = m.args ?? {};
  try {
    let value: unknown;
    if (m.op === 'setup') {
      const old = session;
      session = undefined;
      await old?.stop().catch(() => undefined);
      const pkg = args.pkg as string;
      if (pkg === 'breaker') session = await breakerSession(args.cfg as BreakerCfg);
      else if (pkg === 'ratelimit') session = await rateSession(args.cfg as RateCfg);
      else if (pkg === 'bulkhead') session = await bulkSession(args.cfg as BulkCfg);
      else session = await idemSession(args.cfg as IdemCfg);
      value = true;
    } else if (m.op === 'teardown') {
      const old = session;
      session = undefined;
      await old?.stop();
      value = true;
    } else {
      if (!session) throw new Error('no session');
      value = await session.handle(m.op, args);
    }
    send({ t: 'reply', id: m.id, ok: true, value });
  } catch (err) {
    send({
      t: 'reply',
      id: m.id,
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    });
  }
});
send({ t: 'ready' });
