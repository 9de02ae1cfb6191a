import type { Config } from './config';
import { isConfigError, loadConfig } from './config';
import type { RunningRegistry } from './registry/server';
import { type DemoSession, isSessionDirError, writeSession } from './session';

/** What src/server.ts prints and writes: the start-up banner, the tour's session file, errors. */

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function fail(message: string): never {
  process.stderr.write(`hospital-demo: ${message}\n`);
  process.exit(1);
}

export function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (isConfigError(err)) fail(err.message);
    throw err;
  }
}

export function banner(
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
    `  traces           ${opsBase}/traces/<X-Request-Id of a request>`,
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
export function saveSession(
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
