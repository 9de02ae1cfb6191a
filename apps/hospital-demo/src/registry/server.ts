import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRegistry, type RegistryOptions, type RegistryState } from './registry';

export interface StartRegistryOptions extends RegistryOptions {
  /** API port; 0 picks a free one. @default 0 */
  port?: number;
  /** Control port; 0 picks a free one. @default 0 */
  controlPort?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

export interface RunningRegistry {
  /** Base URL of the API, e.g. http://127.0.0.1:3001 */
  readonly url: string;
  /** Base URL of the control endpoints, e.g. http://127.0.0.1:3002 */
  readonly controlUrl: string;
  readonly state: RegistryState;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function stop(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts the mock registry: the API on one port and the control endpoints on another, so that
 * "down" (the API refuses connections) can still be switched off through the control port.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const host = options.host ?? '127.0.0.1';
  const registry = createRegistry(options);
  const apiServer = http.createServer(registry.api);
  const controlServer = http.createServer(registry.control);
  // Keep-alive sockets would keep a "down" registry half alive: one request per connection.
  apiServer.keepAliveTimeout = 1_000;

  const apiPort = await listen(apiServer, options.port ?? 0, host);
  const controlPort = await listen(controlServer, options.controlPort ?? 0, host);
  let closed = false;
  // Serialise listener changes (down -> normal -> down in quick succession).
  let change: Promise<unknown> = Promise.resolve();
  const applyMode = (mode: string): Promise<void> => {
    const next = change.then(async () => {
      if (closed) return;
      if (mode === 'down' && apiServer.listening) await stop(apiServer);
      else if (mode !== 'down' && !apiServer.listening) await listen(apiServer, apiPort, host);
    });
    change = next.catch(() => undefined);
    return next;
  };
  registry.state.onModeChange(applyMode);
  if (registry.state.faults.mode === 'down') await applyMode('down');

  return {
    url: `http://${host}:${apiPort}`,
    controlUrl: `http://${host}:${controlPort}`,
    state: registry.state,
    async close() {
      await change;
      closed = true;
      await Promise.all([stop(apiServer), stop(controlServer)]);
    },
  };
}
