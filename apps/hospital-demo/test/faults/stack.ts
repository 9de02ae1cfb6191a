import { type ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { freePort, type RedisServer, startRedisServer, waitFor } from '@resil/testkit';
import { type RunningRegistry, startRegistry } from '../../src/registry/server';
import { spawnServer } from '../helpers';

export const CLIENT_KEY = 'fault-client-key-0123456789abcdef';
export const ADMIN_KEY = 'fault-admin-key-0123456789abcdef';

/** Settings of the service under test: short timeouts so that a scenario takes seconds. */
export const SERVICE_ENV = {
  WORKERS: '2',
  BREAKER_FAILURE_THRESHOLD: '5',
  BREAKER_RESET_TIMEOUT_MS: '1500',
  RETRY_MAX_ATTEMPTS: '3',
  RETRY_MIN_DELAY_MS: '50',
  RETRY_MAX_DELAY_MS: '300',
  RETRY_MAX_RETRY_AFTER_MS: '2000',
  UPSTREAM_TIMEOUT_MS: '800',
  OUTBOUND_RATE_LIMIT: '400',
  OUTBOUND_WINDOW_MS: '1000',
  OUTBOUND_MAX_WAIT_MS: '2000',
  INBOUND_RATE_LIMIT: '1000000',
  INBOUND_WINDOW_MS: '60000',
  SHUTDOWN_TIMEOUT_MS: '2000',
  IDEMPOTENCY_LEASE_MS: '5000',
  LOG_LEVEL: 'warn',
} as const;

/**
 * The system under test, as real processes: a private redis-server (so the suite may stop, pause
 * and restart it), the mock registry (in this process, so its state can be read directly), and
 * the demo with node:cluster and 2 workers sharing state through that Redis.
 */
export class Stack {
  redis!: RedisServer;
  registry!: RunningRegistry;
  service!: ChildProcess;
  base = '';
  output = '';
  #port = 0;

  async start(): Promise<void> {
    this.redis = await startRedisServer();
    this.registry = await startRegistry({ rateLimitPerSecond: 100_000 });
    this.#port = await freePort();
    this.base = `http://127.0.0.1:${this.#port}`;
    this.service = spawnServer(
      {
        ...SERVICE_ENV,
        PORT: String(this.#port),
        REDIS_URL: this.redis.url,
        UPSTREAM_URL: this.registry.url,
        API_KEYS: `faults:${CLIENT_KEY}`,
        ADMIN_API_KEY: ADMIN_KEY,
      },
      (text) => {
        this.output += text;
      },
    );
    await waitFor(() => this.output.includes('hospital-demo ready (2 workers'), {
      timeoutMs: 60_000,
      what: 'the demo to start with 2 workers',
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.output}`);
    });
  }

  /** PIDs of the service's cluster workers (children running server.ts, not tsx's esbuild). */
  workerPids(): number[] {
    const pid = this.service.pid;
    if (!pid) return [];
    try {
      return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((child) => {
          try {
            return fs.readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('server.ts');
          } catch {
            return false;
          }
        });
    } catch {
      return [];
    }
  }

  /** Kills Redis (SIGKILL: it keeps nothing) and returns a function that starts it again on the same port. */
  async stopRedis(): Promise<() => Promise<void>> {
    const port = this.redis.port;
    await this.redis.stop();
    return async () => {
      this.redis = await startRedisServer({ port });
    };
  }

  /** The service answers on /healthz (used between scenarios). */
  async healthy(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.get(`${this.base}/healthz`, { agent: false, timeout: 1_000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
  }

  async stop(): Promise<void> {
    if (this.service && this.service.exitCode === null) {
      const exited = new Promise((resolve) => this.service.once('exit', resolve));
      this.service.kill('SIGTERM');
      const timer = setTimeout(() => this.service.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await this.registry?.close();
    await this.redis?.stop();
  }
}
