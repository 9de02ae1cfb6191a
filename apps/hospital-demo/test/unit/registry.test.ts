import request from 'supertest';
import { OWNER_HEADER } from '../../src/registry/protocol';
import { createRegistry } from '../../src/registry/registry';
import { startRegistry } from '../../src/registry/server';

const body = { name: 'General', address: '1 Main Street' };

describe('mock registry', () => {
  it('creates pending, activates, reads and deletes', async () => {
    const { api } = createRegistry();
    const created = await request(api).post('/v1/hospitals').send(body).expect(201);
    expect(created.body).toMatchObject({
      ...body,
      status: 'pending',
      id: expect.stringMatching(/^hosp_/),
    });
    const active = await request(api).post(`/v1/hospitals/${created.body.id}/activate`).expect(200);
    expect(active.body.status).toBe('active');
    await request(api).get(`/v1/hospitals/${created.body.id}`).expect(200);
    await request(api).delete(`/v1/hospitals/${created.body.id}`).expect(204);
    await request(api).get(`/v1/hospitals/${created.body.id}`).expect(404);
  });

  it('honours Idempotency-Key: a repeat replays, another payload is 422', async () => {
    const { api, state } = createRegistry();
    const a = await request(api).post('/v1/hospitals').set('Idempotency-Key', 'k').send(body);
    const b = await request(api).post('/v1/hospitals').set('Idempotency-Key', 'k').send(body);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers['idempotent-replayed']).toBe('true');
    await request(api)
      .post('/v1/hospitals')
      .set('Idempotency-Key', 'k')
      .send({ ...body, name: 'x' })
      .expect(422);
    expect(state.counters).toMatchObject({
      replayed: 1,
      executed: { create: 1 },
      received: { create: 3 },
    });
  });

  it('enforces its own rate: beyond it 429 with Retry-After', async () => {
    let now = 1_000_000;
    const { api, state } = createRegistry({ rateLimitPerSecond: 2, now: () => now });
    await request(api).get('/v1/hospitals/x').expect(404);
    await request(api).get('/v1/hospitals/x').expect(404);
    const limited = await request(api).get('/v1/hospitals/x').expect(429);
    expect(limited.headers['retry-after']).toBe('1');
    now += 500; // one token back
    await request(api).get('/v1/hospitals/x').expect(404);
    expect(state.counters.rateLimited).toBe(1);
  });

  it('injects errors by rate and status, on chosen endpoints only', async () => {
    const { api, state } = createRegistry({
      faults: { errorRate: 1, errorStatus: 502, endpoints: ['create'] },
    });
    await request(api).post('/v1/hospitals').send(body).expect(502);
    await request(api).get('/v1/hospitals/x').expect(404);
    expect(state.counters.faulted).toBe(1);
    expect(state.counters.executed.create).toBe(0);
  });

  it('the control endpoint sets faults, validates them and reports counters', async () => {
    const { api, control } = createRegistry();
    await request(control)
      .put('/faults')
      .send({ failNext: 1, errorStatus: 503, retryAfterSeconds: 2 })
      .expect(200);
    const failed = await request(api).post('/v1/hospitals').send(body).expect(503);
    expect(failed.headers['retry-after']).toBe('2');
    await request(api).post('/v1/hospitals').send(body).expect(201);
    const bad = await request(control)
      .put('/faults')
      .send({ errorRate: 3, mode: 'sideways' })
      .expect(400);
    expect(bad.body.detail).toContain('errorRate');
    expect(bad.body.detail).toContain('mode');
    const counters = await request(control).get('/counters').expect(200);
    expect(counters.body).toMatchObject({ faulted: 1, executed: { create: 1 }, hospitals: 1 });
  });

  it('"down" refuses connections on the API port while the control port answers; back to normal reopens', async () => {
    const reg = await startRegistry({ faults: { mode: 'down' } });
    try {
      await expect(fetch(`${reg.url}/v1/hospitals/x`)).rejects.toMatchObject({
        cause: { code: 'ECONNREFUSED' },
      });
      const put = await fetch(`${reg.controlUrl}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'normal' }),
      });
      expect(put.status).toBe(200);
      const res = await fetch(`${reg.url}/v1/hospitals/x`);
      expect(res.status).toBe(404);
    } finally {
      await reg.close();
    }
  });

  it('latency delays the answer without failing it', async () => {
    const { api, state } = createRegistry({ faults: { latencyMs: 20 } });
    await request(api).get('/v1/hospitals/x').expect(404);
    expect(state.counters.received.get).toBe(1);
  });

  it('stores the owner at create and answers 404 to any other owner, or none, on activate, get and delete', async () => {
    const { api, state } = createRegistry();
    const as = (owner?: string) => (r: request.Test) => (owner ? r.set(OWNER_HEADER, owner) : r);
    const alice = as('alice');
    const bob = as('bob');
    const created = await alice(request(api).post('/v1/hospitals').send(body)).expect(201);
    const id = created.body.id as string;
    expect(state.hospitals.get(id)?.owner).toBe('alice');
    for (const other of [bob, as(undefined)]) {
      await other(request(api).post(`/v1/hospitals/${id}/activate`)).expect(404);
      await other(request(api).get(`/v1/hospitals/${id}`)).expect(404);
      await other(request(api).delete(`/v1/hospitals/${id}`)).expect(404);
    }
    expect(state.hospitals.get(id)?.status).toBe('pending');
    expect(state.counters.executed).toMatchObject({ activate: 0, get: 0, delete: 0 });
    await alice(request(api).post(`/v1/hospitals/${id}/activate`)).expect(200);
    const got = await alice(request(api).get(`/v1/hospitals/${id}`)).expect(200);
    expect(got.body).toMatchObject({ id, owner: 'alice', status: 'active' });
    await alice(request(api).delete(`/v1/hospitals/${id}`)).expect(204);
    expect(state.hospitals.has(id)).toBe(false);
  });

  it('shows a hospital created without an owner to no owner', async () => {
    const { api } = createRegistry();
    const created = await request(api).post('/v1/hospitals').send(body).expect(201);
    await request(api)
      .get(`/v1/hospitals/${created.body.id}`)
      .set(OWNER_HEADER, 'alice')
      .expect(404);
  });

  it('scopes its Idempotency-Key by owner: the same key from two owners creates two hospitals', async () => {
    const { api } = createRegistry();
    const a = await request(api)
      .post('/v1/hospitals')
      .set(OWNER_HEADER, 'alice')
      .set('Idempotency-Key', 'same')
      .send(body)
      .expect(201);
    const b = await request(api)
      .post('/v1/hospitals')
      .set(OWNER_HEADER, 'bob')
      .set('Idempotency-Key', 'same')
      .send(body)
      .expect(201);
    expect(b.body.id).not.toBe(a.body.id);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
  });

  it('counts a request outside /v1/hospitals as a probe, against its rate limit', async () => {
    const { api, state } = createRegistry({ rateLimitPerSecond: 2, now: () => 0 });
    await request(api).head('/').expect(404);
    await request(api).head('/').expect(404);
    await request(api).head('/').expect(429);
    expect(state.counters.probes).toBe(3);
    expect(state.counters.rateLimited).toBe(1);
    await request(api).post('/v1/hospitals').send(body).expect(429);
    expect(state.counters.probes).toBe(3);
  });
});
