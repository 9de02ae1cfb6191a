import request from 'supertest';
import { ALICE, auth, type Harness, hospital, newKey, startHarness } from '../helpers';

/**
 * Issue #23 finding 2: /readyz sent a request to the registry on every call (outside the outbound
 * limiter, unauthenticated), so anonymous callers could spend the registry's quota; /metrics and
 * /status.json read the shared state on every request.
 */

/** Sends `n` requests, `batch` at a time. */
async function hammer(n: number, batch: number, send: () => request.Test): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += batch) {
    const rs = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => send()));
    statuses.push(...rs.map((r) => r.status));
  }
  return statuses;
}

describe('/readyz: cached, single-flight, paced by the outbound limiter', () => {
  let h: Harness;
  let clock = 1_000_000;
  beforeAll(async () => {
    h = await startHarness(
      { READY_CACHE_MS: '5000', OPS_RATE_LIMIT: '1000000' },
      {},
      { now: () => clock },
    );
  });
  afterAll(async () => {
    await h.close();
  });

  it('300 anonymous calls within READY_CACHE_MS make one registry probe', async () => {
    h.registry.state.reset({ counters: true });
    const statuses = await hammer(300, 50, () => request(h.app).get('/readyz'));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(h.registry.state.counters.probes).toBe(1);
  });

  it('probes again once the cached answer is READY_CACHE_MS old, and then reports a change', async () => {
    h.registry.state.reset({ counters: true });
    await request(h.app).get('/readyz').expect(200);
    const before = h.registry.state.counters.probes;
    h.registry.state.setFaults({ mode: 'down' });
    await h.registry.state.settled();
    try {
      clock += 4_999;
      await request(h.app).get('/readyz').expect(200); // still the cached answer
      clock += 1;
      const down = await request(h.app).get('/readyz');
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ status: 'not ready', checks: { upstream: 'failing' } });
    } finally {
      h.registry.state.reset();
      await h.registry.state.settled();
    }
    // The down registry refused the connection: nothing reached its counters.
    expect(h.registry.state.counters.probes).toBe(before);
  });
});

describe('/readyz against a registry that allows 10 requests per second', () => {
  let h: Harness;
  beforeAll(async () => {
    // A cache longer than any run: on a loaded machine 300 calls took over 10 s, straddled two
    // expiries of the default 5 s and made 3 probes (the expiry itself is tested above on a clock).
    h = await startHarness(
      { OPS_RATE_LIMIT: '1000000', READY_CACHE_MS: '600000' },
      { rateLimitPerSecond: 10 },
    );
  });
  afterAll(async () => {
    await h.close();
  });

  it("300 anonymous calls leave the registry's quota to the tenants", async () => {
    h.registry.state.reset({ counters: true });
    await hammer(300, 50, () => request(h.app).get('/readyz'));
    expect(h.registry.state.counters.probes).toBe(1);
    expect(h.registry.state.counters.rateLimited).toBe(0);
    const res = await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', newKey())
      .send(hospital());
    expect(res.status).toBe(201);
    expect(h.registry.state.counters.rateLimited).toBe(0);
  });

  it('takes no probe when the outbound limiter has no token free, and keeps the last answer', async () => {
    const tight = await startHarness({
      READY_CACHE_MS: '0',
      OUTBOUND_RATE_LIMIT: '1',
      OUTBOUND_WINDOW_MS: '3600000',
      OPS_RATE_LIMIT: '1000000',
    });
    try {
      const first = await request(tight.app).get('/readyz');
      expect(first.status).toBe(200);
      expect(tight.registry.state.counters.probes).toBe(1);
      // The one token of the hour is spent: no more probes, however many calls.
      await hammer(20, 10, () => request(tight.app).get('/readyz'));
      expect(tight.registry.state.counters.probes).toBe(1);
    } finally {
      await tight.close();
    }
  });
});

describe('operator endpoints are rate limited per client', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ OPS_RATE_LIMIT: '5', OPS_WINDOW_MS: '60000' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers 429 problem+json with Retry-After beyond OPS_RATE_LIMIT, across /readyz, /metrics and /status.json', async () => {
    const paths = ['/readyz', '/metrics', '/status.json', '/status', '/readyz', '/metrics'];
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (const p of paths) {
      last = await request(h.app).get(p);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(last?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    // /healthz is not limited, nor does the operator limit touch the API's own.
    for (let i = 0; i < 10; i++) await request(h.app).get('/healthz').expect(200);
    await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', newKey())
      .send(hospital())
      .expect(201);
  });
});

describe('/metrics and /status.json read the shared breaker state at most once per STATUS_REFRESH_MS', () => {
  it('50 concurrent requests: one refresh per breaker, then one more after the interval', async () => {
    let clock = 5_000_000;
    const h = await startHarness(
      { STATUS_REFRESH_MS: '1000', OPS_RATE_LIMIT: '1000000' },
      {},
      { now: () => clock },
    );
    try {
      const spies = h.app.hospitalApi.breakers.map((b) => jest.spyOn(b, 'refresh'));
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          request(h.app)
            .get(i % 2 ? '/metrics' : '/status.json')
            .expect(200),
        ),
      );
      for (const s of spies) expect(s).toHaveBeenCalledTimes(1);
      clock += 999;
      await request(h.app).get('/status.json').expect(200);
      for (const s of spies) expect(s).toHaveBeenCalledTimes(1);
      clock += 1;
      await request(h.app).get('/metrics').expect(200);
      for (const s of spies) expect(s).toHaveBeenCalledTimes(2);
    } finally {
      await h.close();
    }
  });
});

describe('/metrics and /status.json when the shared state cannot be read', () => {
  it('still answer 200 with the state this process knows', async () => {
    const h = await startHarness({ STATUS_REFRESH_MS: '0', OPS_RATE_LIMIT: '1000000' });
    try {
      for (const b of h.app.hospitalApi.breakers)
        jest.spyOn(b, 'refresh').mockRejectedValue(new Error('redis away'));
      const status = await request(h.app).get('/status.json');
      expect(status.status).toBe(200);
      expect(status.body.breakers[0]).toMatchObject({ state: 'closed' });
      await request(h.app).get('/metrics').expect(200);
    } finally {
      await h.close();
    }
  });
});

describe('OPS_PORT: the operator endpoints leave the public app', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ OPS_PORT: '0' });
  });
  afterAll(async () => {
    await h.close();
  });

  it.each(['/readyz', '/metrics', '/status', '/status.json', '/status.js'])(
    'GET %s: 404 on the public app, served by app.ops',
    async (path) => {
      const pub = await request(h.app).get(path);
      expect(pub.status).toBe(404);
      expect(pub.headers['content-type']).toMatch(/^application\/problem\+json/);
      const ops = await request(h.app.ops).get(path);
      expect(ops.status).toBe(200);
    },
  );

  it('keeps /healthz on both, and the API only on the public app', async () => {
    await request(h.app).get('/healthz').expect(200);
    await request(h.app.ops).get('/healthz').expect(200);
    const api = await request(h.app.ops).get('/hospitals/x').set(auth(ALICE));
    expect(api.status).toBe(404);
    const ok = await request(h.app).get('/hospitals/x').set(auth(ALICE));
    expect(ok.status).toBe(404); // malformed id, but past auth: the route exists here
    expect(ok.body.title).toBe('Hospital not found');
  });
});
