import { waitFor } from '@resil/testkit';
import request from 'supertest';
import { ADMIN, ALICE, auth, type Harness, hospital, newKey } from './helpers';

/**
 * Traffic that makes every layer report every outcome the dashboard and the alert rules query:
 * executed, replayed and conflicting idempotent requests, a retry, a breaker opening and
 * rejecting, and an inbound 429 (a harness started with TRAFFIC_ENV). The outbound refusal
 * needs a limiter with no token left: `refuseOutbound` on a harness started with REFUSING_ENV.
 */
export const TRAFFIC_ENV = { INBOUND_RATE_LIMIT: '20', INBOUND_WINDOW_MS: '60000' };
export const REFUSING_ENV = {
  OUTBOUND_RATE_LIMIT: '1',
  OUTBOUND_WINDOW_MS: '600000',
  OUTBOUND_MAX_WAIT_MS: '0',
};

/** The create takes the only token; its activate finds none and is refused at once. */
export async function refuseOutbound(h: Harness): Promise<void> {
  await create(h);
}

const create = (h: Harness, key = newKey()) =>
  request(h.app).post('/hospitals').set(auth(ALICE)).set('Idempotency-Key', key).send(hospital());

export async function exerciseEveryFamily(h: Harness): Promise<void> {
  const key = newKey();
  await create(h, key).expect(201); // executed
  await create(h, key).expect(201); // replayed
  h.registry.state.setFaults({ failNext: 1 });
  await create(h).expect(201); // one retry

  // conflict: the same key while the first is hanging at the registry
  h.registry.state.setFaults({ mode: 'hang', endpoints: ['create'] });
  const hung = newKey();
  const first = create(h, hung).then((r) => r);
  await waitFor(() => h.registry.state.counters.hung >= 1);
  await create(h, hung).expect(409);
  h.registry.state.reset();
  await first;

  // the create breaker opens (threshold 2), then rejects
  h.registry.state.setFaults({ errorRate: 1, errorStatus: 503 });
  for (let i = 0; i < 2; i++) await create(h).expect(502);
  await create(h).expect(503);
  h.registry.state.reset();
  await request(h.app)
    .post('/admin/breakers/hospital-api.create/close')
    .set(auth(ADMIN))
    .expect(200);

  // outbound refusals (no wait allowed), then inbound 429s
  const seen = () =>
    request(h.app)
      .get('/metrics')
      .then((r) => r.text);
  for (let i = 0; i < 10 && !(await seen()).includes('direction="outbound"'); i++) {
    await Promise.all(Array.from({ length: 10 }, () => create(h)));
  }
  for (let i = 0; i < 60 && (await create(h)).status !== 429; i++);
}
