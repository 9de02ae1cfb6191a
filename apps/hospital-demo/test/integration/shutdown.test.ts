import { freePort, waitFor } from '@resil/testkit';
import { startRegistry } from '../../src/registry/server';
import { ADMIN, ALICE, spawnServer } from '../helpers';

describe('graceful shutdown (src/server.ts, one process)', () => {
  it('on SIGTERM stops accepting, finishes the request in flight, and exits 0', async () => {
    const registry = await startRegistry({ rateLimitPerSecond: 10_000 });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let output = '';
    const child = spawnServer(
      {
        PORT: String(port),
        UPSTREAM_URL: registry.url,
        API_KEYS: `alice:${ALICE}`,
        ADMIN_API_KEY: ADMIN,
        REDIS_URL: '',
        WORKERS: '1',
        UPSTREAM_TIMEOUT_MS: '500',
      },
      (text) => {
        output += text;
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    try {
      await waitFor(() => output.includes('hospital-demo ready'), { timeoutMs: 30_000 });
      // The registry holds every call until we let it go.
      registry.state.setFaults({ mode: 'hang' });
      const inFlight = fetch(`${base}/hospitals`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ALICE}`,
          'idempotency-key': 'shutdown-1',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'General', address: '1 Main Street' }),
      });
      // another process's request and log line: room for a loaded machine, not the 5 s default
      await waitFor(() => registry.state.counters.hung === 1, { timeoutMs: 15_000 });
      child.kill('SIGTERM');
      await waitFor(() => output.includes('"message":"shutting down"'), { timeoutMs: 15_000 });
      await expect(fetch(`${base}/healthz`)).rejects.toThrow(); // no longer accepting
      registry.state.setFaults({ mode: 'normal', failNext: 0 });
      // The hung attempt times out (UPSTREAM_TIMEOUT_MS), the retry succeeds: the client gets its answer.
      const res = await inFlight;
      expect(res.status).toBe(201);
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await registry.close();
    }
    // starts a process (its ready line alone may take up to 30 s): more than Jest's default 30 s
  }, 90_000);
});
