import path from 'node:path';
import { describeEachRedis, runWorkers, startWorkers, waitFor } from '@resil/testkit';
import { CircuitOpenError, circuitBreaker, isCircuitOpenError } from '../../src';
import { closeAfterEach } from '../helpers/track';

const script = path.join(__dirname, '../fixtures/breaker-worker.ts');
let seq = 0;

// Every breaker a test makes is closed after it, also when the test fails.
const track = closeAfterEach();

describeEachRedis('shared circuit breaker', (target) => {
  const name = () => `shared.${process.pid}.${++seq}`;
  const WORKERS = 4;
  const THRESHOLD = 5;

  it(`4 worker processes: at most failureThreshold + workers - 1 calls reach a dead dependency`, async () => {
    const results = await runWorkers<object, { reached: number }>({
      script,
      count: WORKERS,
      input: {
        mode: 'fail-until-open',
        name: name(),
        prefix: target.prefix,
        threshold: THRESHOLD,
        resetMs: 60_000,
      },
      env: target.env,
    });
    const total = results.reduce((n, r) => n + r.reached, 0);
    expect(total).toBeGreaterThanOrEqual(THRESHOLD);
    expect(total).toBeLessThanOrEqual(THRESHOLD + WORKERS - 1);
  });

  it('the same run with memory-only breakers lets failureThreshold × workers calls through', async () => {
    const results = await runWorkers<object, { reached: number }>({
      script,
      count: WORKERS,
      input: {
        mode: 'fail-until-open',
        name: name(),
        prefix: target.prefix,
        threshold: THRESHOLD,
        resetMs: 60_000,
        memory: true,
      },
      env: target.env,
    });
    expect(results.reduce((n, r) => n + r.reached, 0)).toBe(THRESHOLD * WORKERS);
  });

  it('after the reset timeout exactly one of 4 workers makes the probe call', async () => {
    const n = name();
    const opener = track(
      circuitBreaker({
        name: n,
        resetTimeoutMs: 600,
        redis: target.redis,
        keyPrefix: target.prefix,
        logger: false,
      })(async () => 1),
    );
    const started = startWorkers<object, { reached: number; rejected: number }>({
      script,
      count: WORKERS,
      input: {
        mode: 'until-reopened',
        name: n,
        prefix: target.prefix,
        threshold: THRESHOLD,
        // The failed probe reopens the circuit for the prober's reset timeout: long enough that
        // every worker hears of it before another probe could be due, however loaded the machine.
        resetMs: 10_000,
        runMs: 20_000,
      },
      env: target.env,
    });
    await started.ready;
    // Opened (for 600 ms) once the workers are loaded; they then call in a loop until the probe's
    // failure has opened the circuit again (for 10 s): exactly one call, the probe, reaches the
    // dependency. (It used to be a 1000 ms loop, which a worker that received
    // its start signal late on a loaded machine stretched past a second probe: flaky.)
    await opener.breaker.open();
    started.go();
    const outcomes = await started.done;
    const results = outcomes.map((o) => {
      if (!o.result) throw new Error(`worker ${o.index} failed: ${o.error ?? o.stderr}`);
      return o.result;
    });
    // Compared with the per-worker results, so that a failure shows what each worker saw.
    expect({ reached: results.reduce((s, r) => s + r.reached, 0), results }).toMatchObject({
      reached: 1,
    });
    // Every worker but the prober was rejected (the prober may have started late, after the
    // first reset timeout, and made the probe with its first call).
    expect(results.filter((r) => r.reached === 0).every((r) => r.rejected > 0)).toBe(true);
  });

  it('a process that joins while the circuit is open fails fast on its first call, without calling', async () => {
    const n = name();
    const opener = track(
      circuitBreaker({
        name: n,
        redis: target.redis,
        keyPrefix: target.prefix,
        logger: false,
      })(async () => 1),
    );
    await opener.breaker.open();
    const [r] = await runWorkers<object, { reached: number; rejected: number }>({
      script,
      count: 1,
      input: {
        mode: 'once',
        name: n,
        prefix: target.prefix,
        threshold: THRESHOLD,
        resetMs: 60_000,
      },
      env: target.env,
    });
    expect(r).toEqual({ reached: 0, rejected: 1 });
  });

  it('an open or close on one client reaches another client by pub/sub', async () => {
    const n = name();
    const other = target.client();
    const a = track(
      circuitBreaker({
        name: n,
        redis: target.redis,
        keyPrefix: target.prefix,
        logger: false,
      })(async () => 'a'),
    );
    const b = track(
      circuitBreaker({ name: n, redis: other, keyPrefix: target.prefix, logger: false })(
        async () => 'b',
      ),
    );
    await b.breaker.ready(); // b has read the state and listens for changes
    await a.breaker.open();
    await waitFor(() => b.breaker.state === 'open', {
      timeoutMs: 5_000,
      what: 'the open state to reach the other client',
    }).catch(async (e) => {
      throw new Error(
        `${e.message}; a=${a.breaker.state} b=${b.breaker.state} hash=${JSON.stringify(await target.admin.hgetall(`${target.prefix}{breaker:${n}}`))}`,
      );
    });
    await expect(b()).rejects.toBeInstanceOf(CircuitOpenError);
    await a.breaker.forceClose();
    await waitFor(() => b.breaker.state === 'closed', {
      timeoutMs: 5_000,
      what: 'the close to reach the other client',
    });
    await expect(b()).resolves.toBe('b');
  });

  it('a probe that never finishes (its worker hung or died) does not wedge the circuit: after probeLeaseMs another client probes', async () => {
    const n = name();
    const settings = {
      name: n,
      resetTimeoutMs: 200,
      probeLeaseMs: 400,
      keyPrefix: target.prefix,
      logger: false as const,
    };
    let release: () => void = () => {};
    const hung = track(
      circuitBreaker({ ...settings, redis: target.redis })(
        () =>
          new Promise<string>((resolve) => {
            release = () => resolve('late');
          }),
      ),
    );
    const other = target.client();
    let reached = 0;
    const healthy = track(
      circuitBreaker({ ...settings, redis: other })(async () => {
        reached++;
        return 'ok';
      }),
    );
    await healthy.breaker.ready();
    await hung.breaker.open();
    await waitFor(() => hung.breaker.nextProbeInMs === 0 && healthy.breaker.nextProbeInMs === 0, {
      timeoutMs: 5_000,
      what: 'the reset timeout to pass',
    });
    const probe = hung(); // takes the probe lease and never answers
    await waitFor(() => hung.breaker.state === 'halfOpen', {
      timeoutMs: 5_000,
      what: 'the probe to start',
    });
    await expect(healthy()).rejects.toBeInstanceOf(CircuitOpenError); // the lease is held
    expect(reached).toBe(0);
    await waitFor(
      async () => {
        try {
          return (await healthy()) === 'ok';
        } catch (e) {
          if (e instanceof CircuitOpenError) return false;
          throw e;
        }
      },
      { timeoutMs: 5_000, what: 'another client to take the expired lease' },
    );
    expect(reached).toBe(1);
    await waitFor(() => healthy.breaker.state === 'closed', {
      timeoutMs: 5_000,
      what: 'the successful probe to close the circuit',
    });
    release();
    await expect(probe).resolves.toBe('late');
  });

  // Issue #16, finding 10: a probe that never settled kept its own process rejecting every call
  // for ever, with Redis too, although probeLeaseMs had long passed.
  it('a probe that never settles holds the circuit only for probeLeaseMs, also in its own process; its late result decides nothing', async () => {
    const n = name();
    const key = `${target.prefix}{breaker:${n}}`;
    let mode: 'hang' | 'ok' = 'hang';
    let reached = 0;
    const late: Array<(e: unknown) => void> = [];
    const f = track(
      circuitBreaker({
        name: n,
        resetTimeoutMs: 200,
        probeLeaseMs: 400,
        redis: target.redis,
        keyPrefix: target.prefix,
        logger: false,
      })(async () => {
        reached++;
        if (mode === 'ok') return 'ok';
        return new Promise<string>((_, reject) => late.push(reject));
      }),
    );
    await f.breaker.ready();
    await f.breaker.open();
    await waitFor(() => f.breaker.nextProbeInMs === 0, {
      timeoutMs: 5_000,
      what: 'the reset timeout to pass',
    });
    const hung = f(); // takes the probe lease and never answers
    await waitFor(() => late.length === 1, { timeoutMs: 5_000, what: 'the probe to start' });
    mode = 'ok';
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError); // the lease is held
    const ok = async () => {
      try {
        return (await f()) === 'ok';
      } catch (e) {
        if (isCircuitOpenError(e)) return false;
        throw e;
      }
    };
    await waitFor(ok, { timeoutMs: 5_000, what: 'this process to probe again after the lease' });
    expect(reached).toBe(2);
    expect(f.breaker.state).toBe('closed');
    late[0]?.(Object.assign(new Error('late'), { status: 503 })); // the first probe fails at last
    await expect(hung).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('closed');
    expect(await target.admin.hget(key, 'state')).toBe('closed');
  });

  it("a probe's late result is fenced in Redis: it does not decide for the probe another worker holds now", async () => {
    const n = name();
    const key = `${target.prefix}{breaker:${n}}`;
    const settings = {
      name: n,
      resetTimeoutMs: 200,
      probeLeaseMs: 400,
      keyPrefix: target.prefix,
      logger: false as const,
    };
    const pending: Array<{ ok: () => void; ko: () => void }> = [];
    const hanging = () =>
      new Promise<string>((resolve, reject) => {
        pending.push({
          ok: () => resolve('ok'),
          ko: () => reject(Object.assign(new Error('down'), { status: 503 })),
        });
      });
    const a = track(circuitBreaker({ ...settings, redis: target.redis })(hanging));
    const b = track(circuitBreaker({ ...settings, redis: target.client() })(hanging));
    await b.breaker.ready();
    await a.breaker.open();
    await waitFor(() => a.breaker.nextProbeInMs === 0, {
      timeoutMs: 5_000,
      what: 'the reset timeout to pass',
    });
    const first = a(); // a's probe: it will answer after its lease
    await waitFor(() => pending.length === 1, { timeoutMs: 5_000, what: "a's probe to start" });
    // b's calls are rejected while a's lease runs; then one of them becomes the probe.
    let second: Promise<string> | undefined;
    await waitFor(
      async () => {
        const call = b();
        let settled = false;
        call.then(
          () => (settled = true),
          () => (settled = true),
        );
        await waitFor(() => settled || pending.length === 2, {
          timeoutMs: 5_000,
          what: "b's call to be rejected or to start",
        });
        if (pending.length === 2) second = call;
        return second !== undefined;
      },
      { timeoutMs: 5_000, what: "b's probe after a's lease" },
    );
    expect(await target.admin.hget(key, 'state')).toBe('halfOpen');
    pending[0]?.ok(); // a's probe succeeds, too late: it must not close the circuit under b's probe
    await expect(first).resolves.toBe('ok');
    expect(await target.admin.hget(key, 'state')).toBe('halfOpen');
    pending[1]?.ko(); // b's probe (the one holding the lease) decides: open again
    await expect(second).rejects.toMatchObject({ status: 503 });
    expect(await target.admin.hget(key, 'state')).toBe('open');
  });

  it('keeps its state in Redis under one hash-tagged key (no CROSSSLOT on a Cluster)', async () => {
    const n = name();
    const f = track(
      circuitBreaker({
        name: n,
        failureThreshold: 2,
        redis: target.redis,
        keyPrefix: target.prefix,
        logger: false,
      })(async () => {
        throw Object.assign(new Error('x'), { status: 503 });
      }),
    );
    await expect(f()).rejects.toThrow();
    await expect(f()).rejects.toThrow();
    expect(f.breaker.state).toBe('open');
    const hash = await target.admin.hgetall(`${target.prefix}{breaker:${n}}`);
    expect(hash).toMatchObject({ state: 'open', failures: '2' });
    expect(Number(hash.openUntil)).toBeGreaterThan(0);
  });
});
