import cluster from 'node:cluster';
import fs from 'node:fs';
import type { Server } from 'node:http';
import { createApp, type DemoApp } from './app';
import type { Config } from './config';
import { createMetrics } from './metrics';
import { type RunningRegistry, startRegistry } from './registry/server';
import { banner, fail, isLoopback, log, readConfig, saveSession } from './server-output';

/**
 * Starts the demo. Without UPSTREAM_URL the mock registry starts in this process first (API on
 * REGISTRY_PORT, control on REGISTRY_CONTROL_PORT). WORKERS=1: the service runs here too.
 * WORKERS=N (needs REDIS_URL): node:cluster forks N workers that share all state through Redis.
 */

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
    await app.close();
    // The logger last, so that every line is flushed (bounded: a stuck transport cannot hold the exit).
    await Promise.race([app.logger.close(), new Promise((r) => setTimeout(r, 1_000).unref())]);
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
  // The workers must share the key: a record one sealed, another must open.
  if (config.generatedIdempotencyKey)
    env.IDEMPOTENCY_ENCRYPTION_KEY = config.generatedIdempotencyKey;
  let stopping = false;
  let listening = 0;
  let port = config.port;
  const fork = () => cluster.fork(env);
  cluster.on('listening', (_w, address) => {
    // Each worker also listens on OPS_PORT: only the service's listeners count (the banner and
    // the session used to get the operator port as the service's with WORKERS > 1).
    if (config.opsPort !== undefined && config.opsPort !== 0 && address.port === config.opsPort)
      return;
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
