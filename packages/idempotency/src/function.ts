import { randomUUID } from 'node:crypto';
import {
  type Closeable,
  checkOptions,
  enumOption,
  functionOption,
  hasErrorCode,
  integerOption,
  type Logger,
  makeCloseable,
  resolveLogger,
} from '@resil/core';
import { RECORD_OPTIONS, type RecordOptions, resolveRecords } from './common';
import { ERROR_CODES, IdempotencyError } from './errors';
import { canonicalJson } from './middleware';
import { keepClaimed } from './renewal';

export interface MakeIdempotentOptions<A extends unknown[]> extends RecordOptions {
  /** The idempotency key of a call (required): e.g. a message id. A non-empty string. */
  key: (...args: A) => string;
  /**
   * What of the arguments must match for a repeat to get the stored result (else
   * `RESIL_IDEMPOTENCY_MISMATCH`): any JSON-like value, or false for no check.
   * @default the arguments (canonical JSON)
   */
  fingerprint?: ((...args: A) => unknown) | false;
  /** How long a result is kept and returned to repeats. @default 86400000 (24 h) */
  ttlMs?: number;
  /** The running call's lease; renewed while it runs; a crashed process's key is free after it. @default 30000 */
  leaseMs?: number;
  /**
   * A repeat while the first still runs: wait for its result ('wait'), or reject at once with
   * `RESIL_IDEMPOTENCY_IN_PROGRESS` ('reject'). @default 'wait'
   */
  onConcurrent?: 'wait' | 'reject';
  /** Longest wait with 'wait'; then `RESIL_IDEMPOTENCY_IN_PROGRESS`. @default 10000 */
  waitTimeoutMs?: number;
  /** A larger result (as JSON) is not kept: repeats get `RESIL_IDEMPOTENCY_NOT_REPLAYABLE`. @default 1 MiB */
  maxResultBytes?: number;
  /** Where a failed completion is logged, or false. @default core `codeLogger('resil.idempotency')` */
  logger?: Logger | false;
}

/** The wrapped function: always async, with the one lifecycle (`close()` stops renewals, closes the store). */
export type IdempotentFunction<A extends unknown[], R> = ((...args: A) => Promise<Awaited<R>>) &
  Closeable;

const OWNER = 'makeIdempotent';
const KNOWN: ReadonlySet<string> = new Set([
  'key',
  'fingerprint',
  'ttlMs',
  'leaseMs',
  'onConcurrent',
  'waitTimeoutMs',
  'maxResultBytes',
  'logger',
  ...RECORD_OPTIONS,
]);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` at most once per key (Powertools' `makeIdempotent`), across every process sharing the
 * store: the first call with a key claims it (one atomic script on Redis), runs `fn` while it
 * renews its lease, and stores the result (JSON) for `ttlMs`; a repeat gets the stored result (as
 * JSON gives it back) without running `fn`. If `fn` throws, the claim is released and the error
 * rethrown (a retry runs again). If the process dies while `fn` runs, another call may take the
 * key over once `leaseMs` has passed. A store failure rejects with its typed error and `fn` does
 * not run.
 */
export function makeIdempotent<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: MakeIdempotentOptions<A>,
): IdempotentFunction<A, R> {
  if (typeof fn !== 'function') throw new TypeError('makeIdempotent: fn must be a function');
  const o = checkOptions(OWNER, options, KNOWN);
  const keyOf = functionOption<(...args: A) => string>(OWNER, 'key', o.key);
  if (!keyOf) throw new TypeError('makeIdempotent: key must be a function');
  const fpOption = o.fingerprint;
  const fingerprintOf =
    fpOption === false
      ? false
      : functionOption<(...args: A) => unknown>(OWNER, 'fingerprint', fpOption);
  const int = (name: string, v: unknown, dflt: number, min: number) =>
    integerOption(OWNER, name, v, { default: dflt, min });
  const ttlMs = int('ttlMs', o.ttlMs, 86_400_000, 1000);
  const leaseMs = int('leaseMs', o.leaseMs, 30_000, 100);
  const waitTimeoutMs = int('waitTimeoutMs', o.waitTimeoutMs, 10_000, 0);
  const maxResultBytes = int('maxResultBytes', o.maxResultBytes, 1024 * 1024, 0);
  const onConcurrent = enumOption(
    OWNER,
    'onConcurrent',
    o.onConcurrent,
    ['wait', 'reject'],
    'wait',
  );
  const logger = resolveLogger(OWNER, 'resil.idempotency', o.logger);
  const records = resolveRecords(OWNER, o);
  const { store, hasher, keys } = records;
  const renewals = new Set<NodeJS.Timeout>();

  const call = async (...args: A): Promise<Awaited<R>> => {
    const raw = keyOf(...args);
    if (typeof raw !== 'string' || raw.length === 0)
      throw new TypeError('makeIdempotent: key() must return a non-empty string');
    const storageKey = keys.key(hasher.hash(`fn\n${raw}`, 64));
    const fp =
      fingerprintOf === false
        ? '-'
        : hasher.hash(canonicalJson(fingerprintOf ? fingerprintOf(...args) : args), 64);
    const owner = randomUUID();
    const deadline = Date.now() + waitTimeoutMs;
    for (;;) {
      const r = await store.claim(storageKey, owner, fp, leaseMs);
      if (r.claimed) break;
      if (r.fp !== fp)
        throw new IdempotencyError(
          ERROR_CODES.MISMATCH,
          'makeIdempotent: this key was used with other arguments',
        );
      if (r.state === 'done') {
        if (r.response.omitted)
          throw new IdempotencyError(
            ERROR_CODES.NOT_REPLAYABLE,
            'makeIdempotent: the call with this key completed, but its result was too large to keep',
          );
        return (JSON.parse(r.response.body.toString('utf8')) as { v: Awaited<R> }).v;
      }
      if (onConcurrent === 'wait' && Date.now() < deadline) {
        await pause(Math.min(50, Math.max(1, deadline - Date.now())));
        continue;
      }
      throw new IdempotencyError(
        ERROR_CODES.IN_PROGRESS,
        'makeIdempotent: a call with this key is still running',
      );
    }
    const stop = keepClaimed(store, storageKey, owner, leaseMs, renewals);
    let result: Awaited<R>;
    let body: Buffer;
    try {
      result = await fn(...args);
      body = Buffer.from(JSON.stringify({ v: result }), 'utf8');
    } catch (err) {
      stop();
      await store.release(storageKey, owner).catch(() => false);
      throw err;
    }
    stop();
    const omitted = body.length > maxResultBytes;
    try {
      const stored = await store.complete(
        storageKey,
        owner,
        { status: 200, headers: {}, body: omitted ? Buffer.alloc(0) : body, omitted },
        ttlMs,
      );
      if (!stored)
        logger.warn('makeIdempotent: the lease was lost before the result was stored', {
          event: 'lease-lost',
        });
    } catch (err) {
      const code = hasErrorCode(err) ? err.code : undefined;
      logger.warn(
        'makeIdempotent: could not store the result; a call after the lease may run again',
        code === undefined ? { event: 'store-failed' } : { event: 'store-failed', code },
      );
    }
    return result;
  };
  return makeCloseable(call, async () => {
    for (const t of renewals) clearInterval(t);
    renewals.clear();
    await records.close();
  }) as IdempotentFunction<A, R>;
}
