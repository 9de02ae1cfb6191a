import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { type LoadResult, percentile, runLoad } from './load';
import { CLIENT_KEY, SERVICE_ENV, Stack } from './stack';

/**
 * The fault suite: the demo with 2 workers and Redis, driven by good clients, while one fault is
 * injected at a time. For each scenario: nothing runs twice at the upstream, nothing is lost,
 * nothing hangs. The table printed at the end is the README's reliability table.
 */

const COUNT = 40;
const CONCURRENCY = 8;
const ATTEMPT_TIMEOUT_MS = 10_000;
const DEADLINE_MS = 60_000;
const FAULT_MS = 3_000;

interface Row {
  scenario: string;
  sent: number;
  ok: number;
  duplicates: number;
  lost: number;
  hung: number;
  p50: number;
  p99: number;
  note: string;
}

const table: Row[] = [];
const stack = new Stack();
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await stack.start();
}, 90_000);

afterAll(async () => {
  await stack.stop();
  const lines = [
    '| scenario | sent | ok | duplicates | lost | hung | p50 ms | p99 ms | note |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...table.map(
      (r) =>
        `| ${r.scenario} | ${r.sent} | ${r.ok}/${COUNT} | ${r.duplicates} | ${r.lost} | ${r.hung} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.note} |`,
    ),
  ];
  const file = path.join(os.tmpdir(), 'resil-faults.md');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  process.stdout.write(
    `\nfault suite (${COUNT} creates per scenario, ${CONCURRENCY} clients, 2 workers):\n${lines.join('\n')}\n(also in ${file})\n`,
  );
}, 30_000);

/**
 * Runs one scenario: the load starts; once a fifth of the creates are done, `inject` runs (it
 * starts the fault, keeps it for a while, ends it); then every client finishes or gives up.
 */
async function scenario(
  name: string,
  inject: () => Promise<string | undefined>,
): Promise<{ load: LoadResult; row: Row }> {
  stack.registry.state.reset({ counters: true });
  let note: string | undefined;
  let injected: Promise<void> = Promise.resolve();
  let triggered = false;
  const load = await runLoad({
    base: stack.base,
    apiKey: CLIENT_KEY,
    scenario: name,
    count: COUNT,
    concurrency: CONCURRENCY,
    attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
    deadlineMs: DEADLINE_MS,
    onProgress: (finished) => {
      if (!triggered && finished >= COUNT / 5) {
        triggered = true;
        injected = inject().then((n) => {
          note = n;
        });
      }
    },
  });
  await injected;
  // What the upstream has for this scenario, by name (each logical create has its own name).
  const byName = new Map<string, number>();
  for (const h of stack.registry.state.hospitals.values()) {
    if (h.name.startsWith(`Fault ${name} `)) byName.set(h.name, (byName.get(h.name) ?? 0) + 1);
  }
  const duplicates = [...byName.values()].filter((n) => n > 1).length;
  const missing = load.created.filter(
    (c) => stack.registry.state.hospitals.get(c.id)?.status !== 'active',
  );
  const lost = missing.length + load.gaveUp.length + load.rejected.length;
  const row: Row = {
    scenario: name,
    sent: load.sent,
    ok: load.created.length,
    duplicates,
    lost,
    hung: load.hung,
    p50: percentile(load.latencies, 50),
    p99: percentile(load.latencies, 99),
    note: note ?? '',
  };
  table.push(row);
  return { load, row };
}

function expectClean(row: Row, load: LoadResult): void {
  expect({
    duplicates: row.duplicates,
    lost: row.lost,
    hung: row.hung,
    rejected: load.rejected,
  }).toEqual({
    duplicates: 0,
    lost: 0,
    hung: 0,
    rejected: [],
  });
  expect(row.ok).toBe(COUNT);
}

describe('the demo under faults (2 workers, Redis, good clients)', () => {
  it('no fault: the baseline', async () => {
    const { load, row } = await scenario('baseline', async () => undefined);
    expectClean(row, load);
  });

  it('Redis stopped mid-run, then restarted', async () => {
    const { load, row } = await scenario('redis-restart', async () => {
      const restart = await stack.stopRedis();
      await wait(FAULT_MS);
      await restart();
      return `Redis down ${FAULT_MS / 1000} s (its data gone: it keeps nothing)`;
    });
    expectClean(row, load);
  });

  it('Redis paused (CLIENT PAUSE) longer than the command timeouts', async () => {
    const { load, row } = await scenario('redis-pause', async () => {
      const admin = new Redis(stack.redis.url, { maxRetriesPerRequest: 1 });
      await admin.call('CLIENT', 'PAUSE', String(FAULT_MS), 'ALL');
      await wait(FAULT_MS);
      admin.disconnect();
      return `CLIENT PAUSE ${FAULT_MS / 1000} s`;
    });
    expectClean(row, load);
  });

  it('upstream answers 30% of calls with 503', async () => {
    const { load, row } = await scenario('upstream-30pct-503', async () => {
      stack.registry.state.setFaults({ errorRate: 0.3, errorStatus: 503 });
      await wait(FAULT_MS);
      stack.registry.state.setFaults({ errorRate: 0 });
      return `${stack.registry.state.counters.faulted} injected 503s`;
    });
    expectClean(row, load);
  });

  it('upstream answers 100% 503, then recovers: the breaker bounds the calls to the dead upstream', async () => {
    let duringOutage = 0;
    const { load, row } = await scenario('upstream-down-503', async () => {
      const before =
        stack.registry.state.counters.received.create +
        stack.registry.state.counters.received.activate;
      stack.registry.state.setFaults({ errorRate: 1, errorStatus: 503 });
      await wait(FAULT_MS);
      const after =
        stack.registry.state.counters.received.create +
        stack.registry.state.counters.received.activate;
      stack.registry.state.setFaults({ errorRate: 0 });
      duringOutage = after - before;
      return `${duringOutage} calls reached the failing upstream in ${FAULT_MS / 1000} s`;
    });
    expectClean(row, load);
    // Without a breaker, 8 clients retrying every <=0.5 s with 3 attempts each would send
    // hundreds. With it (outermost, so one call = up to `attempts` upstream requests), the calls
    // admitted are: the threshold's failed calls, the other clients' calls already in flight
    // when it opened, and one probe per reset timeout; each with its retries.
    const threshold = Number(SERVICE_ENV.BREAKER_FAILURE_THRESHOLD);
    const attempts = Number(SERVICE_ENV.RETRY_MAX_ATTEMPTS);
    const probes = Math.ceil(FAULT_MS / Number(SERVICE_ENV.BREAKER_RESET_TIMEOUT_MS)) + 1;
    expect(duringOutage).toBeLessThanOrEqual((threshold + CONCURRENCY - 1 + probes) * attempts);
  });

  it('upstream hangs (never answers), then recovers', async () => {
    const { load, row } = await scenario('upstream-hang', async () => {
      stack.registry.state.setFaults({ mode: 'hang' });
      await wait(FAULT_MS);
      stack.registry.state.setFaults({ mode: 'normal' });
      await stack.registry.state.settled();
      return `${stack.registry.state.counters.hung} calls left hanging by the upstream`;
    });
    expectClean(row, load);
  });

  it('upstream resets connections, then recovers', async () => {
    const { load, row } = await scenario('upstream-reset', async () => {
      stack.registry.state.setFaults({ mode: 'reset' });
      await wait(FAULT_MS);
      stack.registry.state.setFaults({ mode: 'normal' });
      await stack.registry.state.settled();
      return `${stack.registry.state.counters.reset} connections reset`;
    });
    expectClean(row, load);
  });

  it('upstream answers 429 with Retry-After', async () => {
    const { load, row } = await scenario('upstream-429', async () => {
      stack.registry.state.setFaults({ errorRate: 0.5, errorStatus: 429, retryAfterSeconds: 1 });
      await wait(FAULT_MS);
      stack.registry.state.setFaults({ errorRate: 0, retryAfterSeconds: undefined });
      return `${stack.registry.state.counters.faulted} injected 429s (Retry-After: 1)`;
    });
    expectClean(row, load);
  });

  it('a worker is killed with SIGKILL mid-request', async () => {
    const { load, row } = await scenario('worker-sigkill', async () => {
      // Slow the upstream so that requests are in flight in both workers, then kill one.
      stack.registry.state.setFaults({ latencyMs: 400 });
      await wait(200);
      const pids = stack.workerPids();
      expect(pids).toHaveLength(2);
      const victim = pids[0];
      if (victim) process.kill(victim, 'SIGKILL');
      await wait(FAULT_MS);
      stack.registry.state.setFaults({ latencyMs: 0 });
      return victim ? `worker ${victim} killed; the primary starts a new one` : 'no worker found';
    });
    expectClean(row, load);
    expect(row.note).toMatch(/killed/);
  });
});
