import cluster from 'node:cluster';
import fs from 'node:fs';
import type { Server } from 'node:http';
import { createApp, type DemoApp } from './app';
import { type Config, isConfigError, loadConfig } from './config';
import { createMetrics } from './metrics';
import { type RunningRegistry, startRegistry } from './registry/server';
import { type DemoSession, isSessionDirError, writeSession } from './session';

/**
 * Starts the demo. Without UPSTREAM_URL the mock registry starts in this process first (API on
 * REGISTRY_PORT, control on REGISTRY_CONTROL_PORT). WORKERS=1: the service runs here too.
 * WORKERS=N (needs REDIS_URL): node:cluster forks N workers that share all state through Redis.
 */

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`hospital-demo: ${message}\n`);
  process.exit(1);
}

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (isConfigError(err)) fail(err.message);
    throw err;
  }
}

function banner(
  config: Config,
  port: number,
  registry: RunningRegistry | undefined,
  upstream: string,
): void {
  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  const opsBase =
    config.opsPort === undefined
      ? base
      : `http://${config.opsHost === '0.0.0.0' ? '127.0.0.1' : config.opsHost}:${config.opsPort}`;
  const key = config.generatedApiKey ?? '<one of your API_KEYS>';
  const lines = [
    '',
    `hospital-demo ready (${config.workers} worker${config.workers > 1 ? 's' : ''}, ${config.redisUrl ? 'state shared through Redis' : 'in-memory state'})`,
    `  service          ${base}`,
    `  status page      ${opsBase}/status`,
    `  metrics          ${opsBase}/metrics${config.opsPort === undefined ? '  (on the public port: set OPS_PORT to move them off it)' : ''}`,
    `  registry         ${upstream}${registry ? ' (mock, in this process)' : ''}`,
    ...(registry
      ? [`  registry control ${registry.controlUrl}/faults  (PUT JSON to inject faults)`]
      : []),
    `  API key          ${config.generatedApiKey ? `${key}  (generated for this run; set API_KEYS to choose)` : 'from API_KEYS'}`,
    `  admin key        ${config.generatedAdminKey ? `${config.generatedAdminKey}  (generated; set ADMIN_API_KEY to choose)` : 'from ADMIN_API_KEY'}`,
    '',
    'create a hospital:',
    `  curl -i -X POST ${base}/hospitals -H 'Authorization: Bearer ${key}' -H "Idempotency-Key: $(uuidgen || date +%s%N)" -H 'Content-Type: application/json' -d '{"name":"St Mary","address":"1 Main Street"}'`,
    '',
    'walk through every layer:  npm run demo:tour   (from the repository root, in another terminal)',
    '',
  ];
  log(lines.join('\n'));
}

/** Writes the tour's session file; when its directory is not private, says so and writes none. */
function saveSession(
  config: Config,
  port: number,
  registry: RunningRegistry | undefined,
): string | undefined {
  const session: DemoSession = {
    serviceUrl: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    ...(config.opsPort !== undefined
      ? {
          opsUrl: `http://${config.opsHost === '0.0.0.0' ? '127.0.0.1' : config.opsHost}:${config.opsPort}`,
        }
      : {}),
    ...(config.generatedApiKey ? { apiKey: config.generatedApiKey } : {}),
    ...(config.generatedAdminKey ? { adminKey: config.generatedAdminKey } : {}),
    ...(registry ? { registryControlUrl: registry.controlUrl } : {}),
    pid: process.pid,
  };
  try {
    return writeSession(session, port);
  } catch (err) {
    if (!isSessionDirError(err)) throw err;
    log(
      `hospital-demo: no session file for the tour (${err.message}); give the tour DEMO_API_KEY, DEMO_ADMIN_KEY and REGISTRY_CONTROL_URL`,
    );
    return undefined;
  }
}

/** Listens, and on SIGTERM/SIGINT stops accepting, lets in-flight requests finish (bounded), closes. */
async function runService(
  config: Config,
  upstreamUrl: string,
  workerId: string,
): Promise<{ server: Server; app: DemoApp }> {
  const app = createApp({
    config,
    upstreamUrl,
    workerId,
    metrics: createMetrics({ defaultMetrics: true }),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') fail(`port ${config.port} is in use: set PORT to another port`);
    throw err;
  });
  server.keepAliveTimeout = 5_000;
  const opsPort = config.opsPort;
  const opsServer =
    opsPort === undefined
      ? undefined
      : await new Promise<Server>((resolve, reject) => {
          const s = app.ops.listen(opsPort, config.opsHost, () => resolve(s));
          s.once('error', reject);
        }).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EADDRINUSE')
            fail(`OPS_PORT ${config.opsPort} is in use: set OPS_PORT to another port`);
          throw err;
        });
  if (!opsServer && !isLoopback(config.host)) {
    app.logger.warn(
      'operator endpoints (/readyz, /metrics, /status) are served on the public port: set OPS_PORT to serve them on a private listener',
      { worker: workerId },
    );
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info('shutting down', { signal, worker: workerId });
    const force = setTimeout(() => {
      server.closeAllConnections();
      opsServer?.closeAllConnections();
    }, config.shutdownTimeoutMs);
    force.unref();
    await Promise.all(
      [server, opsServer].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s) return resolve();
            s.close(() => resolve());
            s.closeIdleConnections();
          }),
      ),
    );
    clearTimeout(force);
    await app.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A cluster worker also gets the terminal's Ctrl-C: it waits for the primary's SIGTERM instead.
  process.on('SIGINT', () => {
    if (cluster.isPrimary) void stop('SIGINT');
  });
  return { server, app };
}

async function primary(): Promise<void> {
  const config = readConfig();
  let registry: RunningRegistry | undefined;
  let upstream = config.upstreamUrl;
  if (!upstream) {
    try {
      registry = await startRegistry({
        port: config.registryPort,
        controlPort: config.registryControlPort,
        host: '127.0.0.1',
        rateLimitPerSecond: config.registryRateLimitPerSecond,
        faults: config.registryFaults,
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      fail(
        code === 'EADDRINUSE'
          ? `the mock registry's port (${config.registryPort} or ${config.registryControlPort}) is in use: set REGISTRY_PORT / REGISTRY_CONTROL_PORT, or UPSTREAM_URL to use a registry that is already running`
          : `could not start the mock registry (${code ?? 'unknown error'})`,
      );
    }
    upstream = registry.url;
  }

  let session: string | undefined;
  const cleanup = () => {
    if (session) fs.rmSync(session, { force: true });
  };
  process.on('exit', cleanup);

  if (config.workers === 1) {
    const { server } = await runService(config, upstream, 'main');
    const port = (server.address() as { port: number }).port;
    session = saveSession(config, port, registry);
    banner(config, port, registry, upstream);
    // runService's handlers exit the process; close the registry first.
    const closeRegistry = () => void registry?.close();
    process.prependListener('SIGTERM', closeRegistry);
    process.prependListener('SIGINT', closeRegistry);
    return;
  }

  // Cluster: the workers get the resolved upstream and the generated keys through env.
  const env: Record<string, string> = { UPSTREAM_URL: upstream };
  if (config.generatedApiKey) env.API_KEYS = `dev:${config.generatedApiKey}`;
  if (config.generatedAdminKey) env.ADMIN_API_KEY = config.generatedAdminKey;
  let stopping = false;
  let listening = 0;
  let port = config.port;
  const fork = () => cluster.fork(env);
  cluster.on('listening', (_w, address) => {
    listening++;
    port = address.port;
    if (listening === config.workers) {
      session = saveSession(config, port, registry);
      banner(config, port, registry, upstream);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log(`worker ${worker.id} exited (${signal ?? code}); starting a new one`);
    if (code === 1 && listening === 0) fail('a worker failed to start; see its error above');
    fork();
  });
  for (let i = 0; i < config.workers; i++) fork();

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (!w || w.isDead()) return resolve();
            const t = setTimeout(() => w.kill('SIGKILL'), config.shutdownTimeoutMs + 2_000);
            w.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
    await registry?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

async function worker(): Promise<void> {
  const config = readConfig();
  const upstream = config.upstreamUrl;
  if (!upstream) fail('worker started without UPSTREAM_URL');
  await runService(config, upstream, String(cluster.worker?.id ?? 'main'));
}

if (cluster.isPrimary) void primary();
else void worker();
