import request from 'supertest';
import { ADMIN, ALICE, auth, type Harness, hospital, startHarness } from '../helpers';
import { type Family, parsePrometheusText } from '../prom-text';

/**
 * The OpenTelemetry side of the operator endpoints: /metrics carries the packages' instruments
 * (in one exposition with the app's own), and /traces/:requestId the spans of one request.
 */
describe('telemetry: OpenTelemetry metrics at /metrics, traces at /traces/:requestId', () => {
  let h: Harness;
  beforeAll(async () => {
    // A low inbound limit, so that the test can meet it.
    h = await startHarness({ INBOUND_RATE_LIMIT: '8', INBOUND_WINDOW_MS: '60000' });
  });
  afterAll(async () => {
    await h.close();
  });

  /** What every layer sees: a create (executed), a retried create, a replay, a 429. */
  const traffic = async () => {
    const first = await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', 'otel-1')
      .send(hospital());
    expect(first.status).toBe(201);
    h.registry.state.setFaults({ failNext: 1 });
    const retried = await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', 'otel-2')
      .set('X-Request-Id', 'otel-retried')
      .send(hospital({ name: 'Retried' }));
    expect(retried.status).toBe(201);
    const replay = await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', 'otel-1')
      .set('X-Request-Id', 'otel-replay')
      .send(hospital());
    expect(replay.headers['idempotent-replayed']).toBe('true');
    let status = 0;
    for (let i = 0; i < 20 && status !== 429; i++) {
      status = (
        await request(h.app).get('/hospitals/nope').set(auth(ALICE)).set('X-Request-Id', 'otel-429')
      ).status;
    }
    expect(status).toBe(429);
  };

  const eventsBy = (f: Family | undefined, strategy: string) =>
    new Set(
      (f?.samples ?? [])
        .filter((s) => s.labels.strategy_name === strategy)
        .map((s) => s.labels.event_name),
    );

  it('GET /metrics is one exposition with the instruments of every layer after traffic', async () => {
    await traffic();
    const res = await request(h.app).get('/metrics');
    expect(res.status).toBe(200);
    const families = parsePrometheusText(res.text); // throws on a repeated HELP/TYPE
    expect(families.get('hospital_demo_http_request_duration_seconds')?.type).toBe('histogram');
    const events = families.get('resilience_strategy_events_total');
    expect(events?.type).toBe('counter');
    expect(eventsBy(events, 'breaker')).toContain('call-succeeded');
    expect(eventsBy(events, 'retry')).toContain('retry');
    expect(eventsBy(events, 'idempotency')).toEqual(new Set(['executed', 'replayed']));
    expect([...eventsBy(events, 'ratelimit')]).toEqual(
      expect.arrayContaining(['granted', 'allowed', 'limited']),
    );
    for (const s of events?.samples ?? []) {
      // names, codes and numbers only: no key, id or body reaches a label
      expect(JSON.stringify(s.labels)).not.toMatch(/otel-1|otel-2|St Mary|nope/);
    }
    const attempts = families.get('resilience_strategy_attempt_duration');
    expect(attempts?.type).toBe('histogram');
    expect(attempts?.samples.some((s) => s.labels.strategy_name === 'retry')).toBe(true);
    expect(families.get('resilience_pipeline_duration')?.type).toBe('histogram');
  });

  it('GET /traces/:requestId shows the spans of one request: the retry, its resend count, the layers’ events', async () => {
    const res = await request(h.app).get('/traces/otel-retried');
    expect(res.status).toBe(200);
    const spans = res.body.spans as Array<{
      name: string;
      spanId: string;
      parentSpanId?: string;
      status: string;
      attributes: Record<string, unknown>;
      events: Array<{ name: string; attributes: Record<string, unknown> }>;
    }>;
    const server = spans.find((s) => s.name === 'POST /hospitals/');
    expect(server?.attributes).toMatchObject({
      'http.response.status_code': 201,
      'demo.request_id': 'otel-retried',
    });
    const create = spans.find((s) => s.name === 'hospital-api.create');
    expect(create?.parentSpanId).toBe(server?.spanId);
    expect(create?.attributes['http.request.resend_count']).toBe(1);
    expect(create?.events.map((e) => e.name)).toContain('retry');
    const attempts = spans.filter((s) => s.parentSpanId === create?.spanId);
    expect(
      attempts.map((s) => [s.name, s.status, s.attributes['http.response.status_code']]),
    ).toEqual([
      ['POST create', 'error', 503],
      ['POST create', 'unset', 201],
    ]);
    expect(attempts[0]?.events.map((e) => e.name)).toContain('granted');
    expect(server?.events.map((e) => e.name)).toEqual(
      expect.arrayContaining(['allowed', 'executed']),
    );
    expect(spans.some((s) => s.name === 'hospital-api.activate')).toBe(true);
    expect(JSON.stringify(res.body)).not.toMatch(/otel-2|Retried|hosp_/);
  });

  it('a replay, a 429 and a call refused by an open circuit each show the decision in their trace', async () => {
    type Trace = { spans: Array<{ name: string; events: Array<{ name: string }> }> };
    const spansOf = async (id: string) =>
      ((await request(h.app).get(`/traces/${id}`)).body as Trace).spans;
    const eventsOf = (spans: Trace['spans'], name: string) =>
      spans.find((s) => s.name === name)?.events.map((e) => e.name);

    const replay = await spansOf('otel-replay');
    expect(eventsOf(replay, 'POST /hospitals/')).toContain('replayed');
    expect(replay.some((s) => s.name.startsWith('hospital-api.'))).toBe(false);

    expect(eventsOf(await spansOf('otel-429'), 'GET unmatched')).toContain('limited');

    // The inbound limit is spent here: a second app (same process, same tracer) for the circuit.
    const other = await startHarness();
    try {
      const opened = await request(other.app)
        .post('/admin/breakers/hospital-api.create/open')
        .set(auth(ADMIN));
      expect(opened.status).toBe(200);
      const refused = await request(other.app)
        .post('/hospitals')
        .set(auth(ALICE))
        .set('Idempotency-Key', 'otel-3')
        .set('X-Request-Id', 'otel-open')
        .send(hospital());
      expect(refused.status).toBe(503);
      const trace = (await request(other.app).get('/traces/otel-open')).body as Trace;
      expect(eventsOf(trace.spans, 'hospital-api.create')).toContain('call-rejected');
      expect(trace.spans.some((sp) => sp.name === 'POST create')).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('GET /traces/:requestId answers 404 for a request it does not know', async () => {
    const res = await request(h.app).get('/traces/never-seen');
    expect(res.status).toBe(404);
  });
});
