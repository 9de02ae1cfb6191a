import fc from 'fast-check';
import request from 'supertest';
import { ALICE, auth, BOB, type Harness, hospital, newKey, startHarness } from '../helpers';

/**
 * Hostile input against the whole inbound stack: whatever arrives, the answer is a 4xx
 * application/problem+json (or a 201 for input that is valid once sanitised), never a 500, never a
 * stack trace; Object.prototype stays clean; no log line carries an identifier from the payload.
 */

const STACK_TRACE = /\bat [^\n]*\(?[^\s()]+:\d+:\d+\)?/;
const PHI = ['123-45-6789', 'jane.roe@example.org', '+1 415 555 0134', 'MRN-0099812'];

describe('hostile input (memory stores, mock registry in-process)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ INBOUND_RATE_LIMIT: '1000000' });
  });
  afterAll(async () => {
    await h.close();
  });

  const raw = (body: string | Buffer, type = 'application/json', key = newKey()) =>
    request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', key)
      .set('Content-Type', type)
      .send(body);

  /** The answer is safe: no 5xx, a problem+json on errors, no stack trace anywhere. */
  function expectSafe(res: request.Response): void {
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.text).not.toMatch(STACK_TRACE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  }

  it.each([
    ['invalid JSON', '{"name": "St Mary", "address":', 'application/json'],
    ['a JSON string, not an object', '"hello"', 'application/json'],
    ['a JSON array', '[1,2,3]', 'application/json'],
    ['null', 'null', 'application/json'],
    ['text/plain', 'name=St Mary', 'text/plain'],
    ['XML', '<hospital><name>x</name></hospital>', 'application/xml'],
    ['a form', 'name=St+Mary&address=1+Main', 'application/x-www-form-urlencoded'],
    [
      'a JSON content type with a charset the parser does not know',
      '{}',
      'application/json; charset=koi8-r',
    ],
  ])('answers %s with a 4xx problem', async (_label, body, type) => {
    const res = await raw(body, type);
    expectSafe(res);
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it('answers a body over the limit with 413', async () => {
    const res = await raw(JSON.stringify(hospital({ notes: 'x'.repeat(2 * 1024 * 1024) })));
    expectSafe(res);
    expect(res.status).toBe(413);
    // @resil/sanitize's problem for it, with the request id like every problem of the demo
    expect(JSON.parse(res.text)).toMatchObject({
      type: 'https://resil.dev/problems/body-too-large',
      status: 413,
      instance: `urn:request:${res.headers['x-request-id']}`,
    });
  });

  it('answers nesting 10,000 deep with a 4xx', async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const res = await raw(`{"name":"x","address":"y","extra":${deep}}`);
    expectSafe(res);
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it('answers 100,000 keys with a 4xx', async () => {
    const many: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) many[`k${i}`] = i;
    const res = await raw(JSON.stringify({ ...hospital(), ...many }));
    expectSafe(res);
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it.each([
    ['__proto__', '{"name":"St Mary","address":"1 Main","__proto__":{"polluted":"yes"}}'],
    [
      'constructor.prototype',
      '{"name":"St Mary","address":"1 Main","constructor":{"prototype":{"polluted":"yes"}}}',
    ],
    [
      'nested __proto__',
      '{"name":"St Mary","address":"1 Main","contact":{"__proto__":{"polluted":"yes"}}}',
    ],
    ['$where', '{"name":"St Mary","address":"1 Main","$where":"sleep(1000)"}'],
    ['$gt as a value', '{"name":{"$gt":""},"address":"1 Main"}'],
    ['dotted key', '{"name":"St Mary","address":"1 Main","a.b":1}'],
  ])(
    'neutralises a %s payload (no pollution, no operator reaches the registry)',
    async (_label, body) => {
      const res = await raw(body);
      expectSafe(res);
      for (const hosp of h.registry.state.hospitals.values()) {
        expect(typeof hosp.name).toBe('string');
        expect(JSON.stringify(hosp)).not.toMatch(/\$where|\$gt|polluted/);
      }
    },
  );

  it('answers invalid UTF-8 and lone surrogates without a 5xx', async () => {
    const bad = Buffer.concat([
      Buffer.from('{"name":"St '),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('","address":"1 Main"}'),
    ]);
    expectSafe(await raw(bad));
    expectSafe(await raw('{"name":"St \\ud800 Mary","address":"1 Main"}'));
  });

  it('answers CR/LF in values without a 5xx, and no log line is split by them', async () => {
    const before = h.logs.length;
    const res = await raw(
      JSON.stringify(hospital({ name: 'St Mary\r\n{"level":"error","forged":true}' })),
    );
    expectSafe(res);
    expect(h.logs.slice(before).some((l) => l.forged === true)).toBe(false);
  });

  it('answers a huge Idempotency-Key with 400, without echoing it', async () => {
    const key = `k${'x'.repeat(10_000)}`;
    const res = await raw(JSON.stringify(hospital()), 'application/json', key);
    expectSafe(res);
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('xxxxxxxxxx');
  });

  it('never logs an identifier from the payload', async () => {
    const before = h.logs.length;
    await raw(
      JSON.stringify(
        hospital({
          name: `Clinic ${PHI[0]}`,
          contactEmail: PHI[1],
          contactPhone: PHI[2],
          mrn: PHI[3],
        }),
      ),
    );
    await raw(`{"name":"${PHI[0]}","address":`); // invalid JSON quoting the SSN
    await raw(JSON.stringify({ name: { $gt: PHI[1] }, address: PHI[3] }));
    const text = JSON.stringify(h.logs.slice(before));
    for (const id of PHI) expect(text).not.toContain(id);
  });

  it('survives arbitrary JSON bodies (property-based)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        const res = await raw(JSON.stringify(value));
        expectSafe(res);
      }),
      { numRuns: 150 },
    );
  });

  it('survives arbitrary bytes as a JSON body (property-based)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        expectSafe(await raw(Buffer.from(bytes)));
      }),
      { numRuns: 150 },
    );
  });

  describe('auth', () => {
    it('refuses no key, a wrong key and a malformed Authorization header', async () => {
      for (const header of [
        undefined,
        'Bearer wrong-key-0123456789abcdef',
        'Basic YWxpY2U6eA==',
        'Bearer',
        `Bearer ${'a'.repeat(5000)}`,
      ]) {
        const req = request(h.app)
          .post('/hospitals')
          .set('Idempotency-Key', newKey())
          .send(hospital());
        const res = await (header ? req.set('Authorization', header) : req);
        expectSafe(res);
        expect(res.status).toBe(401);
      }
    });

    it("cannot replay another client's idempotency key to read its answer", async () => {
      const key = newKey();
      const alice = await request(h.app)
        .post('/hospitals')
        .set(auth(ALICE))
        .set('Idempotency-Key', key)
        .send(hospital({ name: 'Alice Clinic' }));
      expect(alice.status).toBe(201);
      const bob = await request(h.app)
        .post('/hospitals')
        .set(auth(BOB))
        .set('Idempotency-Key', key)
        .send(hospital({ name: 'Alice Clinic' }));
      expect(bob.status).toBe(201);
      expect(bob.headers['idempotent-replayed']).toBeUndefined();
      expect(bob.body.id).not.toBe(alice.body.id);
    });

    it('refuses admin endpoints to a client key', async () => {
      const res = await request(h.app)
        .post('/admin/breakers/hospital-api.create/open')
        .set(auth(ALICE));
      expectSafe(res);
      expect(res.status).toBe(403);
    });
  });

  describe('forged X-Forwarded-For (trust proxy off)', () => {
    it('does not let a client escape the inbound rate limit by forging X-Forwarded-For', async () => {
      const limited = await startHarness({ INBOUND_RATE_LIMIT: '3', INBOUND_WINDOW_MS: '60000' });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await request(limited.app)
            .post('/hospitals')
            .set(auth(ALICE))
            .set('Idempotency-Key', newKey())
            .set('X-Forwarded-For', `203.0.113.${i}`)
            .send(hospital());
          statuses.push(res.status);
        }
        expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
      } finally {
        await limited.close();
      }
    });
  });
});
