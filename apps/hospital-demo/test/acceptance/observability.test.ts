import request from 'supertest';
import { ALICE, auth, type Harness, hospital, startHarness } from '../helpers';

describe('open endpoints: /healthz, /readyz, /metrics, /status', () => {
  let h: Harness;
  beforeAll(async () => {
    // No readiness cache here: each /readyz probes (the cache has its own tests, ops.test.ts).
    h = await startHarness({ READY_CACHE_MS: '0' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('GET /healthz answers 200 without a key', async () => {
    const res = await request(h.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz reports the registry reachable, then 503 when it is down', async () => {
    const up = await request(h.app).get('/readyz');
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ status: 'ready', checks: { upstream: 'ok' } });
    h.registry.state.setFaults({ mode: 'down' });
    try {
      const down = await request(h.app).get('/readyz');
      expect(down.status).toBe(503);
      expect(down.body.checks).toEqual({ upstream: 'failing' });
    } finally {
      h.registry.state.reset();
    }
  });

  it('GET /metrics is Prometheus text that parses, with every metric the README lists', async () => {
    await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', 'm-1')
      .send(hospital());
    await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', 'm-1')
      .send(hospital());
    await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', 'm-1')
      .send(hospital({ name: 'Other' }));
    const res = await request(h.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const sample =
      /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?([0-9.e+-]+|NaN|\+Inf|-Inf)$/;
    const lines = res.text.split('\n').filter((l) => l !== '');
    for (const line of lines) {
      if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      expect(line).toMatch(sample);
    }
    const names = new Set(lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
    for (const name of [
      'hospital_demo_breaker_state',
      'hospital_demo_breaker_transitions_total',
      'hospital_demo_retries_total',
      'hospital_demo_rate_limit_rejections_total',
      'hospital_demo_idempotency_total',
      'hospital_demo_upstream_calls_total',
      'hospital_demo_http_request_duration_seconds',
    ]) {
      expect(names).toContain(name);
    }
    expect(res.text).toContain(
      'hospital_demo_breaker_state{breaker="hospital-api.create",state="closed",worker="main"} 1',
    );
    expect(res.text).toContain(
      'hospital_demo_idempotency_total{outcome="replayed",worker="main"} 1',
    );
    expect(res.text).toContain(
      'hospital_demo_idempotency_total{outcome="mismatch",worker="main"} 1',
    );
    expect(res.text).toMatch(
      /hospital_demo_http_request_duration_seconds_count\{worker="main",method="POST",route="\/hospitals\/",status="201"\} 2/,
    );
  });

  it('GET /status serves an HTML page whose CSP allows no inline script, and its script and styles', async () => {
    const page = await request(h.app).get('/status');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.text).toContain('<script src="/status.js" defer></script>');
    expect(page.text).not.toMatch(/<script>(?!<\/script>)/);
    const js = await request(h.app).get('/status.js');
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.text).toContain("fetch('/status.json'");
    const css = await request(h.app).get('/status.css');
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('GET /status.json lists every breaker, the limits and recent retries', async () => {
    const res = await request(h.app).get('/status.json');
    expect(res.status).toBe(200);
    expect(res.body.breakers.map((b: { name: string }) => b.name)).toEqual([
      'hospital-api.create',
      'hospital-api.activate',
      'hospital-api.get',
      'hospital-api.delete',
    ]);
    expect(res.body.breakers[0]).toMatchObject({
      state: 'closed',
      storage: 'memory',
      failureThreshold: 2,
    });
    expect(res.body.outbound).toMatchObject({ limit: 1000, windowMs: 1000 });
    expect(res.body.retries).toEqual({ total: expect.any(Number), recent: expect.any(Array) });
  });

  it('writes one access-log line per request with route and status, never the query string', async () => {
    const before = h.logs.length;
    await request(h.app)
      .get(`/hospitals/hosp_00000000-0000-0000-0000-000000000000?ssn=123-45-6789`)
      .set(auth(ALICE));
    const lines = h.logs.slice(before).filter((l) => l.message === 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: 'GET', status: 404, route: '/hospitals/:id' });
    expect(JSON.stringify(lines)).not.toContain('123-45-6789');
  });
});
