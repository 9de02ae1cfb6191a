import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@resil/testkit';
import { createHospitalApiClient } from '../../src/hospital-api-client';
import type { HospitalApiClient } from '../../src/hospital-api-types';
import { type CallContext, callContext, createRateLimiter, SafeLogger } from '../../src/resil';

/** A registry that never answers (mode hang) and records when each request's connection closes. */
async function hangingRegistry() {
  const seen: Array<{ closed: boolean }> = [];
  const server = http.createServer((req) => {
    const entry = { closed: false };
    seen.push(entry);
    req.socket.on('close', () => {
      entry.closed = true;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('outbound client: the call context reaches fetch (#19)', () => {
  let registry: Awaited<ReturnType<typeof hangingRegistry>>;
  const limiter = createRateLimiter({ name: 'abort-test', points: 1000, durationMs: 1000 });
  const client = (timeoutMs: number): HospitalApiClient =>
    createHospitalApiClient({
      baseUrl: registry.url,
      timeoutMs,
      limiter,
      limiterMaxWaitMs: 1000,
      breaker: { failureThreshold: 100, resetTimeoutMs: 60_000 },
      retry: { maxAttempts: 1, minDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0 },
      logger: new SafeLogger('abort-test', { level: 'error' }),
    });
  beforeEach(async () => {
    registry = await hangingRegistry();
  });
  afterEach(async () => {
    await registry.close();
  });
  afterAll(async () => {
    await limiter.close();
  });

  it('a hanging registry: timeout() aborts the attempt, the connection is closed, ETIMEDOUT', async () => {
    const c = client(1_000);
    const call = c.get('hosp_x', { owner: 'alice' });
    await waitFor(() => registry.seen.length === 1, { what: 'the request reached the registry' });
    await expect(call).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    // the registry sees the connection closed (the fetch was aborted, not left to hang)
    await waitFor(() => registry.seen[0]?.closed, { what: 'the hung connection closed' });
    await Promise.all(c.breakers.map((b) => b.close()));
  });

  it("the caller's abort closes the registry connection long before the time limit", async () => {
    const c = client(600_000);
    const ac = new AbortController();
    // the methods take a call context as an optional last argument (the breaker passes it on)
    const get = c.get as (id: string, o: { owner: string }, ctx: CallContext) => Promise<unknown>;
    const call = get.call(c, 'hosp_x', { owner: 'alice' }, callContext({ signal: ac.signal }));
    await waitFor(() => registry.seen.length === 1, { what: 'the request reached the registry' });
    ac.abort(new Error('caller gone'));
    await expect(call).rejects.toThrow('caller gone');
    await waitFor(() => registry.seen[0]?.closed, { what: 'the connection closed on abort' });
    await Promise.all(c.breakers.map((b) => b.close()));
  });
});
