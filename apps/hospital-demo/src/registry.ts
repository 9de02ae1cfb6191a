import { isConfigError, loadConfig } from './config';
import { startRegistry } from './registry/server';

/** `npm run registry`: the mock hospital registry on its own (REGISTRY_PORT, REGISTRY_CONTROL_PORT). */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (isConfigError(err)) {
      process.stderr.write(`mock registry: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const registry = await startRegistry({
    port: config.registryPort,
    controlPort: config.registryControlPort,
    rateLimitPerSecond: config.registryRateLimitPerSecond,
    faults: config.registryFaults,
  });
  process.stdout.write(
    `mock hospital registry: API ${registry.url}  control ${registry.controlUrl}/faults (PUT JSON), /counters\n`,
  );
  const stop = () => void registry.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
