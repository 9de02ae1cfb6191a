import request from 'supertest';
import { ADMIN, ALICE, auth, type Harness, startHarness } from '../helpers';

describe('PUT /admin/breakers/:name (breaker.configure, #19)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });
  const put = (body: unknown, key = ADMIN, name = 'hospital-api.create') => {
    const r = request(h.app).put(`/admin/breakers/${name}`);
    if (key) r.set(auth(key));
    return r.send(body as object);
  };
  const createBreaker = async () =>
    (await request(h.app).get('/status.json')).body.breakers.find(
      (b: { name: string }) => b.name === 'hospital-api.create',
    );

  it('lowers the threshold and the change shows in /status.json', async () => {
    expect(await createBreaker()).toMatchObject({ failureThreshold: 2, resetTimeoutMs: 60_000 });
    const res = await put({ failureThreshold: 1, resetTimeoutMs: 5_000 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'hospital-api.create', failureThreshold: 1 });
    expect(await createBreaker()).toMatchObject({ failureThreshold: 1, resetTimeoutMs: 5_000 });
  });

  it.each([
    [{ failureThreshold: 0 }],
    [{ failureThreshold: 1.5 }],
    [{ failureThreshold: '3' }],
    [{ resetTimeoutMs: 3_600_001 }],
    [{ halfOpenPermits: 2 }],
    [{}],
    [[1]],
  ])('refuses %j with 422 problem+json and changes nothing', async (body) => {
    const before = await createBreaker();
    const res = await put(body);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await createBreaker()).toMatchObject({
      failureThreshold: before.failureThreshold,
      resetTimeoutMs: before.resetTimeoutMs,
    });
  });

  it('needs the admin key: 401 without a key, 403 with a user key; 404 for an unknown breaker', async () => {
    const before = await createBreaker();
    const none = await put({ failureThreshold: 7 }, '');
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    const user = await put({ failureThreshold: 7 }, ALICE);
    expect(user.status).toBe(403);
    expect(user.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await put({ failureThreshold: 7 }, ADMIN, 'nope')).status).toBe(404);
    expect((await createBreaker()).failureThreshold).toBe(before.failureThreshold);
  });
});
