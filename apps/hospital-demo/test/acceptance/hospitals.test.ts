import request from 'supertest';
import { ADMIN, ALICE, auth, BOB, type Harness, hospital, newKey, startHarness } from '../helpers';

describe('hospital service (memory stores, mock registry in-process)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.registry.state.reset({ counters: true });
  });

  const create = (key: string, body: unknown = hospital(), apiKey = ALICE) =>
    request(h.app)
      .post('/hospitals')
      .set(auth(apiKey))
      .set('Idempotency-Key', key)
      .send(body as object);

  describe('POST /hospitals', () => {
    it('creates then activates through the registry and answers 201 { id, name, status: active }', async () => {
      const res = await create(newKey());
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^hosp_/),
        name: "St Mary's",
        status: 'active',
      });
      expect(res.headers.location).toBe(`/hospitals/${res.body.id}`);
      expect(h.registry.state.counters.executed).toMatchObject({ create: 1, activate: 1 });
      expect(h.registry.state.hospitals.get(res.body.id)?.status).toBe('active');
    });

    it('replays a repeated Idempotency-Key: same answer, Idempotent-Replayed, one upstream create', async () => {
      const key = newKey();
      const first = await create(key);
      const second = await create(key);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(h.registry.state.counters.received.create).toBe(1);
      expect(h.registry.state.counters.executed.create).toBe(1);
    });

    it('answers 422 when the same key comes back with another payload', async () => {
      const key = newKey();
      await create(key);
      const res = await create(key, hospital({ name: 'Another' }));
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(h.registry.state.counters.executed.create).toBe(1);
    });

    it('scopes keys per API key owner: the same key from another client creates its own hospital', async () => {
      const key = newKey();
      const a = await create(key, hospital(), ALICE);
      const b = await create(key, hospital(), BOB);
      expect(b.status).toBe(201);
      expect(b.body.id).not.toBe(a.body.id);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
    });

    it('requires an Idempotency-Key (400 problem)', async () => {
      const res = await request(h.app).post('/hospitals').set(auth(ALICE)).send(hospital());
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(h.registry.state.counters.received.create).toBe(0);
    });

    it('validates the body: 422 problem+json naming the fields, nothing sent upstream', async () => {
      const res = await create(newKey(), { address: '', contactEmail: 'not-an-email' });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['name', 'address', 'contactEmail']));
      expect(h.registry.state.counters.received.create).toBe(0);
    });

    it('sanitises: operator keys are dropped and markup does not reach the registry', async () => {
      const res = await create(
        newKey(),
        hospital({ name: 'General <script>alert(1)</script>', $where: '1', 'a.b': 1 }),
      );
      expect(res.status).toBe(201);
      const stored = h.registry.state.hospitals.get(res.body.id);
      expect(stored?.name).not.toMatch(/[<>]/);
      expect(stored).not.toHaveProperty('$where');
    });

    it("keeps ordinary names intact (O'Brien, José, 李)", async () => {
      const res = await create(newKey(), hospital({ name: "O'Brien José 李 Hospital" }));
      expect(res.status).toBe(201);
      expect(h.registry.state.hospitals.get(res.body.id)?.name).toBe("O'Brien José 李 Hospital");
    });

    it('never logs the hospital address, contact email or phone', async () => {
      const before = h.logs.length;
      const res = await create(
        newKey(),
        hospital({
          address: '742 Evergreen Terrace',
          contactEmail: 'jane.doe@example.org',
          contactPhone: '+1 555 0100 222',
        }),
      );
      expect(res.status).toBe(201);
      const written = JSON.stringify(h.logs.slice(before));
      expect(written).toContain('hospital created');
      expect(written).not.toContain('Evergreen');
      expect(written).not.toContain('jane.doe');
      // The phone's digit groups, looked for outside the random ids, timestamps and durations (a span id such as
      // f156a5313c01005e holds "0100" by chance about once in a few hundred runs).
      const RANDOM_IDS = new Set([
        'requestId',
        'traceId',
        'spanId',
        'hospitalId',
        'timestamp',
        'durationMs',
      ]);
      const withoutIds = JSON.stringify(h.logs.slice(before), (k, v) =>
        RANDOM_IDS.has(k) ? undefined : v,
      );
      expect(withoutIds).toContain('hospital created');
      expect(withoutIds).not.toContain('0100');
      expect(withoutIds).not.toContain('555');
    });
  });

  describe('GET and DELETE /hospitals/:id', () => {
    it('reads a hospital, deletes it (204), then answers 404', async () => {
      const { body } = await create(newKey());
      const got = await request(h.app).get(`/hospitals/${body.id}`).set(auth(ALICE));
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ id: body.id, name: "St Mary's", status: 'active' });
      const del = await request(h.app).delete(`/hospitals/${body.id}`).set(auth(ALICE));
      expect(del.status).toBe(204);
      const gone = await request(h.app).get(`/hospitals/${body.id}`).set(auth(ALICE));
      expect(gone.status).toBe(404);
      expect(gone.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('answers 404 for a malformed id without calling the registry', async () => {
      const res = await request(h.app).get('/hospitals/..%2F..%2Fadmin').set(auth(ALICE));
      expect(res.status).toBe(404);
      expect(h.registry.state.counters.received.get).toBe(0);
    });
  });

  describe('authentication', () => {
    it('refuses a request without a key: 401, WWW-Authenticate, problem+json', async () => {
      const res = await request(h.app).get('/hospitals/x');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('refuses an unknown key without echoing it', async () => {
      const res = await request(h.app).get('/hospitals/x').set(auth('wrong-key-0123456789abcdef'));
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain('wrong-key');
    });

    it('refuses a user key on admin endpoints (403) and accepts the admin key', async () => {
      const user = await request(h.app)
        .post('/admin/breakers/hospital-api.get/open')
        .set(auth(ALICE));
      expect(user.status).toBe(403);
      const admin = await request(h.app)
        .post('/admin/breakers/hospital-api.get/open')
        .set(auth(ADMIN));
      expect(admin.status).toBe(200);
      expect(admin.body).toMatchObject({ name: 'hospital-api.get', state: 'open' });
      const closed = await request(h.app)
        .post('/admin/breakers/hospital-api.get/close')
        .set(auth(ADMIN));
      expect(closed.body.state).toBe('closed');
    });
  });

  describe('errors', () => {
    it('answers malformed JSON with a 400 problem and no stack trace', async () => {
      const res = await request(h.app)
        .post('/hospitals')
        .set(auth(ALICE))
        .set('Idempotency-Key', newKey())
        .set('Content-Type', 'application/json')
        .send('{"name": ');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.text).not.toMatch(/at .*\.(js|ts):\d+/);
    });

    it('answers an unknown route with a 404 problem', async () => {
      const res = await request(h.app).get('/nope');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
    });

    it('sends security headers and a request id', async () => {
      const res = await request(h.app).get('/healthz');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    });
  });
});
