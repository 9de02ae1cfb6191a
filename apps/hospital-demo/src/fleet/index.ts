import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Activity } from '../activity';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { Layers } from '../wiring';
import {
  encodeHeartbeat,
  HEARTBEAT_MS,
  type Heartbeat,
  publishHeartbeat,
  readHeartbeats,
} from './heartbeat';
import type { SecondRing } from './ring';

/** What /status shows: every live worker's heartbeat (this one's always fresh and first). */
export interface FleetView {
  /** True with Redis: the other workers' heartbeats are read from it. */
  shared: boolean;
  /** This process's heartbeat id. */
  self: string;
  workers: Heartbeat[];
  /** More than MAX_WORKERS live workers: the oldest heartbeats are not listed. */
  truncated: boolean;
  /** Redis could not be read: only this worker is shown. */
  readFailed: boolean;
  now: number;
}

export interface Fleet {
  /** This worker's heartbeat, now. */
  local(): Heartbeat;
  /** The fleet; Redis is read at most once per STATUS_REFRESH_MS, one read at a time. */
  view(): Promise<FleetView>;
  /** Sets the gauges /metrics exports from the live state (utilisation, Redis degraded). */
  syncGauges(): void;
  /** Stops the heartbeat timer (the entry then expires in Redis after its TTL). */
  close(): void;
}

export interface FleetOptions {
  config: Config;
  redis: Redis | undefined;
  layers: Layers;
  activity: Activity;
  ring: SecondRing;
  metrics: Metrics;
  workerId: string;
  now: () => number;
}

export function createFleet(o: FleetOptions): Fleet {
  const { config, redis, layers, activity, ring, now } = o;
  const id = `${os.hostname()}:${process.pid}`.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64);
  const breakers = layers.hospitalApi.breakers;

  const redisLink = (): Heartbeat['redis'] => {
    if (!redis) return 'none';
    return redis.status === 'ready' && activity.degraded.size === 0 ? 'ok' : 'degraded';
  };
  const local = (): Heartbeat => ({
    v: 1,
    id,
    worker: o.workerId.slice(0, 64),
    at: now(),
    redis: redisLink(),
    breakers: breakers.map((b) => ({
      name: b.name,
      state: b.state,
      failures: b.failures,
      threshold: b.failureThreshold,
    })),
    outbound: {
      limit: config.outboundRateLimit,
      windowMs: config.outboundWindowMs,
      used: activity.outboundUsed(config.outboundWindowMs),
      refused: activity.outboundRefusals,
    },
    totals: { retries: activity.retries.total, inbound429: activity.inboundRejections },
    series: ring.series(),
  });

  let publishing = false;
  const tick = () => {
    for (const b of breakers) ring.breakerState(b.name, b.state);
    if (!redis || publishing || redis.status !== 'ready') return;
    publishing = true;
    const hb = local();
    const text = encodeHeartbeat(hb, (len) => ring.series(len));
    publishHeartbeat(redis, config.keyPrefix, id, text, hb.at)
      .catch(() => undefined) // Redis away: the page says so; the next tick tries again
      .finally(() => {
        publishing = false;
      });
  };
  tick();
  const timer = setInterval(tick, HEARTBEAT_MS);
  timer.unref();

  let cached: { view: FleetView; at: number } | undefined;
  let reading: Promise<FleetView> | undefined;
  const read = async (): Promise<FleetView> => {
    const t = now();
    const self = local();
    if (!redis) {
      return {
        shared: false,
        self: id,
        workers: [self],
        truncated: false,
        readFailed: false,
        now: t,
      };
    }
    try {
      const { heartbeats, truncated } = await readHeartbeats(redis, config.keyPrefix, t);
      const others = heartbeats.filter((h) => h.id !== id);
      return {
        shared: true,
        self: id,
        workers: [self, ...others],
        truncated,
        readFailed: false,
        now: t,
      };
    } catch {
      return {
        shared: true,
        self: id,
        workers: [self],
        truncated: false,
        readFailed: true,
        now: t,
      };
    }
  };

  return {
    local,
    view() {
      if (cached && now() - cached.at < config.statusRefreshMs) return Promise.resolve(cached.view);
      reading ??= read()
        .then((view) => {
          cached = { view, at: now() };
          return view;
        })
        .finally(() => {
          reading = undefined;
        });
      return reading;
    },
    syncGauges() {
      const used = activity.outboundUsed(config.outboundWindowMs);
      o.metrics.outboundLimit.set((config.outboundRateLimit * 1000) / config.outboundWindowMs);
      o.metrics.outboundUtilisation.set(used / config.outboundRateLimit);
      o.metrics.redisDegraded.set(redisLink() === 'degraded' ? 1 : 0);
    },
    close() {
      clearInterval(timer);
    },
  };
}
