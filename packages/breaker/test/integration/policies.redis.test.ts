// Issue #19 across real worker processes: rate mode, trial permits, quorum, configure(), isolate().
import path from 'node:path';
import { describeEachRedis, type RedisTarget, startWorkers, waitFor } from '@resil/testkit';
import { type CircuitBreakerOptions, circuitBreaker } from '../../src';
import { closeAfterEach } from '../helpers/track';

const script = path.join(__dirname, '../fixtures/policy-worker.ts');
let seq = 0;
const track = closeAfterEach();
// worker processes start slowly on a loaded 2-core machine
const SLOW = 180_000;

type Reply = Record<string, unknown> & { t: 'reply'; id: number };
interface Stats {
  reached: number;
  rejected: number;
  state: string;
}

/** Starts `count` driven workers (policy-worker.ts) and waits until each has read the state. */
async function drive(
  target: RedisTarget,
  count: number,
  input: { name: string; options: Partial<CircuitBreakerOptions> },
) {
  const events: unknown[][] = Array.from({ length: count }, () => []);
  const waiting = new Map<number, (r: Reply) => void>();
  let ids = 0;
  const started = startWorkers<object, { states: string[] }>({
    script,
    count,
    input: { ...input, prefix: target.prefix },
    env: target.env,
    timeoutMs: 90_000,
    onEvent: (index, value) => {
      events[index]?.push(value);
      const v = value as Reply;
      if (v.t === 'reply') waiting.get(v.id)?.(v);
    },
  });
  await started.ready;
  started.go();
  await waitFor(() => events.every((e) => e.some((v) => (v as { t: string }).t === 'ready')), {
    timeoutMs: 60_000,
    what: 'every worker to read the shared state',
  }).catch((e: Error) => {
    started.killAll();
    throw new Error(`${e.message}: ${JSON.stringify(events)}`);
  });
  const ask = <T = Record<string, unknown>>(index: number, cmd: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) => {
      const id = ++ids;
      waiting.set(id, (r) => {
        waiting.delete(id);
        if (typeof r.error === 'string') reject(new Error(`worker ${index}: ${r.error}`));
        else resolve(r as unknown as T);
      });
      started.children[index]?.send({ ...cmd, id });
    });
  const all = <T = Record<string, unknown>>(cmd: Record<string, unknown>) =>
    Promise.all(Array.from({ length: count }, (_, i) => ask<T>(i, cmd)));
  const count_ = (t: string) =>
    events.reduce((n, e) => n + e.filter((v) => (v as { t: string }).t === t).length, 0);
  const last = (index: number, t: string) =>
    [...(events[index] ?? [])].reverse().find((v) => (v as { t: string }).t === t) as
      | Record<string, unknown>
      | undefined;
  const stop = async () => {
    for (const c of started.children) if (c.connected) c.send({ t: 'exit' });
    const outcomes = await started.done;
    for (const o of outcomes)
      if (o.exitCode !== 0) throw new Error(`worker ${o.index} failed: ${o.error} ${o.stderr}`);
  };
  return { ask, all, events, count: count_, last, stop, started };
}

describeEachRedis('breaker policies across workers (#19)', (target) => {
  const name = () => `policies.${process.pid}.${++seq}`;
  const running: Array<{ stop(): Promise<void>; started: { killAll(): void } }> = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop().catch(() => r.started.killAll());
  });
  const start = async (count: number, input: Parameters<typeof drive>[2]) => {
    const d = await drive(target, count, input);
    running.push(d);
    return d;
  };
  const windowKey = (n: string) => `${target.prefix}{breaker:${n}}:w`;
  const windowCalls = async (n: string) => {
    const h = await target.admin.hgetall(windowKey(n));
    return Object.entries(h)
      .filter(([k]) => k.startsWith('c:'))
      .reduce((s, [, v]) => s + Number(v), 0);
  };

  it(
    'rate mode over 4 workers: 100 % failures do not open before minimumCalls; the 40th call does',
    async () => {
      const n = name();
      const d = await start(4, {
        name: n,
        options: { mode: 'rate', minimumCalls: 40, failureRateThreshold: 0.5, windowMs: 60_000 },
      });
      // 36 failing calls, all flushed (a failure sends its batch at once): closed, below the volume
      const first = await d.all<Stats>({ t: 'run', pattern: 'fffffffff' });
      expect(first.map((r) => r.reached)).toEqual([9, 9, 9, 9]);
      expect(await windowCalls(n)).toBe(36);
      for (const r of await d.all<{ state: string }>({ t: 'info' })) expect(r.state).toBe('closed');
      // one more each, one worker after the other: the 40th call opens the circuit for everyone
      for (let i = 0; i < 3; i++) {
        expect((await d.ask<Stats>(i, { t: 'run', pattern: 'f' })).state).toBe('closed');
      }
      expect((await d.ask<Stats>(3, { t: 'run', pattern: 'f' })).state).toBe('open');
      await waitFor(() => [0, 1, 2].every((i) => d.last(i, 'state')?.to === 'open'), {
        timeoutMs: 10_000,
        what: 'every worker to hear of the open circuit',
      });
      expect(await target.admin.hget(`${target.prefix}{breaker:${n}}`, 'state')).toBe('open');
    },
    SLOW,
  );

  it(
    'rate mode over 4 workers: a 33 % failure rate stays closed; it opens when the rate crosses 50 %, within the calls in flight',
    async () => {
      const n = name();
      const d = await start(4, {
        name: n,
        options: { mode: 'rate', minimumCalls: 20, failureRateThreshold: 0.5, windowMs: 60_000 },
      });
      const below = await d.all<Stats>({ t: 'run', pattern: 'ssf'.repeat(10) });
      expect(below.map((r) => [r.reached, r.state])).toEqual(Array(4).fill([30, 'closed']));
      expect(await windowCalls(n)).toBe(120); // every batch ended with a failure: all flushed
      // 120 calls, 40 failures: the rate reaches 50 % with the 40th further failure, not before
      const after = await d.all<Stats>({ t: 'run', pattern: 'r'.repeat(15) });
      const reached = after.reduce((s, r) => s + r.reached, 0);
      // Resolved 503 Responses count as failures (isFailureResult's default). Calls already in
      // flight when the 40th failure opened the circuit (at most one per other worker) still reach.
      expect(reached).toBeGreaterThanOrEqual(40);
      expect(reached).toBeLessThanOrEqual(43);
      await waitFor(() => [0, 1, 2, 3].every((i) => d.last(i, 'state')?.to === 'open'), {
        timeoutMs: 10_000,
        what: 'every worker to hear of the open circuit',
      });
    },
    SLOW,
  );

  it(
    'halfOpenPermits: 3 trial calls exactly across 4 workers, then the circuit closes',
    async () => {
      const n = name();
      const options = { halfOpenPermits: 3, resetTimeoutMs: 300, probeLeaseMs: 30_000 };
      const opener = track(
        circuitBreaker({
          name: n,
          ...options,
          redis: target.redis,
          keyPrefix: target.prefix,
          logger: false,
        })(async () => 1),
      );
      const d = await start(4, { name: n, options });
      await opener.breaker.open();
      await waitFor(() => [0, 1, 2, 3].every((i) => d.last(i, 'state')?.to === 'open'), {
        timeoutMs: 10_000,
        what: 'every worker to hear of the open circuit',
      });
      // 4 loops per worker: one worker may hold all 3 permits and still have a loop that calls on
      await d.all({ t: 'hammer', loops: 4 });
      await waitFor(() => d.count('reached') >= 3, {
        timeoutMs: 20_000,
        what: 'three trial calls',
      });
      // Every worker keeps calling: each must be rejected many times more while the 3 trials hang.
      const base = await d.all<Stats>({ t: 'stats' });
      await waitFor(
        async () => {
          const now = await d.all<Stats>({ t: 'stats' });
          return now.every((s, i) => s.rejected >= (base[i]?.rejected ?? 0) + 20);
        },
        { timeoutMs: 20_000, what: 'every worker to be rejected 20 more times' },
      );
      expect(d.count('reached')).toBe(3);
      await d.all({ t: 'settle' }); // the 3 trials succeed: closed for everyone
      await waitFor(() => [0, 1, 2, 3].every((i) => d.last(i, 'state')?.to === 'closed'), {
        timeoutMs: 10_000,
        what: 'every worker to hear of the closed circuit',
      });
      await d.all({ t: 'stop' });
    },
    SLOW,
  );

  it(
    'quorum 2: one worker failing alone does not open the circuit; a second worker failing does',
    async () => {
      const n = name();
      const d = await start(3, {
        name: n,
        options: { failureThreshold: 3, quorum: 2, windowMs: 60_000 },
      });
      const alone = await d.ask<Stats>(0, { t: 'run', pattern: 'f'.repeat(12) });
      expect(alone).toMatchObject({ reached: 12, rejected: 0, state: 'closed' });
      for (const r of await d.all<{ state: string }>({ t: 'info' })) expect(r.state).toBe('closed');
      expect(await target.admin.zcard(`${target.prefix}{breaker:${n}}:q`)).toBe(1);
      const second = await d.ask<Stats>(1, { t: 'run', pattern: 'f' });
      expect(second.state).toBe('open');
      await waitFor(() => [0, 2].every((i) => d.last(i, 'state')?.to === 'open'), {
        timeoutMs: 10_000,
        what: 'the other workers to hear of the open circuit',
      });
    },
    SLOW,
  );

  it(
    'configure() from one worker reaches every worker, and a worker started later reads it',
    async () => {
      const n = name();
      const d = await start(4, { name: n, options: { failureThreshold: 10 } });
      const answer = await d.ask<{ shared: boolean }>(0, {
        t: 'configure',
        partial: { failureThreshold: 2, resetTimeoutMs: 5_000 },
      });
      expect(answer.shared).toBe(true);
      await waitFor(
        () =>
          [1, 2, 3].every(
            (i) =>
              (d.last(i, 'configured')?.settings as { failureThreshold?: number } | undefined)
                ?.failureThreshold === 2,
          ),
        { timeoutMs: 10_000, what: 'every worker to apply the new threshold' },
      );
      // Applied, not only reported: two failures on another worker open the circuit.
      expect((await d.ask<Stats>(2, { t: 'run', pattern: 'ff' })).state).toBe('open');
      const later = await start(1, { name: n, options: { failureThreshold: 10 } });
      const info = await later.ask<{ settings: Record<string, unknown>; state: string }>(0, {
        t: 'info',
      });
      expect(info.settings).toMatchObject({ failureThreshold: 2, resetTimeoutMs: 5_000 });
      expect(info.state).toBe('open');
      // invalid settings are refused before anything is stored
      await expect(
        d.ask(0, { t: 'configure', partial: { failureRateThreshold: 2 } }),
      ).rejects.toThrow(/failureRateThreshold/);
    },
    SLOW,
  );

  it(
    'isolate() holds the circuit open across workers past the reset timeout, until release()',
    async () => {
      const n = name();
      const d = await start(3, { name: n, options: { resetTimeoutMs: 100 } });
      await d.ask(0, { t: 'isolate' });
      await waitFor(() => [1, 2].every((i) => d.last(i, 'state')?.to === 'open'), {
        timeoutMs: 10_000,
        what: 'every worker to hear of the isolation',
      });
      // Many reset timeouts later every call of every worker is still rejected, nothing probes.
      const spread = await d.all<Stats>({ t: 'run', pattern: 'sw'.repeat(40) });
      expect(spread.map((r) => [r.reached, r.rejected])).toEqual(Array(3).fill([0, 40]));
      // a worker started now is isolated too; closing the others' handles changes nothing
      const later = await start(1, { name: n, options: { resetTimeoutMs: 100 } });
      expect(await later.ask<Stats>(0, { t: 'run', pattern: 'sss' })).toMatchObject({
        reached: 0,
        rejected: 3,
      });
      await d.ask(2, { t: 'release' });
      await waitFor(() => [0, 1].every((i) => d.last(i, 'state')?.to === 'closed'), {
        timeoutMs: 10_000,
        what: 'every worker to hear of the release',
      });
      expect(await d.ask<Stats>(1, { t: 'run', pattern: 'ss' })).toMatchObject({ reached: 2 });
    },
    SLOW,
  );
});
