import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { OWNER_HEADER } from '../../src/registry/protocol';
import { SafeLogger } from '../../src/resil';
import {
  ALICE,
  auth,
  BOB,
  FAST_ENV,
  type Harness,
  hospital,
  newKey,
  startHarness,
} from '../helpers';

/** Issue #23 finding 1: any API key could read and delete any other key's hospital. */
describe('tenancy: a hospital belongs to the API key owner that created it', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const createAs = async (key: string) => {
    const res = await request(h.app)
      .post('/hospitals')
      .set(auth(key))
      .set('Idempotency-Key', newKey())
      .send(hospital());
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const unknownId = 'hosp_00000000-0000-4000-8000-000000000000';

  it("answers 404 to another key's GET, exactly as for an id that does not exist", async () => {
    const id = await createAs(ALICE);
    const bob = await request(h.app).get(`/hospitals/${id}`).set(auth(BOB));
    const none = await request(h.app).get(`/hospitals/${unknownId}`).set(auth(BOB));
    expect(bob.status).toBe(404);
    expect(bob.headers['content-type']).toMatch(/^application\/problem\+json/);
    const { instance: _a, ...bobBody } = bob.body;
    const { instance: _b, ...noneBody } = none.body;
    expect(bobBody).toEqual(noneBody);
    expect(bob.text).not.toContain('St Mary');
    // The owner still reads it.
    const alice = await request(h.app).get(`/hospitals/${id}`).set(auth(ALICE));
    expect(alice.status).toBe(200);
    expect(alice.body).toMatchObject({ id, name: "St Mary's" });
    expect(alice.body).not.toHaveProperty('owner');
  });

  it("answers 404 to another key's DELETE and deletes nothing", async () => {
    const id = await createAs(ALICE);
    const bob = await request(h.app).delete(`/hospitals/${id}`).set(auth(BOB));
    expect(bob.status).toBe(404);
    expect(h.registry.state.hospitals.has(id)).toBe(true);
    const alice = await request(h.app).delete(`/hospitals/${id}`).set(auth(ALICE));
    expect(alice.status).toBe(204);
    expect(h.registry.state.hospitals.has(id)).toBe(false);
  });

  it('stores the owner with the hospital at the registry', async () => {
    const a = await createAs(ALICE);
    const b = await createAs(BOB);
    expect(h.registry.state.hospitals.get(a)?.owner).toBe('alice');
    expect(h.registry.state.hospitals.get(b)?.owner).toBe('bob');
  });
});

describe('tenancy: the service checks the owner of what the registry answers', () => {
  // A registry that ignores the owner header and answers every GET with a hospital of "bob".
  let upstream: http.Server;
  let url: string;
  beforeAll(async () => {
    const stub = express();
    stub.get('/v1/hospitals/:id', (req, res) => {
      res.json({
        id: req.params.id,
        name: 'Bob Clinic',
        address: '9 Elm Street',
        status: 'active',
        owner: 'bob',
        askedFor: req.get(OWNER_HEADER),
      });
    });
    upstream = http.createServer(stub);
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      upstream.close(() => resolve());
      upstream.closeAllConnections();
    });
  });

  it("answers 404 when a registry returns another owner's hospital", async () => {
    const app = createApp({
      config: loadConfig(FAST_ENV),
      upstreamUrl: url,
      logger: new SafeLogger('tenancy-test', { level: 'error' }),
    });
    try {
      const id = 'hosp_00000000-0000-4000-8000-000000000001';
      const alice = await request(app).get(`/hospitals/${id}`).set(auth(ALICE));
      expect(alice.status).toBe(404);
      expect(alice.text).not.toContain('Bob Clinic');
      const bob = await request(app).get(`/hospitals/${id}`).set(auth(BOB));
      expect(bob.status).toBe(200);
      expect(bob.body.name).toBe('Bob Clinic');
    } finally {
      await app.close();
    }
  });
});
