import { createRedis, redisUrl, uniquePrefix } from '@resil/testkit';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { ALICE, auth, type Harness, hospital, newKey, startHarness } from '../helpers';

/** Every value under `prefix`, whatever the key's type, as one text per key. */
async function dumpPrefix(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    for (const k of keys) {
      const type = await redis.type(k);
      let text = '';
      if (type === 'string') text = (await redis.get(k)) ?? '';
      else if (type === 'hash') text = JSON.stringify(await redis.hgetall(k));
      else if (type === 'list') text = JSON.stringify(await redis.lrange(k, 0, -1));
      else if (type === 'set') text = JSON.stringify(await redis.smembers(k));
      else if (type === 'zset') text = JSON.stringify(await redis.zrange(k, 0, -1));
      // base64 runs decoded too (a body stored as base64 is still plaintext)
      const decoded = (text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []).map((b) =>
        Buffer.from(b, 'base64').toString('latin1'),
      );
      out.set(k, [k, text, ...decoded].join(' '));
    }
  } while (cursor !== '0');
  return out;
}

describe('idempotency records at rest (real Redis)', () => {
  const prefix = uniquePrefix('demo-at-rest');
  let h: Harness;
  let redis: Redis;
  beforeAll(async () => {
    redis = createRedis();
    h = await startHarness({ REDIS_URL: redisUrl(), KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    await h.close();
    const keys = [...(await dumpPrefix(redis, prefix)).keys()];
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('after a create, no key under the demo prefix holds the hospital name or address in plaintext', async () => {
    const name = `Zorblax Infirmary ${process.pid}`;
    const address = `42 Quuxley Road ${process.pid}`;
    const key = newKey();
    const res = await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', key)
      .send(hospital({ name, address }));
    expect(res.status).toBe(201);
    expect(res.body.name).toBe(name);
    // the record is there (a replay), so the dump below looked at it
    const replay = await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', key)
      .send(hospital({ name, address }));
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.name).toBe(name);

    const dump = await dumpPrefix(redis, prefix);
    expect(dump.size).toBeGreaterThan(0);
    for (const text of dump.values()) {
      expect(text).not.toContain('Zorblax');
      expect(text).not.toContain('Quuxley');
      expect(text).not.toContain(key);
      expect(text).not.toContain(res.body.id);
    }
  });
});
