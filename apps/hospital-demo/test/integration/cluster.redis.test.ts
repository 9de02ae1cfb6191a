import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { freePort, useRedis, waitFor } from '@resil/testkit';
import { type RunningRegistry, startRegistry } from '../../src/registry/server';
import { ADMIN, ALICE, spawnServer } from '../helpers';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** One request on a fresh connection, so that node:cluster hands it to the next worker. */
function call(
  url: string,
  method = 'GET',
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: {
          connection: 'close',
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('WORKERS=2 with Redis (node:cluster, real processes)', () => {
  const r = useRedis('hospital-demo-cluster');
  let registry: RunningRegistry;
  let child: ChildProcess;
  let base: string;
  let output = '';

  beforeAll(async () => {
    registry = await startRegistry({ rateLimitPerSecond: 100_000 });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawnServer(
      {
        PORT: String(port),
        WORKERS: '2',
        REDIS_URL: r.url,
        KEY_PREFIX: r.prefix,
        UPSTREAM_URL: registry.url,
        API_KEYS: `alice:${ALICE}`,
        ADMIN_API_KEY: ADMIN,
        BREAKER_FAILURE_THRESHOLD: '3',
        BREAKER_RESET_TIMEOUT_MS: '120000',
        RETRY_MAX_ATTEMPTS: '1',
        LOG_LEVEL: 'warn',
      },
      (text) => {
        output += text;
      },
    );
    // Two workers each load tsx, the packages and OpenTelemetry: at a load average of 10 on two
    // cores that has taken close to 30 s, so the hook allows twice the wait.
    await waitFor(() => output.includes('hospital-demo ready (2 workers'), {
      timeoutMs: 60_000,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${output}`);
    });
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await registry?.close();
  });

  const create = (key: string) =>
    call(
      `${base}/hospitals`,
      'POST',
      { name: 'General', address: '1 Main Street' },
      {
        authorization: `Bearer ${ALICE}`,
        'idempotency-key': key,
      },
    );

  it('serves from both workers and replays an idempotent request across them', async () => {
    const first = await create('cluster-replay-1');
    const second = await create('cluster-replay-1'); // the other worker (round robin)
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(registry.state.counters.executed.create).toBe(1);
    // The record lives in Redis under this test's prefix, where every worker reads it.
    expect((await r.admin.keys(`${r.prefix}*`)).length).toBeGreaterThan(0);
  });

  it('a failing registry opens the create breaker for both workers together: 3 failures in all, not 3 per worker', async () => {
    registry.state.reset({ counters: true });
    registry.state.setFaults({ errorRate: 1, errorStatus: 503 });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await create(`cluster-fail-${i}`)).status);

    // Threshold 3, one attempt per call: the first 3 calls reach the registry (whichever worker
    // served them), every later call fails fast on either worker.
    expect(statuses).toEqual([502, 502, 502, 503, 503, 503, 503, 503, 503, 503]);
    expect(registry.state.counters.received.create).toBe(3);

    // Both workers report the shared circuit as open.
    const seen = new Map<string, string>();
    await waitFor(async () => {
      const s = await call(`${base}/status.json`);
      const b = (s.body.breakers as Array<{ name: string; state: string }>).find(
        (x) => x.name === 'hospital-api.create',
      );
      seen.set(String(s.body.worker), String(b?.state));
      return seen.size === 2;
    });
    expect([...seen.values()]).toEqual(['open', 'open']);
    expect(output).toContain(
      '"message":"circuit breaker hospital-api.create state changed to open"',
    );
  });
});
