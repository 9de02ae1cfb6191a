// #20 encryption at rest: real requests carrying distinctive PHI-like strings in the body, the
// request headers, the key, the tenant and the response (body and headers), on a private
// redis-server (testkit) whose MONITOR output is captured during the requests; afterwards every
// key is SCANned, DUMPed and read (HGETALL / GET). No plaintext may appear anywhere, neither raw
// nor inside base64 (the store keeps bodies base64). The same run without encryptionKey is the
// control: the detector must find the PHI there. Then key rotation, unknown key ids, altered and
// moved records (typed store errors, never replayed as garbage).
import { createHash } from 'node:crypto';
import {
  type RedisServer,
  redisClientKind,
  startRedisServer,
  untilReady,
  useRedis,
} from '@resil/testkit';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import {
  canonicalJson,
  ERROR_CODES,
  type IdempotencyOptions,
  idempotency,
  isIdempotencyStoreError,
  makeIdempotent,
  type OutcomeEvent,
  RedisStore,
  type StoredResponse,
} from '../../src';
import { encryptedStore, Keyring } from '../../src/crypto';

const PHI = {
  name: 'Zebulon Quixote-Marchetti',
  mrn: 'MRN-99887766',
  diagnosis: 'Xylophagia-Syndrome',
  tenant: 'tenant-StElsewhere-Oncology',
  key: 'admit-Zebulon-19310229',
  header: 'Quixote-Marchetti-Header',
  fnKey: 'queue-msg-Marchetti-42',
  fnArg: 'Dorothea-Vandersloot',
};
const K1 = Buffer.alloc(32, 1);
const K2 = Buffer.alloc(32, 2);
const K3 = Buffer.alloc(32, 3);

/** Every way a needle can sit in a text: raw, or inside a base64 run (any alignment). */
function exposed(texts: string[], needles: string[]): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    const views = [text];
    for (const run of text.match(/[A-Za-z0-9+/=]{8,}/g) ?? [])
      for (let cut = 0; cut < 4; cut++)
        views.push(Buffer.from(run.slice(cut), 'base64').toString('latin1'));
    for (const v of views) for (const n of needles) if (v.includes(n)) found.add(n);
  }
  return [...found];
}

function app(options: IdempotencyOptions) {
  const a = express();
  a.use(express.json());
  const mw = idempotency({ logger: false, scope: () => PHI.tenant, ...options });
  a.use(mw);
  let runs = 0;
  a.post('/patients', (req, res) => {
    runs++;
    res.setHeader('x-patient', `${PHI.mrn}`);
    res.setHeader('location', `/patients/${encodeURIComponent(req.body.name)}`);
    res.status(201).json({ admitted: req.body.name, diagnosis: PHI.diagnosis, run: runs });
  });
  return { app: a, mw, runs: () => runs };
}

const body = { name: PHI.name, mrn: PHI.mrn };
const admit = (a: express.Express, key = PHI.key, b: object = body) =>
  request(a)
    .post('/patients')
    .set('Idempotency-Key', key)
    .set('x-referrer-note', PHI.header)
    .send(b);

async function scenario(
  server: RedisServer,
  keyPrefix: string,
  encryptionKey: IdempotencyOptions['encryptionKey'],
) {
  const kind = redisClientKind();
  const client = kind.single(server.url);
  await untilReady(client);
  const admin = new Redis(server.url);
  const monitorClient = new Redis(server.url);
  // Both connected (their ready checks, INFO, answered) before MONITOR starts: a connection's
  // INFO that reaches the monitor connection while ioredis switches it to MONITOR mode breaks its
  // reply queue ("Command queue state error"; seen once in CI).
  await Promise.all([admin.ping(), monitorClient.ping()]);
  const lines: string[] = [];
  const monitor = await monitorClient.monitor();
  // an error on the monitor connection (lines possibly lost) fails the run below, clearly
  const monitorErrors: unknown[] = [];
  monitor.on('error', (e: unknown) => monitorErrors.push(e));
  // closed whatever happens: a failed expectation must not leave connections open (Jest would
  // never exit)
  try {
    monitor.on('monitor', (_time: string, args: string[]) => lines.push(args.join(' ')));
    await admin.ping(); // seen by MONITOR: it is recording
    await new Promise<void>((resolve, reject) => {
      const probe = () =>
        lines.some((l) => l.toLowerCase().startsWith('ping')) ? resolve() : setTimeout(probe, 5);
      setTimeout(() => reject(new Error('MONITOR saw nothing')), 5_000).unref();
      probe();
    });
    const { app: a, mw } = app({
      redis: client,
      keyPrefix,
      encryptionKey,
      commandTimeoutMs: 2_000,
    });
    const first = await admit(a);
    const replay = await admit(a);
    const mismatch = await admit(a, PHI.key, { name: PHI.name, mrn: 'MRN-00000001' });
    const fn = makeIdempotent(
      async (msg: { patient: string }) => ({ done: msg.patient, mrn: PHI.mrn }),
      {
        redis: client,
        keyPrefix,
        encryptionKey,
        key: () => PHI.fnKey,
      },
    );
    const fnFirst = await fn({ patient: PHI.fnArg });
    const fnReplay = await fn({ patient: PHI.fnArg });
    await fn.close();
    await mw.close();
    // the last command of the run has reached MONITOR
    await admin.set(`${keyPrefix}end`, '1');
    await new Promise<void>((resolve, reject) => {
      const probe = () =>
        lines.some((l) => l.includes(`${keyPrefix}end`)) ? resolve() : setTimeout(probe, 5);
      setTimeout(() => reject(new Error('MONITOR missed the end mark')), 5_000).unref();
      probe();
    });
    if (monitorErrors.length > 0) throw monitorErrors[0];
    const texts: string[] = [...lines];
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 100);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    for (const k of keys) {
      texts.push(k);
      const dump = await admin.dumpBuffer(k);
      if (dump) texts.push(dump.toString('latin1'));
      const type = await admin.type(k);
      if (type === 'hash') texts.push(...Object.entries(await admin.hgetall(k)).flat());
      else if (type === 'string') texts.push((await admin.get(k)) ?? '');
    }
    return { first, replay, mismatch, fnFirst, fnReplay, texts, keys };
  } finally {
    monitor.disconnect();
    monitorClient.disconnect();
    admin.disconnect();
    await kind.quit(client);
  }
}

describe('encryption at rest (#20)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  const needles = Object.values(PHI);
  const fingerprintPlain = createHash('sha256')
    .update(`POST /patients\n${canonicalJson(body)}`)
    .digest('hex');
  const namePlain = createHash('sha256').update(`${PHI.tenant}\n${PHI.key}`).digest('hex');

  it('control (no encryptionKey): the detector finds the PHI in MONITOR and in the stored records, and plain SHA-256 names and fingerprints', async () => {
    const run = await scenario(server, 'plain:', undefined);
    expect(run.first.status).toBe(201);
    const found = exposed(run.texts, needles);
    expect(found).toEqual(expect.arrayContaining([PHI.name, PHI.mrn, PHI.diagnosis, PHI.fnArg]));
    expect(run.texts.join('\n')).toContain(fingerprintPlain);
    expect(run.keys.some((k) => k.includes(namePlain))).toBe(true);
  });

  it('with encryptionKey: requests and replays behave the same, and nothing of the PHI is in MONITOR, key names, DUMPs or values', async () => {
    const run = await scenario(server, 'phi:', K1);
    expect(run.first.status).toBe(201);
    expect(run.replay.status).toBe(201);
    expect(run.replay.headers['idempotent-replayed']).toBe('true');
    expect(run.replay.headers['x-patient']).toBe(PHI.mrn);
    expect(run.replay.headers.location).toBe(run.first.headers.location);
    expect(run.replay.body).toEqual(run.first.body);
    expect(run.mismatch.status).toBe(422);
    expect(run.fnFirst).toEqual({ done: PHI.fnArg, mrn: PHI.mrn });
    expect(run.fnReplay).toEqual(run.fnFirst);
    expect(run.keys).toHaveLength(3); // 2 records + end mark
    expect(exposed(run.texts, needles)).toEqual([]);
    // keyed hashes: neither the plain SHA-256 fingerprint nor the plain SHA-256 name appears
    expect(run.texts.join('\n')).not.toContain(fingerprintPlain);
    expect(run.keys.some((k) => k.includes(namePlain))).toBe(false);
  });
});

describe('key rotation and records that do not decrypt (#20)', () => {
  const r = useRedis('idempotency-rotation');
  let seq = 0;
  const prefix = () => `${r.prefix}${++seq}:`;
  const listen = (mw: ReturnType<typeof idempotency>) => {
    const seen: OutcomeEvent[] = [];
    mw.onStoreError((e) => seen.push(e));
    return seen;
  };

  it('a record written with the old key replays after a new key is put first; new records use the new key', async () => {
    const keyPrefix = prefix();
    const old = app({ redis: r.redis, keyPrefix, encryptionKey: K1 });
    const first = await admit(old.app);
    const rotated = app({
      redis: r.redis,
      keyPrefix,
      encryptionKey: [
        { id: 'k2', key: K2 },
        { id: 'default', key: K1 },
      ],
    });
    const replay = await admit(rotated.app);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(rotated.runs()).toBe(0);
    await admit(rotated.app, 'second-key');
    expect(rotated.runs()).toBe(1);
    // the new record names key id k2 (in the envelope); the old one 'default'
    const ids = new Set<string>();
    for (const k of await r.admin.keys(`${keyPrefix}*`)) {
      const env = Buffer.from((await r.admin.hget(k, 'body')) ?? '', 'base64');
      ids.add(env.subarray(2, 2 + (env[1] ?? 0)).toString('latin1'));
      expect(await r.admin.hget(k, 'status')).toBe('0');
      expect(await r.admin.hget(k, 'headers')).toBe('{}');
    }
    expect(ids).toEqual(new Set(['default', 'k2']));
    await old.mw.close();
    await rotated.mw.close();
  });

  it('a record whose key id is not configured: 503 store error RESIL_IDEMPOTENCY_UNKNOWN_KEY_ID, the handler does not run', async () => {
    const keyPrefix = prefix();
    const writer = app({
      redis: r.redis,
      keyPrefix,
      encryptionKey: [
        { id: 'k2', key: K2 },
        { id: 'default', key: K1 },
      ],
    });
    await admit(writer.app);
    const reader = app({
      redis: r.redis,
      keyPrefix,
      encryptionKey: [
        { id: 'k3', key: K3 },
        { id: 'default', key: K1 },
      ],
    });
    const seen = listen(reader.mw);
    const res = await admit(reader.app);
    expect(res.status).toBe(503);
    expect(res.text).not.toContain(PHI.name);
    expect(seen).toEqual([{ status: 503, code: ERROR_CODES.UNKNOWN_KEY_ID }]);
    expect(reader.runs()).toBe(0);
    await writer.mw.close();
    await reader.mw.close();
  });

  it('an altered record (one ciphertext bit): 503 RESIL_IDEMPOTENCY_DECRYPT_FAILED, never replayed', async () => {
    const keyPrefix = prefix();
    const a = app({ redis: r.redis, keyPrefix, encryptionKey: K1 });
    const seen = listen(a.mw);
    await admit(a.app);
    const [k] = await r.admin.keys(`${keyPrefix}*`);
    const env = Buffer.from((await r.admin.hget(k as string, 'body')) ?? '', 'base64');
    env[env.length - 1] = (env[env.length - 1] as number) ^ 1;
    await r.admin.hset(k as string, 'body', env.toString('base64'));
    const res = await admit(a.app);
    expect(res.status).toBe(503);
    expect(seen).toEqual([{ status: 503, code: ERROR_CODES.DECRYPT_FAILED }]);
    expect(a.runs()).toBe(1);
    await a.mw.close();
  });

  it('a record copied to another key name does not decrypt there (the key name is authenticated)', async () => {
    const store = encryptedStore(new RedisStore(r.redis, { timeoutMs: 2_000 }), new Keyring(K1));
    const from = `${prefix()}{idem:a}`;
    const to = `${prefix()}{idem:b}`;
    const response: StoredResponse = {
      status: 201,
      headers: { a: 'b' },
      body: Buffer.from(PHI.name),
      omitted: false,
    };
    await store.claim(from, 'o', 'fp', 5_000);
    await store.complete(from, 'o', response, 60_000);
    expect(await store.claim(from, 'o2', 'fp', 5_000)).toEqual({
      claimed: false,
      state: 'done',
      fp: 'fp',
      response,
    });
    await r.admin.hset(to, await r.admin.hgetall(from));
    await r.admin.pexpire(to, 60_000);
    const err = await store.claim(to, 'o3', 'fp', 5_000).catch((e: unknown) => e);
    expect(isIdempotencyStoreError(err)).toBe(true);
    expect((err as { code: string }).code).toBe(ERROR_CODES.DECRYPT_FAILED);
    expect(String((err as Error).message)).not.toContain(PHI.name);
    await store.close();
  });
});
