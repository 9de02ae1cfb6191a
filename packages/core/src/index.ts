export { untilAborted } from './abort';
export type { CallContext, CallOptions } from './context';
export {
  callContext,
  compose,
  deriveContext,
  isCallContext,
  splitContext,
  withCallOptions,
} from './context';
export { Deadlines } from './deadlines';
export type { CoreErrorCode, RedisUnavailableReason, ResilErrorOptions } from './errors';
export {
  CORE_ERROR_CODES,
  errorCode,
  hasErrorCode,
  isErrorCode,
  isRedisUnavailableError,
  isResilError,
  RedisUnavailableError,
  ResilError,
} from './errors';
export type { Disposable, Event, EventEmitterOptions } from './events';
export { EventEmitter, noopDisposable, once, toDisposable } from './events';
export type { KeyBuilder } from './keys';
export { hashKeyPart, hashTagOf, keyBuilder } from './keys';
export type { Closeable } from './lifecycle';
export { closeAll, makeCloseable, Resource } from './lifecycle';
export type { CodeLoggerOptions, Logger, LogLevel } from './logger';
export { codeLogger, isLogger, noopLogger, resolveLogger } from './logger';
export type { IntegerRule, StringRule } from './options';
export {
  booleanOption,
  checkOptions,
  enumOption,
  freezeOptions,
  functionOption,
  integerOption,
  numberOption,
  OptionRangeError,
  OptionTypeError,
  stringOption,
} from './options';
export type { ProblemDetails, ProblemInit, ProblemResponse } from './problem';
export {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_BASE,
  problem,
  problemType,
  sendProblem,
} from './problem';
export type {
  BoundedClient,
  BoundedRedisOptions,
  DegradedEvent,
  RestoredEvent,
  RunOptions,
} from './redis/bounded';
export { BoundedRedis, isRedisOutage } from './redis/bounded';
export type { ClientLease, ClientPoolOptions, NodeRedisClientsOptions } from './redis/clients';
export {
  ClientPool,
  leaseClient,
  nodeRedisClients,
  quitClient,
  sharedClients,
} from './redis/clients';
export type { StoreHealthOptions } from './redis/health';
export { reportStoreHealth } from './redis/health';
export type { NodeRedisAdapter, NodeRedisLike, RedisClient } from './redis/node-redis';
export {
  clientStatus,
  fromNodeRedis,
  isNodeRedisClient,
  isNodeRedisCluster,
  isNodeRedisErrorReply,
  isRedisClient,
  onClientEnd,
  onClientReady,
  redisCommand,
  toRedisLike,
} from './redis/node-redis';
export type { Script, ScriptArg, ScriptClient } from './redis/script';
export { defineScript, isNoScript } from './redis/script';
export type { ListeningEvent } from './redis/subscribe';
export { ChannelSubscription, subscribeChannel } from './redis/subscribe';
export type { RedisLike } from './redis/types';
export { isRedisLike } from './redis/types';
export { statusOf } from './status';
export type {
  Attributes,
  EventInit,
  OpenTelemetryApiLike,
  Severity,
  SpanLike,
  Telemetry,
  TelemetryOptions,
} from './telemetry';
export { createTelemetry, isTelemetryAvailable, TELEMETRY_NAMES } from './telemetry';
