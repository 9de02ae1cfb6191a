// Issue #21: a node-redis (`redis` v5) client or cluster is accepted as the `redis` option and by
// RedisStore, whatever RESIL_REDIS_CLIENT says: createClient (RESP2 and RESP3) on the shared
// Redis, a redis-server of our own with an empty script cache (NOSCRIPT under waitForReplicas),
// and createCluster on a 3-master Redis Cluster (scripts and WAIT on the master of each key's
// slot: no MOVED, every WAIT where its script ran).
import { CORE_ERROR_CODES, quitClient, type RedisClient } from '@resil/core';
import {
  type RedisClusterHandle,
  type RedisServer,
  redisUrl,
  startRedisCluster,
  startRedisServer,
  uniquePrefix,
} from '@resil/testkit';
import express from 'express';
import { createClient, createCluster } from 'redis';
import request from 'supertest';
import { ERROR_CODES, idempotency } from '../../src';
import { RedisStore, type StoredResponse } from '../../src/store';

type Client = ReturnType<typeof createClient>;
type AnyClient = Client | ReturnType<typeof createCluster>;

const made: AnyClient[] = [];
async function connected<C extends AnyClient>(c: C): Promise<C> {
  c.on('error', () => {}); // node-redis throws an unhandled 'error' without a listener
  made.push(c);
  await c.connect();
  return c;
}
const single = (url: string, resp: 2 | 3 = 2) =>
  connected(createClient({ url, RESP: resp }) as unknown as Client);
// Teardown is bounded (core's quitClient: QUIT within 1 s, then destroy): a plain close() waits
// for commands still queued, and a command our store timed out stays queued in node-redis while
// its server is stopped and the client reconnects. CI hung here for the 30 s hook limit.
const quitAll = (list: AnyClient[]) =>
  Promise.all(list.splice(0).map((c) => quitClient(c as unknown as RedisClient)));
afterAll(() => quitAll(made));

const response: StoredResponse = {
  status: 201,
  headers: { 'content-type': 'application/json', vary: ['a', 'b'] },
  body: Buffer.from('{"id":1}\u0000\u00ff'),
  omitted: false,
};

/** An app whose handler counts its runs, with the middleware on `redis`. */
function app(redis: AnyClient, keyPrefix: string) {
  const runs = { n: 0 };
  const mw = idempotency({ redis, keyPrefix, logger: false, commandTimeoutMs: 2_000 });
  const a = express();
  a.use(express.json());
  a.use(mw);
  a.post('/h', (_req, res) => {
    runs.n++;
    res.status(201).json({ run: runs.n });
  });
  return { app: a, runs, mw };
}

/** INFO of one section as numbers: `cmdstat_wait` → `calls`, `errorstat_MOVED` → `count`. */
async function info(c: Client, section: string): Promise<Map<string, Record<string, number>>> {
  const text = String(await c.sendCommand(['INFO', section]));
  const out = new Map<string, Record<string, number>>();
  for (const line of text.split('\r\n')) {
    const m = /^(\w+):(.*)$/.exec(line);
    if (!m) continue;
    const fields: Record<string, number> = {};
    for (const kv of (m[2] as string).split(',')) {
      const [k, v] = kv.split('=');
      if (k !== undefined && v !== undefined) fields[k] = Number(v);
    }
    out.set(m[1] as string, fields);
  }
  return out;
}

describe.each([2, 3] as const)('node-redis createClient (RESP%s) on the shared Redis', (resp) => {
  const prefix = uniquePrefix(`idempotency-node-redis-${resp}`);
  let seq = 0;
  const key = () => `${prefix}{idem:${++seq}}`;
  let client: Client;
  beforeAll(async () => {
    client = await single(redisUrl(), resp);
  });
  afterAll(async () => {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 }))
      for (const k of keys) await client.unlink(k);
  });

  it('the middleware takes the client: one execution, then the stored answer replayed; the record is in Redis', async () => {
    const { app: a, runs, mw } = app(client, `${prefix}mw:`);
    const first = await request(a).post('/h').set('Idempotency-Key', 'k1').send({ x: 1 });
    expect(first.status).toBe(201);
    let again = await request(a).post('/h').set('Idempotency-Key', 'k1').send({ x: 1 });
    for (let i = 0; i < 100 && again.headers['idempotent-replayed'] !== 'true'; i++)
      again = await request(a).post('/h').set('Idempotency-Key', 'k1').send({ x: 1 }); // stored right after the answer
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual({ run: 1 });
    expect(runs.n).toBe(1);
    const mismatch = await request(a).post('/h').set('Idempotency-Key', 'k1').send({ x: 2 });
    expect(mismatch.status).toBe(422);
    const [k] = await client.keys(`${prefix}mw:*`);
    expect(await client.hGet(k as string, 'state')).toBe('done');
    await mw.close();
    expect(client.isReady).toBe(true); // a client you passed stays yours
  });

  it('RedisStore: claim, complete and replay (binary body), renew and release by the owner only', async () => {
    const store = new RedisStore(client, { timeoutMs: 2_000 });
    const k = key();
    expect(await store.claim(k, 'o1', 'fp', 30_000)).toEqual({ claimed: true });
    const expiresAt = Number(await client.sendCommand(['PEXPIRETIME', k]));
    // The lease left is the key's PTTL when the second claim ran, so it lies between the expiry
    // minus Redis's clock after that claim and minus its clock before it (no slack to use up).
    const redisNow = async () => {
      const [sec, us] = (await client.sendCommand(['TIME'])) as [string, string];
      return Number(sec) * 1000 + Math.floor(Number(us) / 1000);
    };
    const before = await redisNow();
    const running = await store.claim(k, 'o2', 'fp', 30_000);
    const after = await redisNow();
    expect(running).toMatchObject({ claimed: false, state: 'running', fp: 'fp' });
    if (running.claimed || running.state !== 'running') throw new Error('unreachable');
    expect(running.leaseLeftMs).toBeGreaterThanOrEqual(expiresAt - after);
    expect(running.leaseLeftMs).toBeLessThanOrEqual(expiresAt - before);
    expect(await store.renew(k, 'other', 60_000)).toBe(false);
    expect(await store.renew(k, 'o1', 60_000)).toBe(true);
    expect(await client.pTTL(k)).toBeGreaterThan(50_000);
    expect(await store.complete(k, 'other', response, 60_000)).toBe(false);
    expect(await store.complete(k, 'o1', response, 60_000)).toBe(true);
    expect(await store.claim(k, 'o2', 'fp', 5_000)).toEqual({
      claimed: false,
      state: 'done',
      fp: 'fp',
      response,
    });
    const r = key();
    await store.claim(r, 'o1', 'fp', 5_000);
    expect(await store.release(r, 'other')).toBe(false);
    expect(await store.release(r, 'o1')).toBe(true);
    expect(await client.exists(r)).toBe(0);
    await store.close();
  });

  it('waitForReplicas: WAIT 0 passes; WAIT 1 on a Redis without replicas releases and refuses the claim (NOT_REPLICATED), and a completion stored but not acknowledged throws it too', async () => {
    const none = new RedisStore(client, {
      timeoutMs: 2_000,
      waitForReplicas: { replicas: 0, timeoutMs: 20 },
    });
    const k = key();
    expect(await none.claim(k, 'o1', 'fp', 5_000)).toEqual({ claimed: true });
    expect(await none.complete(k, 'o1', response, 60_000)).toBe(true);
    expect(await none.claim(k, 'o2', 'fp', 5_000)).toMatchObject({ state: 'done' });

    const one = new RedisStore(client, {
      timeoutMs: 2_000,
      waitForReplicas: { replicas: 1, timeoutMs: 20 },
    });
    const j = key();
    await expect(one.claim(j, 'o1', 'fp', 5_000)).rejects.toMatchObject({
      code: ERROR_CODES.NOT_REPLICATED,
    });
    expect(await client.exists(j)).toBe(0); // released
    await new RedisStore(client, { timeoutMs: 2_000 }).claim(j, 'o1', 'fp', 5_000);
    await expect(one.complete(j, 'o1', response, 60_000)).rejects.toMatchObject({
      code: ERROR_CODES.NOT_REPLICATED,
    });
    expect(await client.hGet(j, 'state')).toBe('done'); // stored, just not acknowledged
    expect(await one.complete(j, 'other', response, 60_000)).toBe(false); // owner check under WAIT
  });

  it('a client never connected, or closed, is refused at once (unavailable), never queued', async () => {
    const never = createClient({ url: redisUrl(), RESP: resp });
    never.on('error', () => {});
    const store = new RedisStore(never as unknown as Client, { timeoutMs: 2_000 });
    await expect(store.claim(key(), 'o', 'fp', 1_000)).rejects.toMatchObject({
      code: CORE_ERROR_CODES.REDIS_UNAVAILABLE,
    });
    const closed = await single(redisUrl(), resp);
    await closed.close();
    const after = new RedisStore(closed, {
      timeoutMs: 2_000,
      waitForReplicas: { replicas: 0, timeoutMs: 20 },
    });
    await expect(after.claim(key(), 'o', 'fp', 1_000)).rejects.toMatchObject({
      code: CORE_ERROR_CODES.REDIS_UNAVAILABLE,
    });
  });
});

describe('node-redis on a Redis of our own (empty script cache)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  }, 30_000);
  afterAll(async () => {
    await quitAll(made); // before its server goes
    await server?.stop();
  });

  it.each([2, 3] as const)(
    'RESP%s: NOSCRIPT under waitForReplicas sends the script whole with EVAL, then WAIT again after it',
    async (resp) => {
      const client = await single(server.url, resp);
      await client.sendCommand(['SCRIPT', 'FLUSH']); // our own server: nothing cached
      await client.sendCommand(['CONFIG', 'RESETSTAT']);
      const store = new RedisStore(client, {
        timeoutMs: 2_000,
        waitForReplicas: { replicas: 0, timeoutMs: 20 },
      });
      expect(await store.claim(`{idem:noscript-${resp}}`, 'o1', 'fp', 5_000)).toEqual({
        claimed: true,
      });
      expect(await client.hGet(`{idem:noscript-${resp}}`, 'owner')).toBe('o1');
      const stats = await info(client, 'commandstats');
      const errors = await info(client, 'errorstats');
      expect(errors.get('errorstat_NOSCRIPT')?.count).toBe(1);
      expect(stats.get('cmdstat_evalsha')).toMatchObject({ calls: 1, failed_calls: 1 }); // NOSCRIPT
      expect(stats.get('cmdstat_eval')).toMatchObject({ calls: 1, failed_calls: 0 });
      expect(stats.get('cmdstat_wait')?.calls).toBe(2); // after the EVALSHA, and after the EVAL
      // cached now: the next claim is one EVALSHA and one WAIT
      expect(await store.claim(`{idem:noscript-${resp}}`, 'o2', 'fp', 5_000)).toMatchObject({
        state: 'running',
      });
      const later = await info(client, 'commandstats');
      expect(later.get('cmdstat_evalsha')).toMatchObject({ calls: 2, failed_calls: 1 });
      expect(later.get('cmdstat_eval')?.calls).toBe(1);
      expect(later.get('cmdstat_wait')?.calls).toBe(3);
    },
  );
  it('NOSCRIPT under a WAIT that blocks: the EVAL is sent once the first WAIT answered, each within its own time limit (NOT_REPLICATED, not a time-out)', async () => {
    const client = await single(server.url);
    await client.sendCommand(['SCRIPT', 'FLUSH']);
    // no replica: each WAIT 1 blocks its whole 2 s; each round may take 1 s + 2 s. Had the EVAL
    // been sent while the first WAIT still blocked, the second round would wait ~4 s: a time-out.
    const store = new RedisStore(client, {
      timeoutMs: 1_000,
      waitForReplicas: { replicas: 1, timeoutMs: 2_000 },
    });
    await expect(store.claim('{idem:noscript-blocked}', 'o1', 'fp', 5_000)).rejects.toMatchObject({
      code: ERROR_CODES.NOT_REPLICATED,
    });
    expect(await client.exists('{idem:noscript-blocked}')).toBe(0); // released
  }, 20_000);
});

describe('node-redis createCluster on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let nodes: Client[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    nodes = await Promise.all(cluster.nodes.map((n) => single(`redis://${n.host}:${n.port}`)));
  }, 60_000);
  afterAll(async () => {
    await quitAll(made); // the nodes and the cluster clients, before the cluster goes
    await cluster?.stop();
  });

  it.each([2, 3] as const)(
    'RESP%s: scripts and WAIT go to the master of each key (30 keys over every master, no MOVED, WAIT where its script ran); the middleware replays',
    async (resp) => {
      const redis = await connected(
        createCluster({
          rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
          RESP: resp,
        }),
      );
      for (const n of nodes) await n.sendCommand(['CONFIG', 'RESETSTAT']);
      const store = new RedisStore(redis, {
        timeoutMs: 2_000,
        waitForReplicas: { replicas: 0, timeoutMs: 20 },
      });
      for (let i = 0; i < 30; i++) {
        const k = `{idem:cluster-${resp}-${i}}`;
        expect(await store.claim(k, 'o1', 'fp', 5_000)).toEqual({ claimed: true });
        expect(await store.complete(k, 'o1', response, 60_000)).toBe(true);
      }
      let masters = 0;
      for (const n of nodes) {
        const stats = await info(n, 'commandstats');
        const errors = await info(n, 'errorstats');
        expect(errors.get('errorstat_MOVED')).toBeUndefined();
        expect(errors.get('errorstat_ASK')).toBeUndefined();
        const scripts =
          (stats.get('cmdstat_evalsha')?.calls ?? 0) + (stats.get('cmdstat_eval')?.calls ?? 0);
        // every script under waitForReplicas is followed by WAIT on the same node
        expect(stats.get('cmdstat_wait')?.calls ?? 0).toBe(scripts);
        if (scripts > 0) masters++;
      }
      expect(masters).toBe(3);
      // no replicas in this cluster: WAIT 1 answers 0, the claim is released (on its own node)
      const refusing = new RedisStore(redis, {
        timeoutMs: 2_000,
        waitForReplicas: { replicas: 1, timeoutMs: 20 },
      });
      for (const id of ['x', 'y', 'z']) {
        const k = `{idem:cluster-${resp}-${id}}`;
        await expect(refusing.claim(k, 'o', 'fp', 5_000)).rejects.toMatchObject({
          code: ERROR_CODES.NOT_REPLICATED,
        });
        expect(await redis.exists(k)).toBe(0);
      }

      const { app: a, runs } = app(redis, `mw${resp}:`);
      for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) {
        expect((await request(a).post('/h').set('Idempotency-Key', id).send({})).status).toBe(201);
        let again = await request(a).post('/h').set('Idempotency-Key', id).send({});
        for (let i = 0; i < 100 && again.headers['idempotent-replayed'] !== 'true'; i++)
          again = await request(a).post('/h').set('Idempotency-Key', id).send({});
        expect(again.headers['idempotent-replayed']).toBe('true');
      }
      expect(runs.n).toBe(6);
    },
    60_000,
  );
});
