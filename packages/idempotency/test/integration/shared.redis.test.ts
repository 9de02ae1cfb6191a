import path from 'node:path';
import { keyBuilder } from '@resil/core';
import { describeEachRedis, runWorkers, startWorkers, waitFor } from '@resil/testkit';
import express from 'express';
import request from 'supertest';
import { idempotency } from '../../src';
import { sha256Hasher } from '../../src/crypto';
import { httpPost, warnLogger } from '../helpers';

const script = path.join(__dirname, '../fixtures/idem-worker.ts');
// Every test starts worker processes (up to 4 on a shared 2-core machine) and waits out leases.
jest.setTimeout(90_000);

/** A POST over a real HTTP connection (destroy() gives up on it, as a client timeout does). */
const post = (port: number, key: string) => httpPost(port, '/hospitals', key, { name: 'St. Mary' });
let seq = 0;

describeEachRedis('idempotency across processes', (target) => {
  const unique = () => `${process.pid}.${++seq}`;
  const redisNow = async () => {
    const [sec, us] = await target.admin.time();
    return Number(sec) * 1000 + Math.floor(Number(us) / 1000);
  };

  for (const onConcurrent of ['reject', 'wait'] as const) {
    it(`100 concurrent identical requests over 4 processes run the handler exactly once (${onConcurrent})`, async () => {
      const id = unique();
      const counter = `${target.prefix}{count:${id}}`;
      const results = await runWorkers<
        object,
        { answers: Array<{ status: number; body: string; replayed: boolean }> }
      >({
        script,
        count: 4,
        input: {
          mode: 'burst',
          prefix: target.prefix,
          key: `key-${id}`,
          counter,
          requests: 25,
          onConcurrent,
          leaseMs: 5_000,
        },
        env: target.env,
      });
      const answers = results.flatMap((r) => r.answers);
      expect(answers).toHaveLength(100);
      expect(Number(await target.admin.get(counter))).toBe(1);
      const created = answers.filter((a) => a.status === 201);
      const bodies = new Set(created.map((a) => a.body));
      expect(bodies.size).toBe(1); // every 201 is the one original response
      expect(JSON.parse([...bodies][0] as string)).toMatchObject({ run: 1, name: 'St. Mary' });
      if (onConcurrent === 'reject') {
        expect(answers.filter((a) => a.status !== 201 && a.status !== 409)).toEqual([]);
        expect(created.filter((a) => !a.replayed)).toHaveLength(1);
      } else {
        expect(created).toHaveLength(100);
      }
    });
  }

  it('a worker killed while holding the lease: 409 at first, then after leaseMs a retry runs the handler', async () => {
    const id = unique();
    const counter = `${target.prefix}{count:${id}}`;
    // Renewed every leaseMs / 3 while the worker lives: after the kill the lease still has at
    // least 2/3 of it, 2.7 s, for the process to exit and the first retry to arrive.
    const leaseMs = 4_000;
    const started = startWorkers<object, unknown>({
      script,
      count: 1,
      input: {
        mode: 'hang',
        prefix: target.prefix,
        key: `key-${id}`,
        counter,
        requests: 1,
        onConcurrent: 'reject',
        leaseMs,
      },
      env: target.env,
    });
    await started.ready;
    let running = false;
    const done = started.done;
    started.go();
    // the harness reports emitted events on the outcome; poll the counter instead (the handler
    // increments it before it hangs)
    await waitFor(async () => Number(await target.admin.get(counter)) === 1, {
      timeoutMs: 10_000,
      what: 'the handler to start',
    });
    running = true;
    started.kill(0, 'SIGKILL');
    await done;
    expect(running).toBe(true);

    let runs = 0;
    const app = express();
    app.use(express.json());
    app.use(
      idempotency({
        redis: target.redis,
        keyPrefix: target.prefix,
        leaseMs,
        scope: () => 'one-client',
        logger: false,
      }),
    );
    app.post('/hospitals', (_req, res) => {
      runs++;
      res.status(201).json({ ok: true });
    });
    const retry = () =>
      request(app)
        .post('/hospitals')
        .set('Idempotency-Key', `key-${id}`)
        .send({ name: 'St. Mary' });
    const record = keyBuilder(target.prefix, 'idem').key(
      sha256Hasher.hash(`one-client\nkey-${id}`, 64),
    );
    const first = await retry();
    expect(first.status).toBe(409); // the dead worker's lease still holds
    // Measured on Redis's clock, not as elapsed time here: the lease left is at most leaseMs
    // (the dead worker renews nothing), and the retry runs once Redis has expired it.
    const expiresAt = Number(await target.admin.call('PEXPIRETIME', record));
    expect(await target.admin.hget(record, 'state')).toBe('running');
    expect(expiresAt).toBeLessThanOrEqual((await redisNow()) + leaseMs);
    await waitFor(async () => (await retry()).status === 201, {
      timeoutMs: leaseMs + 10_000,
      what: 'the lease to expire',
    });
    expect(await redisNow()).toBeGreaterThanOrEqual(expiresAt);
    expect(runs).toBe(1);
  });

  it('#16.1 a client that times out on one worker and retries on another gets 409 while the first still runs; the handler runs once', async () => {
    const id = unique();
    const counter = `${target.prefix}{count:${id}}`;
    const key = `key-${id}`;
    // Renewed every 1 s by worker A: 2 s of room for a stalled worker before the lease lapses.
    const leaseMs = 3_000;
    const ports: number[] = [];
    const started = startWorkers<object, unknown>({
      script,
      count: 2,
      input: {
        mode: 'serve',
        prefix: target.prefix,
        key,
        counter,
        requests: 0,
        onConcurrent: 'reject',
        leaseMs,
      },
      env: target.env,
      onEvent: (index, value) => {
        ports[index] = (value as { port: number }).port;
      },
    });
    try {
      await started.ready;
      started.go();
      await waitFor(() => ports[0] && ports[1], { timeoutMs: 20_000, what: 'both workers' });
      const [a, b] = ports as [number, number];
      // the client sends to worker A, which starts the handler; the client gives up (destroys
      // its socket) while the handler runs
      const first = post(a, key);
      first.promise.catch(() => undefined);
      await waitFor(async () => Number(await target.admin.get(counter)) === 1, {
        what: 'the handler to start',
      });
      first.destroy();
      await expect(first.promise).rejects.toThrow();
      const gaveUp = Date.now();
      // its retries (to worker B, as a load balancer may send them) over two lease lengths
      const statuses: number[] = [];
      while (Date.now() - gaveUp < 2 * leaseMs) {
        statuses.push((await post(b, key).promise).status);
        await new Promise((r) => setTimeout(r, leaseMs / 4)); // pacing, not synchronisation
      }
      expect(new Set(statuses)).toEqual(new Set([409]));
      await target.admin.set(`${counter}:gate`, '1'); // the first run may finish now
      const replay = await waitFor(
        async () => {
          const r = await post(b, key).promise;
          return r.status === 201 ? r : undefined;
        },
        { timeoutMs: 10_000, what: 'the replay' },
      );
      expect(replay.replayed).toBe(true);
      expect(JSON.parse(replay.body)).toMatchObject({ run: 1 });
      expect(Number(await target.admin.get(counter))).toBe(1);
    } finally {
      await target.admin.set(`${counter}:gate`, '1');
      await target.admin.set(`${counter}:stop`, '1');
      await started.done.catch(() => undefined);
    }
  });

  it('waitForReplicas with more replicas than exist: the claim (WAIT in its pipeline) is released and refused with 503', async () => {
    const nodes = 'nodes' in target.admin ? target.admin.nodes('master') : [target.admin];
    let most = 0;
    for (const node of nodes) {
      const info = await node.info('replication');
      most = Math.max(most, Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0));
    }
    const prefix = `${target.prefix}${unique()}:`;
    const warnings: Array<Record<string, unknown> | undefined> = [];
    let runs = 0;
    const app = express();
    app.use(express.json());
    app.use(
      idempotency({
        redis: target.redis,
        keyPrefix: prefix,
        waitForReplicas: { replicas: most + 1, timeoutMs: 50 },
        logger: warnLogger((_m, meta) => warnings.push(meta)),
      }),
    );
    app.post('/x', (_req, res) => {
      runs++;
      res.status(201).json({ ok: 1 });
    });
    const r = await request(app).post('/x').set('Idempotency-Key', 'k').send({});
    expect(r.status).toBe(503);
    expect(runs).toBe(0);
    expect(warnings).toEqual([
      {
        event: 'store-unavailable',
        onStoreError: 'deny',
        code: 'RESIL_IDEMPOTENCY_NOT_REPLICATED',
      },
    ]);
    const keys: string[] = [];
    for (const node of nodes) keys.push(...(await node.keys(`${prefix}*`)));
    expect(keys).toEqual([]); // released
  });

  it('one hash-tagged key per record; the client key does not appear in it', async () => {
    const prefix = `${target.prefix}${unique()}:`;
    const app = express();
    app.use(express.json());
    app.use(idempotency({ redis: target.redis, keyPrefix: prefix, logger: false }));
    app.post('/x', (_req, res) => {
      res.status(201).json({ ok: 1 });
    });
    await request(app).post('/x').set('Idempotency-Key', 'patient-ssn-123-45-6789').send({});
    const keys: string[] = [];
    const nodes = 'nodes' in target.admin ? target.admin.nodes('master') : [target.admin];
    for (const node of nodes) keys.push(...(await node.keys(`${prefix}*`)));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^.*\{idem:[0-9a-f]{64}\}$/);
    expect(keys[0]).not.toContain('patient');
  });
});
