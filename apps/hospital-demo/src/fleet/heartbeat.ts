import type { Redis } from 'ioredis';
import { MAX_BREAKERS, MAX_NAME, MAX_REASONS, type Series, WINDOW_S } from './ring';

/**
 * A worker's heartbeat: what the fleet view shows of it. Names, states, counts and limits only:
 * no request, hospital, key or client data. Bounded: at most MAX_HEARTBEAT_BYTES of JSON (the
 * series are cut to fewer seconds until it fits); a reader lists at most MAX_WORKERS.
 */
export interface Heartbeat {
  v: 1;
  /** Unique per process: host and pid. */
  id: string;
  /** The cluster worker id ('main' without node:cluster). */
  worker: string;
  /** Epoch ms when it was made. */
  at: number;
  /** 'ok', 'degraded' (a layer runs on its in-memory fallback or the client is not ready), 'none'. */
  redis: 'ok' | 'degraded' | 'none';
  breakers: Array<{ name: string; state: string; failures: number; threshold: number }>;
  outbound: { limit: number; windowMs: number; used: number; refused: number };
  totals: { retries: number; inbound429: number };
  series: Series;
}

export const MAX_HEARTBEAT_BYTES = 64 * 1024;
export const MAX_WORKERS = 32;
/** How often a worker publishes, and how long its entry outlives its last heartbeat. */
export const HEARTBEAT_MS = 1_000;
export const HEARTBEAT_TTL_MS = 10_000;

/** JSON of `hb`, within MAX_HEARTBEAT_BYTES: fewer seconds of series until it fits. */
export function encodeHeartbeat(hb: Heartbeat, seriesOf: (len: number) => Series): string {
  let text = JSON.stringify(hb);
  for (let len = hb.series.len; Buffer.byteLength(text) > MAX_HEARTBEAT_BYTES && len > 1; ) {
    len = Math.floor(len / 2);
    text = JSON.stringify({ ...hb, series: seriesOf(len) });
  }
  if (Buffer.byteLength(text) > MAX_HEARTBEAT_BYTES) {
    text = JSON.stringify({ ...hb, breakers: [], series: emptySeries(hb.series.end) });
  }
  return text;
}

export function emptySeries(end: number): Series {
  const none: number[] = [];
  return {
    end,
    len: 1,
    breakers: [],
    grants: none,
    retries: {},
    executed: none,
    replayed: none,
    conflict: none,
    inbound429: none,
  };
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isName = (x: unknown): x is string => typeof x === 'string' && x.length <= MAX_NAME;
const isSparse = (x: unknown): x is number[] =>
  Array.isArray(x) && x.length <= 2 * WINDOW_S && x.every(isNum);

/** A heartbeat read back from Redis, or undefined when it is not one (wrong shape, too big). */
export function parseHeartbeat(text: string | null): Heartbeat | undefined {
  if (!text || text.length > MAX_HEARTBEAT_BYTES) return undefined;
  let hb: Heartbeat;
  try {
    hb = JSON.parse(text) as Heartbeat;
  } catch {
    return undefined;
  }
  const s = hb?.series;
  const ok =
    hb?.v === 1 &&
    isName(hb.id) &&
    isName(hb.worker) &&
    isNum(hb.at) &&
    ['ok', 'degraded', 'none'].includes(hb.redis) &&
    Array.isArray(hb.breakers) &&
    hb.breakers.length <= MAX_BREAKERS &&
    hb.breakers.every((b) => isName(b?.name) && isName(b.state) && isNum(b.failures)) &&
    isNum(hb.outbound?.limit) &&
    isNum(hb.outbound.windowMs) &&
    isNum(hb.outbound.used) &&
    isNum(hb.totals?.retries) &&
    isNum(s?.end) &&
    isNum(s.len) &&
    s.len >= 1 &&
    s.len <= WINDOW_S &&
    Array.isArray(s.breakers) &&
    s.breakers.length <= MAX_BREAKERS &&
    s.breakers.every(
      (b) =>
        isName(b?.name) &&
        typeof b.states === 'string' &&
        b.states.length === s.len &&
        isSparse(b.calls) &&
        isSparse(b.failures),
    ) &&
    typeof s.retries === 'object' &&
    Object.keys(s.retries).length <= MAX_REASONS + 1 &&
    Object.entries(s.retries).every(([k, v]) => isName(k) && isSparse(v)) &&
    [s.grants, s.executed, s.replayed, s.conflict, s.inbound429].every(isSparse);
  return ok ? hb : undefined;
}

/** The Redis keys: a sorted set of worker ids by last heartbeat, and one string per worker. */
export function fleetKeys(prefix: string) {
  return {
    workers: `${prefix}demo:fleet:workers`,
    heartbeat: (id: string) => `${prefix}demo:fleet:hb:${id}`,
  };
}

/** Writes the heartbeat with its TTL, and drops ids whose last heartbeat is older than the TTL. */
export async function publishHeartbeat(
  redis: Redis,
  prefix: string,
  id: string,
  text: string,
  at: number,
) {
  const k = fleetKeys(prefix);
  await redis
    .multi()
    .set(k.heartbeat(id), text, 'PX', HEARTBEAT_TTL_MS)
    .zadd(k.workers, at, id)
    .zremrangebyscore(k.workers, '-inf', at - HEARTBEAT_TTL_MS)
    .pexpire(k.workers, HEARTBEAT_TTL_MS * 2)
    .exec();
}

/** The live heartbeats, most recent first, at most MAX_WORKERS (and whether some were left out). */
export async function readHeartbeats(
  redis: Redis,
  prefix: string,
  now: number,
): Promise<{ heartbeats: Heartbeat[]; truncated: boolean }> {
  const k = fleetKeys(prefix);
  const ids = await redis.zrevrangebyscore(
    k.workers,
    '+inf',
    now - HEARTBEAT_TTL_MS,
    'LIMIT',
    0,
    MAX_WORKERS + 1,
  );
  const listed = ids.slice(0, MAX_WORKERS);
  const texts = listed.length > 0 ? await redis.mget(...listed.map(k.heartbeat)) : [];
  const heartbeats = texts.flatMap((t) => {
    const hb = parseHeartbeat(t);
    return hb ? [hb] : [];
  });
  return { heartbeats, truncated: ids.length > MAX_WORKERS };
}
