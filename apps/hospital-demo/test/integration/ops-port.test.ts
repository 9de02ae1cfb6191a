import type { ChildProcess } from 'node:child_process';
import { freePort, waitFor } from '@resil/testkit';
import { type RunningRegistry, startRegistry } from '../../src/registry/server';
import { ADMIN, ALICE, spawnServer } from '../helpers';

/** OPS_PORT with src/server.ts as a real process: the operator endpoints on their own listener. */
describe('OPS_PORT (src/server.ts, one process)', () => {
  // each test starts a process whose ready line alone may take up to 30 s (start() below): more
  // than Jest's default 30 s per test
  jest.setTimeout(90_000);
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ rateLimitPerSecond: 10_000 });
  });
  afterAll(async () => {
    await registry.close();
  });

  async function start(env: Record<string, string>) {
    let output = '';
    const child = spawnServer(
      {
        UPSTREAM_URL: registry.url,
        API_KEYS: `alice:${ALICE}`,
        ADMIN_API_KEY: ADMIN,
        REDIS_URL: '',
        WORKERS: '1',
        ...env,
      },
      (text) => {
        output += text;
      },
    );
    await waitFor(() => output.includes('hospital-demo ready') || child.exitCode !== null, {
      timeoutMs: 30_000,
    });
    return { child, output: () => output };
  }
  async function stop(child: ChildProcess) {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  it('serves /readyz, /metrics and /status on OPS_HOST:OPS_PORT only; the public port keeps the API and /healthz', async () => {
    const port = await freePort();
    const opsPort = await freePort();
    const { child, output } = await start({ PORT: String(port), OPS_PORT: String(opsPort) });
    try {
      const pub = `http://127.0.0.1:${port}`;
      const ops = `http://127.0.0.1:${opsPort}`;
      for (const p of ['/readyz', '/metrics', '/status', '/status.json']) {
        expect((await fetch(`${pub}${p}`)).status).toBe(404);
        expect((await fetch(`${ops}${p}`)).status).toBe(200);
      }
      expect((await fetch(`${pub}/healthz`)).status).toBe(200);
      expect((await fetch(`${ops}/healthz`)).status).toBe(200);
      const api = await fetch(`${pub}/hospitals`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ALICE}`,
          'idempotency-key': 'ops-port-1',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'General', address: '1 Main Street' }),
      });
      expect(api.status).toBe(201);
      expect((await fetch(`${ops}/hospitals/x`)).status).toBe(404);
      expect(output()).toContain(`status page      ${ops}/status`);
      expect(output()).not.toContain('operator endpoints (/readyz, /metrics, /status) are served');
    } finally {
      await stop(child);
    }
    expect(child.exitCode).toBe(0);
  });

  it('warns at start when the public port is not loopback and OPS_PORT is unset', async () => {
    const port = await freePort();
    const { child, output } = await start({ PORT: String(port), HOST: '0.0.0.0' });
    try {
      // The logger writes asynchronously: wait for the line rather than assume it came first.
      await waitFor(() => output().includes('"message":"operator endpoints'), {
        timeoutMs: 10_000,
      });
      const warning = output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => String(l.message).startsWith('operator endpoints'));
      expect(warning).toMatchObject({ level: 'warn' });
      expect(output()).toContain('set OPS_PORT to move them off it');
    } finally {
      await stop(child);
    }
  });
});
