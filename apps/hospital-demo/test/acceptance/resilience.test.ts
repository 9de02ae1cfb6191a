import { waitFor } from '@resil/testkit';
import request from 'supertest';
import { ADMIN, ALICE, auth, type Harness, hospital, newKey, startHarness } from '../helpers';

const create = (h: Harness, key = newKey()) =>
  request(h.app).post('/hospitals').set(auth(ALICE)).set('Idempotency-Key', key).send(hospital());

const breakerState = async (h: Harness, name: string) => {
  const res = await request(h.app).get('/status.json');
  return (res.body.breakers as Array<{ name: string; state: string; nextProbeInMs: number }>).find(
    (b) => b.name === name,
  );
};

describe('resilience layers (threshold 2, 3 attempts, breaker reset 60 s)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('retries a failing registry, then opens the create breaker and fails fast with 503 + Retry-After', async () => {
    h.registry.state.setFaults({ errorRate: 1, errorStatus: 503 });
    const first = await create(h);
    expect(first.status).toBe(502);
    expect(h.registry.state.counters.received.create).toBe(3); // 3 attempts
    const second = await create(h);
    expect(second.status).toBe(502);
    expect(h.registry.state.counters.received.create).toBe(6);
    expect((await breakerState(h, 'hospital-api.create'))?.state).toBe('open');

    const fast = await create(h);
    expect(fast.status).toBe(503);
    expect(fast.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(fast.headers['retry-after'])).toBeGreaterThan(0);
    expect(fast.body).toMatchObject({ breaker: 'hospital-api.create' });
    expect(h.registry.state.counters.received.create).toBe(6); // nothing reached the registry

    const retryLogs = h.logs.filter((l) => l.message === 'retrying hospital registry call');
    expect(retryLogs).toHaveLength(4);
    expect(retryLogs[0]).toMatchObject({ endpoint: 'create', attempt: 1, reason: 'http_503' });
    expect(
      h.logs.some((l) => l.message === 'circuit breaker hospital-api.create state changed to open'),
    ).toBe(true);
  });

  it('keeps one breaker per endpoint: a failing activate opens only the activate breaker', async () => {
    h.registry.state.setFaults({ errorRate: 1, errorStatus: 500, endpoints: ['activate'] });
    await create(h);
    await create(h);
    expect((await breakerState(h, 'hospital-api.activate'))?.state).toBe('open');
    expect((await breakerState(h, 'hospital-api.create'))?.state).toBe('closed');
    // Reads still work while activation is refused.
    const id = [...h.registry.state.hospitals.keys()][0];
    const got = await request(h.app).get(`/hospitals/${id}`).set(auth(ALICE));
    expect(got.status).toBe(200);
    expect(got.body.status).toBe('pending');
  });

  it('a retry of the same Idempotency-Key after a failed activation creates no second hospital', async () => {
    h.registry.state.setFaults({ errorRate: 1, errorStatus: 503, endpoints: ['activate'] });
    const key = newKey();
    expect((await create(h, key)).status).toBe(502);
    h.registry.state.reset();
    const again = await create(h, key);
    expect(again.status).toBe(201);
    expect(h.registry.state.counters.executed.create).toBe(1);
    expect(h.registry.state.counters.replayed).toBeGreaterThanOrEqual(1);
    expect(h.registry.state.hospitals.size).toBe(1);
  });

  it('gives up on a hanging registry after the per-call timeout: 504, each attempt timed out', async () => {
    await h.close();
    h = await startHarness({ UPSTREAM_TIMEOUT_MS: '100', RETRY_MAX_ATTEMPTS: '2' });
    h.registry.state.setFaults({ mode: 'hang' });
    const res = await create(h);
    expect(res.status).toBe(504);
    expect(res.body.title).toBe('Hospital registry timed out');
    expect(h.registry.state.counters.hung).toBe(2);
  });

  it('treats a dropped connection as retryable: 502 after every attempt was reset', async () => {
    h.registry.state.setFaults({ mode: 'reset' });
    const res = await create(h);
    expect(res.status).toBe(502);
    expect(res.body.title).toBe('Hospital registry unreachable');
    expect(h.registry.state.counters.reset).toBe(3);
  });

  it('honours the registry 429 Retry-After and succeeds', async () => {
    h.registry.state.setFaults({ failNext: 1, errorStatus: 429, retryAfterSeconds: 1 });
    const res = await create(h);
    expect(res.status).toBe(201);
    expect(h.registry.state.counters.faulted).toBe(1);
    const retry = h.logs.find((l) => l.message === 'retrying hospital registry call');
    expect(retry).toMatchObject({ reason: 'http_429', delayMs: 1000 }); // Retry-After, not the 1-5 ms backoff
    const metrics = await request(h.app).get('/metrics');
    expect(metrics.text).toMatch(
      /hospital_demo_retries_total\{endpoint="create",reason="http_429",worker="main"\} [1-9]/,
    );
  });

  it('admin can force a breaker open (calls answer 503) and closed again', async () => {
    await request(h.app)
      .post('/admin/breakers/hospital-api.create/open')
      .set(auth(ADMIN))
      .expect(200);
    expect((await create(h)).status).toBe(503);
    expect(h.registry.state.counters.received.create).toBe(0);
    await request(h.app)
      .post('/admin/breakers/hospital-api.create/close')
      .set(auth(ADMIN))
      .expect(200);
    expect((await create(h)).status).toBe(201);
  });
});

describe('breaker recovery (reset timeout 200 ms)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ BREAKER_RESET_TIMEOUT_MS: '200', RETRY_MAX_ATTEMPTS: '1' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('after the reset timeout one probe reaches the registry and closes the breaker', async () => {
    h.registry.state.setFaults({ errorRate: 1, errorStatus: 503 });
    await create(h);
    await create(h);
    expect(h.registry.state.counters.received.create).toBe(2);
    h.registry.state.reset();
    await waitFor(async () => (await breakerState(h, 'hospital-api.create'))?.nextProbeInMs === 0);
    const res = await create(h);
    expect(res.status).toBe(201);
    expect(h.registry.state.counters.received.create).toBe(3); // exactly one probe
    expect((await breakerState(h, 'hospital-api.create'))?.state).toBe('closed');
  });
});

describe('rate limits', () => {
  it('inbound: beyond INBOUND_RATE_LIMIT a client gets 429 with Retry-After, counted in /metrics', async () => {
    const h = await startHarness({ INBOUND_RATE_LIMIT: '2', INBOUND_WINDOW_MS: '60000' });
    try {
      expect((await create(h)).status).toBe(201);
      expect((await create(h)).status).toBe(201);
      const third = await create(h);
      expect(third.status).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      expect(third.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(h.registry.state.counters.received.create).toBe(2);
      const metrics = await request(h.app).get('/metrics');
      expect(metrics.text).toContain(
        'hospital_demo_rate_limit_rejections_total{direction="inbound",worker="main"} 1',
      );
    } finally {
      await h.close();
    }
  });

  it('outbound: a burst is spread so the registry (10 requests/s) never answers 429', async () => {
    const h = await startHarness(
      { OUTBOUND_RATE_LIMIT: '10', OUTBOUND_WINDOW_MS: '1000', INBOUND_RATE_LIMIT: '1000' },
      { rateLimitPerSecond: 10 },
    );
    try {
      const results = await Promise.all(Array.from({ length: 8 }, () => create(h)));
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
      expect(h.registry.state.counters.rateLimited).toBe(0);
      expect(h.registry.state.counters.executed.create).toBe(8);
    } finally {
      await h.close();
    }
  });
});

describe('idempotency while the first request is still running', () => {
  it('answers 409 to the same key in flight (counted as a conflict), then the first completes once', async () => {
    const h = await startHarness({ UPSTREAM_TIMEOUT_MS: '200' });
    try {
      h.registry.state.setFaults({ mode: 'hang', endpoints: ['create'] });
      const key = newKey();
      const first = create(h, key).then((r) => r); // then() sends it now
      await waitFor(() => h.registry.state.counters.hung === 1);
      const second = await create(h, key);
      expect(second.status).toBe(409);
      expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
      h.registry.state.reset();
      expect((await first).status).toBe(201); // the hung attempt timed out, the retry succeeded
      expect(h.registry.state.counters.executed.create).toBe(1);
      const metrics = await request(h.app).get('/metrics');
      expect(metrics.text).toContain(
        'hospital_demo_idempotency_total{outcome="conflict",worker="main"} 1',
      );
    } finally {
      await h.close();
    }
  });
});
