import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort, redisUrl, repoRoot, uniquePrefix, waitFor } from '@resil/testkit';

const TSX = ['--conditions=@resil/source', '--import', 'tsx'];

// With 2 workers on Redis too, as the README runs it: each worker keeps its own traces, and the
// tour's trace step has to find the one that served the request.
describe.each([
  { workers: 1, redis: false },
  { workers: 2, redis: true },
])(
  'npm run demo:tour against a running demo (WORKERS=$workers, Redis: $redis; in-process registry)',
  ({ workers, redis }) => {
    let server: ChildProcess;
    let output = '';
    let serviceUrl: string;
    let opsUrl: string;

    beforeAll(async () => {
      const port = await freePort();
      serviceUrl = `http://127.0.0.1:${port}`;
      // The operator endpoints on their own port: the tour finds them through the session file.
      const opsPort = await freePort();
      opsUrl = `http://127.0.0.1:${opsPort}`;
      server = spawn(process.execPath, [...TSX, path.join(__dirname, '../../src/server.ts')], {
        cwd: repoRoot(),
        env: {
          ...process.env,
          PORT: String(port),
          OPS_PORT: String(opsPort),
          REGISTRY_PORT: String(await freePort()),
          REGISTRY_CONTROL_PORT: String(await freePort()),
          REDIS_URL: redis ? redisUrl() : '',
          KEY_PREFIX: uniquePrefix('demo-tour')
            .replace(/[^A-Za-z0-9._:-]/g, '-')
            .slice(0, 60),
          WORKERS: String(workers),
          API_KEYS: '',
          ADMIN_API_KEY: '',
          BREAKER_RESET_TIMEOUT_MS: '500',
          RETRY_MIN_DELAY_MS: '5',
          RETRY_MAX_DELAY_MS: '20',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.stdout?.on('data', (d: Buffer) => {
        output += d.toString();
      });
      server.stderr?.on('data', (d: Buffer) => {
        output += d.toString();
      });
      await waitFor(() => output.includes('hospital-demo ready'), { timeoutMs: 60_000 });
    }, 90_000);

    afterAll(async () => {
      if (server && server.exitCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
    });

    it('prints a curl line with the generated key that creates a hospital', async () => {
      const key = /API key {10}(dev_[A-Za-z0-9_-]+)/.exec(output)?.[1];
      expect(key).toBeDefined();
      expect(output).toContain(
        `curl -i -X POST ${serviceUrl}/hospitals -H 'Authorization: Bearer ${key}'`,
      );
      const res = await fetch(`${serviceUrl}/hospitals`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'idempotency-key': 'tour-curl',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'St Mary', address: '1 Main Street' }),
      });
      expect(res.status).toBe(201);
    });

    it('walks every step and every expectation holds (exit code 0)', async () => {
      const tour = spawn(process.execPath, [...TSX, path.join(__dirname, '../../src/tour.ts')], {
        cwd: repoRoot(),
        env: { ...process.env, SERVICE_URL: serviceUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      tour.stdout?.on('data', (d: Buffer) => {
        text += d.toString();
      });
      tour.stderr?.on('data', (d: Buffer) => {
        text += d.toString();
      });
      const code = await new Promise<number | null>((resolve) => tour.once('exit', resolve));
      expect(text).toContain('Every step behaved as expected.');
      expect(text).not.toContain('✗');
      expect((text.match(/✓/g) ?? []).length).toBe(14);
      // step 3 prints the trace of one request: the retried create and its two attempts
      expect(text).toMatch(/hospital-api\.create .*http\.request\.resend_count=1/);
      expect(text).toMatch(/POST create {2}503 {2}error/);
      expect(text).toContain('· retry (retry)');
      expect(text).toContain(`status: ${opsUrl}/status`);
      // every step says what to watch on the page
      expect((text.match(/watch \/status: /g) ?? []).length).toBe(7);
      // step 7: the lowered threshold, as /status.json shows it (breaker.configure)
      expect(text).toMatch(/PUT answered 200; \/status\.json shows failureThreshold 2 \(was 5\)/);
      expect(text).toContain('watch /status: the hospital-api.create band turns red (open)');
      expect(code).toBe(0);
    }, 120_000);
  },
);
