import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { repoRoot } from '@resil/testkit';
import winston from 'winston';
import { type AppDeps, createApp, type DemoApp } from '../src/app';
import { loadConfig } from '../src/config';
import {
  type RunningRegistry,
  type StartRegistryOptions,
  startRegistry,
} from '../src/registry/server';
import { SafeLogger } from '../src/resil';

export const ALICE = 'alice-key-0123456789abcdef';
export const BOB = 'bob-key-0123456789abcdef';
export const ADMIN = 'admin-key-0123456789abcdef';
export const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Fast settings: tiny retry delays, a low breaker threshold, no outbound pacing to speak of. */
export const FAST_ENV: Record<string, string> = {
  API_KEYS: `alice:${ALICE},bob:${BOB}`,
  ADMIN_API_KEY: ADMIN,
  BREAKER_FAILURE_THRESHOLD: '2',
  BREAKER_RESET_TIMEOUT_MS: '60000',
  RETRY_MAX_ATTEMPTS: '3',
  RETRY_MIN_DELAY_MS: '1',
  RETRY_MAX_DELAY_MS: '5',
  UPSTREAM_TIMEOUT_MS: '2000',
  OUTBOUND_RATE_LIMIT: '1000',
  OUTBOUND_WINDOW_MS: '1000',
  LOG_LEVEL: 'debug',
};

export interface Harness {
  app: DemoApp;
  registry: RunningRegistry;
  /** Every log line the app wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** The app with memory stores against a mock registry on ephemeral ports, logs captured. */
export async function startHarness(
  env: Record<string, string> = {},
  registryOptions: StartRegistryOptions = {},
  deps: Omit<AppDeps, 'config' | 'upstreamUrl' | 'logger'> = {},
): Promise<Harness> {
  const registry = await startRegistry({ rateLimitPerSecond: 10_000, ...registryOptions });
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      cb();
    },
  });
  const logger = new SafeLogger('hospital-demo', {
    level: 'debug',
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  const config = loadConfig({ ...FAST_ENV, ...env });
  const app = createApp({ ...deps, config, upstreamUrl: registry.url, logger });
  return {
    app,
    registry,
    logs,
    async close() {
      await app.close();
      await registry.close();
    },
  };
}

export const hospital = (over: Record<string, unknown> = {}) => ({
  name: "St Mary's",
  address: '1 Main Street, Springfield',
  ...over,
});

let n = 0;
export const newKey = () => `test-key-${process.pid}-${++n}-${Date.now()}`;

/**
 * Starts `src/server.ts` as a real process, on the TypeScript sources like the tests, with `env`
 * over this process's environment; everything it writes to stdout and stderr goes to `onOutput`.
 */
export function spawnServer(
  env: Record<string, string>,
  onOutput: (text: string) => void,
): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@resil/source', '--import', 'tsx', path.join(__dirname, '../src/server.ts')],
    { cwd: repoRoot(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const collect = (d: Buffer) => onOutput(d.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return child;
}
