import type { AddressInfo } from 'node:net';
import { idempotency, MemoryStore, makeIdempotent } from '@resil/idempotency';
import express from 'express';
import type { Redis } from 'ioredis';
import { batchOf, compareNs, record, type Settings } from '../harness';
import { commandsByName } from '../redis';

const CASE_IDEM = '7. idempotency on Redis';
const CASE_ENC = '7b. idempotency encryption at rest (encryptionKey, AES-256-GCM + HMAC)';
/** A 2 KB JSON answer, about the size of a patient record. */
const RECORD = JSON.stringify({ ok: true, notes: 'x'.repeat(2000) });

async function serve(app: express.Express): Promise<{ url: string; close: () => Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const CASE_ENC_CPU =
  '7c. idempotency encryption at rest, in process (makeIdempotent on the memory store, 2 KB result)';

/**
 * The CPU cost of encryptionKey without HTTP or Redis (whose noise hides it on a shared machine):
 * makeIdempotent on one memory store, a first call (HMAC of key and fingerprint, seal) and a
 * replay (HMAC, open), with and without encryptionKey.
 */
export async function encryptionCpuCost(settings: Settings): Promise<void> {
  const BATCH = 100;
  const result = JSON.parse(RECORD) as unknown;
  const make = (encryptionKey?: Buffer) =>
    makeIdempotent(async (_id: string) => result, {
      key: (id) => id,
      store: new MemoryStore({ maxRecords: 1_000_000, maxBytes: 1 << 30 }),
      logger: false,
      ...(encryptionKey ? { encryptionKey } : {}),
    });
  const plain = make();
  const sealed = make(Buffer.alloc(32, 7));
  await plain('replayed');
  await sealed('replayed');
  let seq = 0;
  await compareNs(
    CASE_ENC_CPU,
    {
      'first call, no encryption': batchOf(BATCH, () => plain(`k${++seq}`)),
      'first call, encryptionKey': batchOf(BATCH, () => sealed(`k${++seq}`)),
      'replay, no encryption': batchOf(BATCH, () => plain('replayed')),
      'replay, encryptionKey': batchOf(BATCH, () => sealed('replayed')),
    },
    settings,
    { batch: BATCH, metric: 'time per call (in process)', versus: 'first call, no encryption' },
  );
  await plain.close();
  await sealed.close();
}

export async function idempotencyCost(
  settings: Settings,
  redis: Redis,
  prefix: string,
): Promise<void> {
  await encryptionCpuCost(settings);
  const BATCH = 10;
  let seq = 0;
  const a = express();
  a.use(express.json());
  a.post('/plain', (_req, res) => {
    res.status(201).json({ ok: true });
  });
  a.post(
    '/idem',
    idempotency({ redis, keyPrefix: `${prefix}idemcost:`, ttlMs: 600_000, logger: false }),
    (_req, res) => {
      res.status(201).json({ ok: true });
    },
  );
  for (const [path, encryptionKey] of [
    ['/rec', undefined],
    ['/rec-enc', Buffer.alloc(32, 7)],
  ] as const)
    a.post(
      path,
      idempotency({
        redis,
        keyPrefix: `${prefix}idemenc${path.length}:`,
        ttlMs: 600_000,
        logger: false,
        ...(encryptionKey ? { encryptionKey } : {}),
      }),
      (_req, res) => {
        res.status(201).type('json').send(RECORD);
      },
    );
  const s = await serve(a);
  const post = (path: string, key?: string) =>
    fetch(`${s.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: '{"name":"St. Mary"}',
    }).then((r) => r.arrayBuffer());
  await post('/idem', 'replayed');
  await post('/rec', 'replayed');
  await post('/rec-enc', 'replayed');
  try {
    // Encryption at rest: the same route and 2 KB answer with and without encryptionKey.
    await compareNs(
      CASE_ENC,
      {
        'first request, no encryption': batchOf(BATCH, () => post('/rec', `fresh-${++seq}`)),
        'first request, encryptionKey': batchOf(BATCH, () => post('/rec-enc', `fresh-${++seq}`)),
        'replay, no encryption': batchOf(BATCH, () => post('/rec', 'replayed')),
        'replay, encryptionKey': batchOf(BATCH, () => post('/rec-enc', 'replayed')),
      },
      settings,
      {
        batch: BATCH,
        metric: 'time per request (HTTP on loopback, 2 KB answer)',
        versus: 'first request, no encryption',
      },
    );
    await compareNs(
      CASE_IDEM,
      {
        'POST without idempotency': batchOf(BATCH, () => post('/plain')),
        'POST, first request (fresh key)': batchOf(BATCH, () => post('/idem', `fresh-${++seq}`)),
        'POST, replay (same key)': batchOf(BATCH, () => post('/idem', 'replayed')),
      },
      settings,
      {
        batch: BATCH,
        metric: 'time per request (HTTP on loopback)',
        versus: 'POST without idempotency',
      },
    );
    // Round trips: the scripts called (commands run inside a script are not round trips).
    const trips = (by: Record<string, number>) =>
      (by.evalsha ?? 0) + (by.eval ?? 0) + (by.script ?? 0);
    const firsts = await commandsByName(redis, async () => {
      for (let i = 0; i < 100; i++) await post('/idem', `count-${i}`);
    });
    const replays = await commandsByName(redis, async () => {
      for (let i = 0; i < 100; i++) await post('/idem', 'replayed');
    });
    for (const [subject, by] of [
      ['POST, first request (fresh key)', firsts],
      ['POST, replay (same key)', replays],
    ] as const) {
      record({
        case: CASE_IDEM,
        subject,
        metric: 'Redis round trips (scripts) per request',
        unit: 'round trips',
        better: 'lower',
        values: [trips(by) / 100],
      });
      record({
        case: CASE_IDEM,
        subject,
        metric: 'Redis commands per request, those inside scripts included',
        unit: 'commands',
        better: 'lower',
        values: [Object.values(by).reduce((a, b) => a + b, 0) / 100],
      });
    }
  } finally {
    await s.close();
  }
}
