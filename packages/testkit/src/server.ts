import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Kills the server (SIGKILL) and removes its folder. */
  stop(): Promise<void>;
}

interface ServerModule {
  startRedisServer(opts?: { port?: number; args?: string[] }): Promise<RedisServer>;
  freePort(): Promise<number>;
  ping(url: string, timeoutMs?: number): Promise<boolean>;
  hasRedisServer(): boolean;
}

const mod = createRequire(__filename)('../jest/redis-server.cjs') as ServerModule;

/**
 * Starts a throw-away redis-server on a free loopback port (no persistence). For tests that stop,
 * pause or restart Redis without touching the shared one. Pass `port` to restart on the same port.
 */
export const startRedisServer = mod.startRedisServer;
/** A TCP port that was free on 127.0.0.1 a moment ago. */
export const freePort = mod.freePort;
/** PING over a raw socket: true when a Redis answers at `url`. */
export const pingRedis = mod.ping;
