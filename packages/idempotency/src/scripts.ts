import { defineScript } from '@resil/core';

/**
 * Lua scripts of the Redis store (core `defineScript`: EVALSHA, EVAL on NOSCRIPT). One hash per
 * record, `KEYS[1]`:
 *   state    'running' | 'done'
 *   owner    random token of the request that claimed the key (only it may complete or release)
 *   fp       fingerprint of the request (method, route, canonical body), hashed
 *   status, headers (JSON), body (base64), omitted ('1' when the body was too large to keep)
 * While running, the key's TTL is the lease (leaseMs, renewed by the owner); once done, ttlMs.
 */

/** ARGV: owner, fp, leaseMs. Returns {'claimed'} or the record {state, fp, status, headers, body, omitted, pttl}. */
export const CLAIM = defineScript(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'state', 'running', 'owner', ARGV[1], 'fp', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'claimed'}
end
local h = redis.call('HMGET', KEYS[1], 'state', 'fp', 'status', 'headers', 'body', 'omitted')
return {h[1] or 'running', h[2] or '', h[3] or '', h[4] or '', h[5] or '', h[6] or '', redis.call('PTTL', KEYS[1])}`,
  { numberOfKeys: 1 },
);

/** ARGV: owner, status, headers, body, omitted, ttlMs. 1 when stored, 0 when the lease was lost (or already done). */
export const COMPLETE = defineScript(
  `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[2], 'headers', ARGV[3], 'body', ARGV[4], 'omitted', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1`,
  { numberOfKeys: 1 },
);

/** ARGV: owner, leaseMs. Extends a running claim this owner holds. */
export const RENEW = defineScript(
  `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
  { numberOfKeys: 1 },
);

/** ARGV: owner. Deletes a running claim this owner holds (the request may be retried). */
export const RELEASE = defineScript(
  `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
  { numberOfKeys: 1 },
);
