import type { Pool } from './pool';
import { Rng } from './rng';
import type { ChaosStore } from './store';

export type FaultKind =
  | 'restart' // redis-server SIGKILLed, down for `ms`, restarted empty (data lost)
  | 'pause' // CLIENT PAUSE ms ALL on one node
  | 'killCmd' // CLIENT KILL of one worker's command connection
  | 'killSub' // CLIENT KILL of one worker's pub/sub connection
  | 'del' // DEL of some of our keys (eviction)
  | 'pexpire' // PEXPIRE 1..30 ms on some of our keys (expiry)
  | 'sigkill' // SIGKILL of a worker process mid-call; a fresh one replaces it
  | 'open' // operator open() from one worker
  | 'close'; // operator close() from one worker

export interface Fault {
  /** ms after the schedule starts. */
  at: number;
  kind: FaultKind;
  /** duration (restart downtime, pause length). */
  ms?: number;
  /** worker index (sigkill, open, close). */
  worker?: number;
  /** Position in the generated list: seeds the fault's own choices, so a shrunk replay matches. */
  id?: number;
}

/** A fault as it really happened: when it began and when its effect was over. */
export interface AppliedFault {
  fault: Fault;
  start: number;
  end: number;
  /** false when it could not be applied (e.g. no connection of that kind existed). */
  applied: boolean;
  note?: string;
}

/** Faults whose effect outlasts their instant: the store or a process is disturbed meanwhile. */
export const DISRUPTIVE: ReadonlySet<FaultKind> = new Set([
  'restart',
  'pause',
  'killCmd',
  'killSub',
  'sigkill',
]);
/** Faults that lose shared state. */
export const DATA_LOSS: ReadonlySet<FaultKind> = new Set(['restart', 'del', 'pexpire']);

export interface FaultContext {
  store: ChaosStore;
  pool: Pool;
  keyPrefix: string;
  seed: number;
  /** Milliseconds since the schedule's start. */
  now(): number;
  /** Brings a killed worker back (fresh process, set up and started like the others). */
  revive(worker: number): Promise<void>;
}

export function randomFaults(
  rng: Rng,
  opts: {
    durationMs: number;
    kinds: Partial<Record<FaultKind, number>>;
    workers: number;
    max: number;
  },
): Fault[] {
  const n = rng.chance(0.15) ? 0 : rng.int(1, opts.max);
  const faults: Fault[] = [];
  for (let i = 0; i < n; i++) {
    const kind = rng.weighted(opts.kinds as Record<FaultKind, number>);
    const f: Fault = { at: rng.int(200, opts.durationMs - 500), kind, id: i };
    if (kind === 'restart') f.ms = rng.int(100, 1500);
    if (kind === 'pause') f.ms = rng.int(100, 1200);
    if (kind === 'sigkill' || kind === 'open' || kind === 'close')
      f.worker = rng.int(0, opts.workers - 1);
    faults.push(f);
  }
  return faults.sort((a, b) => a.at - b.at);
}

/**
 * Runs every fault at its planned time (relative to the schedule's start) and records what
 * really happened. Resolves when every fault has finished (and killed workers are back).
 */
export async function runFaults(
  faults: readonly Fault[],
  ctx: FaultContext,
): Promise<AppliedFault[]> {
  const out: AppliedFault[] = [];
  await Promise.all(
    faults.map(async (fault, i) => {
      const wait = fault.at - ctx.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const rng = new Rng((ctx.seed * 31 + (fault.id ?? i) * 7919) >>> 0);
      const start = ctx.now();
      let applied = true;
      let note: string | undefined;
      try {
        switch (fault.kind) {
          case 'restart':
            applied = await ctx.store.restart(fault.ms ?? 500);
            break;
          case 'pause':
            applied = await ctx.store.pause(rng, fault.ms ?? 500);
            break;
          case 'killCmd':
            applied = (await ctx.store.killClient(rng, 'cmd')) > 0;
            break;
          case 'killSub':
            applied = (await ctx.store.killClient(rng, 'pubsub')) > 0;
            break;
          case 'del':
          case 'pexpire': {
            const hit = await ctx.store.loseKeys(rng, ctx.keyPrefix, fault.kind);
            applied = hit.length > 0;
            // which keys (their part after the hash tag): enough to tell partial loss apart
            note = `${hit.length} keys: ${hit
              .slice(0, 3)
              .map((k) => k.slice(k.lastIndexOf('}') + 1) || '(the hash)')
              .join(' ')}${hit.length > 3 ? ' ...' : ''}`;
            break;
          }
          case 'sigkill': {
            const w = fault.worker ?? 0;
            if (!ctx.pool.alive(w)) {
              applied = false;
              break;
            }
            ctx.pool.kill(w);
            const killedAt = ctx.now();
            out.push({ fault, start, end: killedAt, applied: true, note: 'killed' });
            await ctx.revive(w);
            // its replacement is running from here: the disturbance lasted until now
            (out[out.length - 1] as AppliedFault).end = ctx.now();
            return;
          }
          case 'open':
          case 'close': {
            const w = fault.worker ?? 0;
            if (!ctx.pool.alive(w)) applied = false;
            else await ctx.pool.cmd(w, fault.kind, {}, 5000);
            break;
          }
        }
      } catch (err) {
        applied = false;
        note = err instanceof Error ? err.message.slice(0, 120) : String(err);
      }
      const end =
        fault.kind === 'pause' && applied
          ? Math.max(ctx.now(), start + (fault.ms ?? 0))
          : ctx.now();
      out.push({ fault, start, end, applied, ...(note !== undefined ? { note } : {}) });
    }),
  );
  return out.sort((a, b) => a.start - b.start);
}

export function describeFault(f: Fault): string {
  const parts = [`t=${f.at}ms`, f.kind];
  if (f.ms !== undefined) parts.push(`${f.ms}ms`);
  if (f.worker !== undefined) parts.push(`worker ${f.worker}`);
  return parts.join(' ');
}
