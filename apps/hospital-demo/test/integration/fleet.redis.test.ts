import type { ChildProcess } from 'node:child_process';
import { freePort, useRedis, waitFor } from '@resil/testkit';
import {
  fleetKeys,
  HEARTBEAT_TTL_MS,
  MAX_HEARTBEAT_BYTES,
  parseHeartbeat,
} from '../../src/fleet/heartbeat';
import { type RunningRegistry, startRegistry } from '../../src/registry/server';
import { ADMIN, ALICE, spawnServer } from '../helpers';

interface FleetJson {
  worker: string;
  fleet: { shared: boolean; workers: Array<{ id: string; worker: string; redis: string }> };
}

/** A fresh connection each time, so that node:cluster may hand it to either worker. */
const get = async (url: string) => {
  const res = await fetch(url, {
    headers: { connection: 'close' },
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, text: await res.text() };
};

describe('/status shows every worker of the fleet (WORKERS=2 on Redis, real processes)', () => {
  const r = useRedis('hospital-demo-fleet');
  let registry: RunningRegistry;
  let child: ChildProcess;
  let base: string;
  let output = '';

  beforeAll(async () => {
    registry = await startRegistry({ rateLimitPerSecond: 100_000 });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawnServer(
      {
        PORT: String(port),
        WORKERS: '2',
        REDIS_URL: r.url,
        KEY_PREFIX: r.prefix,
        UPSTREAM_URL: registry.url,
        API_KEYS: `alice:${ALICE}`,
        ADMIN_API_KEY: ADMIN,
        LOG_LEVEL: 'warn',
        // the tests poll /status.json: the operator limit is not what they test
        OPS_RATE_LIMIT: '1000000',
      },
      (text) => {
        output += text;
      },
    );
    await waitFor(() => output.includes('hospital-demo ready (2 workers'), {
      timeoutMs: 60_000,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${output}`);
    });
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await registry?.close();
  });

  /** /status.json; anything but a 200 (a 429, or a 503 while a worker restarts) throws. */
  const fleet = async () => {
    const res = await get(`${base}/status.json`);
    if (res.status !== 200) throw new Error(`status.json answered ${res.status}`);
    return JSON.parse(res.text) as FleetJson;
  };

  it('whichever worker answers, the page lists both workers, each with its breakers and charts', async () => {
    await waitFor(async () => (await fleet().catch(() => undefined))?.fleet.workers.length === 2, {
      timeoutMs: 20_000,
    });
    const answeredBy = new Set<string>();
    await waitFor(
      async () => {
        // each worker in turn answers with both (a loaded machine may delay one heartbeat)
        const s = await fleet();
        expect(s.fleet.shared).toBe(true);
        const listed = s.fleet.workers.map((w) => w.worker).sort();
        if (listed.join() === '1,2') answeredBy.add(s.worker);
        return answeredBy.size === 2;
      },
      { timeoutMs: 20_000 },
    );
    const page = await get(`${base}/status`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-workers="2"');
    expect(page.text.match(/<tr data-worker="[12]"/g)?.length).toBe(2);
    expect(page.text).toContain('2 workers alive, sharing state through Redis');
    // one band row per worker in each breaker's timeline
    expect(page.text).toMatch(
      /hospital-api\.create state<\/title><text[^>]*>w [12]<\/text>.*<text[^>]*>w [12]<\/text>/,
    );
  });

  it('heartbeats are bounded, expire with a TTL, and a dead worker drops off the page', async () => {
    const keys = fleetKeys(r.prefix);
    const ids = await r.admin.zrange(keys.workers, 0, -1);
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      const text = await r.admin.get(keys.heartbeat(id));
      expect(Buffer.byteLength(text ?? '')).toBeLessThanOrEqual(MAX_HEARTBEAT_BYTES);
      expect(parseHeartbeat(text)?.id).toBe(id);
      const ttl = await r.admin.pttl(keys.heartbeat(id));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(HEARTBEAT_TTL_MS);
    }
    // SIGKILL one worker: no goodbye, its entry must expire (the primary forks a new worker 3)
    const victim = ids[0] as string;
    process.kill(Number(victim.split(':').pop()), 'SIGKILL');
    await waitFor(
      async () => {
        // a request may meet the killed worker's closed connection: ask again
        const s = await fleet().catch(() => undefined);
        return s !== undefined && !s.fleet.workers.some((w) => w.id === victim);
      },
      { timeoutMs: 30_000 },
    );
    expect(await r.admin.exists(keys.heartbeat(victim))).toBe(0);
  }, 60_000);
});
