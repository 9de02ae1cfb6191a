import request from 'supertest';
import type { HandlerInput } from '../../src/app';
import { ALICE, type Harness, startHarness } from '../helpers';

/** A key with the characters a sanitiser would rewrite: it must reach the check as sent. */
const ODD = `odd-key<b>"quoted"&0123456789`;

describe('POST /session (login-like: skipSuccessfulRequests, field exclusion)', () => {
  let h: Harness;
  const inputs: HandlerInput[] = [];
  beforeEach(async () => {
    inputs.length = 0;
    h = await startHarness(
      { API_KEYS: `alice:${ALICE},odd:${ODD}` },
      {},
      { onInput: (i) => inputs.push(i) },
    );
  });
  afterEach(async () => {
    await h.close();
  });
  const login = (body: object) => request(h.app).post('/session').send(body);

  it('keeps apiKey as sent (< and " intact) while the other fields are still cleaned', async () => {
    const res = await login({ apiKey: ODD, device: '<script>alert("x")</script>phone' });
    expect(res.status).toBe(204);
    const body = inputs[0]?.body as Record<string, string>;
    expect(inputs[0]?.route).toBe('POST /session');
    expect(body.apiKey).toBe(ODD);
    expect(body.device).not.toContain('<script');
    expect(body.device).toContain('phone');
  });

  it('answers 401 problem+json to a wrong key, without echoing it', async () => {
    const res = await login({ apiKey: 'wrong-key-0123456789abcdef' });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.text).not.toContain('wrong-key');
    expect((await login({})).status).toBe(401);
    expect((await login({ apiKey: 42 })).status).toBe(401);
  });

  it('counts only failures: 10 successes pass, then 5 failures, then the 6th attempt is 429', async () => {
    for (let i = 0; i < 10; i++) expect((await login({ apiKey: ALICE })).status).toBe(204);
    for (let i = 0; i < 5; i++) expect((await login({ apiKey: 'nope' })).status).toBe(401);
    const sixth = await login({ apiKey: ALICE });
    expect(sixth.status).toBe(429);
    expect(sixth.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(sixth.headers['retry-after']).toBeDefined();
  });
});
