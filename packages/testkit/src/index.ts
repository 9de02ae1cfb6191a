export type {
  RedisClientKind,
  RedisClientKindName,
  RedisNode,
  SingleClientOptions,
} from './clients';
export {
  isIoredisRun,
  REDIS_CLIENT_KINDS,
  redisClientKind,
  untilReady,
} from './clients';
export type { RedisClusterHandle } from './cluster';
export { startRedisCluster } from './cluster';
export type { LinearCost, LinearCostOptions } from './linear-cost';
export { expectLinearCost, LinearCostError, measureLinearCost } from './linear-cost';
export type { RedisFixture } from './redis';
export {
  createRedis,
  createRedisClient,
  deleteByPrefix,
  fastFailOptions,
  redisUrl,
  uniquePrefix,
  useRedis,
} from './redis';
export type { RedisServer } from './server';
export { freePort, pingRedis, startRedisServer } from './server';
export type { RedisTarget, RedisTopology } from './targets';
export { adminFromEnv, connectFromEnv, describeEachRedis } from './targets';
export { waitFor } from './wait';
export { maxInWindow } from './window';
export type { StartedWorkers, WorkerMessage, WorkerOptions, WorkerOutcome } from './workers';
export { repoRoot, runWorkers, startWorkers } from './workers';
