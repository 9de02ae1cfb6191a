import { defineScript } from '@resil/core';

// The semaphore is one sorted set per bulkhead: member = a lease's owner token (random, per call),
// score = the lease's expiry in Redis's own clock (TIME), so workers' clocks never matter. Every
// script first drops expired leases: a SIGKILLed worker's slots come back after its lease.

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)`;

// The key lives as long as its longest lease could (leaseMs from the latest grant or renewal).
const KEEP = `if redis.call('PTTL', KEYS[1]) < lease then redis.call('PEXPIRE', KEYS[1], lease) end`;

/** KEYS: leases. ARGV: token, limit, leaseMs. Returns { granted (1/0), leases held now }. */
export const ACQUIRE = defineScript(
  `${NOW}
local lease = tonumber(ARGV[3])
local n = redis.call('ZCARD', KEYS[1])
if n < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  ${KEEP}
  return { 1, n + 1 }
end
return { 0, n }`,
  { numberOfKeys: 1 },
);

/**
 * KEYS: leases. ARGV: leaseMs, token... Extends each live lease by leaseMs from now. Returns the
 * tokens whose lease had already expired (their slot went back; they are not re-added).
 */
export const RENEW = defineScript(
  `${NOW}
local lease = tonumber(ARGV[1])
local lost = {}
for i = 2, #ARGV do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + lease, ARGV[i]) == 0 and not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    lost[#lost + 1] = ARGV[i]
  end
end
${KEEP}
return lost`,
  { numberOfKeys: 1 },
);

/** KEYS: leases. ARGV: token... Gives the slots back. Returns how many were still held. */
export const RELEASE = defineScript(
  `local n = 0
for i = 1, #ARGV do n = n + redis.call('ZREM', KEYS[1], ARGV[i]) end
return n`,
  { numberOfKeys: 1 },
);
