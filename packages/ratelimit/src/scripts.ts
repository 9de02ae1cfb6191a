/**
 * The outbound limiter's Lua script: GCRA (the "generic cell rate algorithm" of ATM networks, as
 * in redis-cell and Stripe's limiter) on one string key, `KEYS[1]`, holding the theoretical
 * arrival time (TAT) of the next free slot in Redis milliseconds, with three decimals.
 *
 * ARGV: intervalMs (between two grants), maxWaitMs (a caller's patience), cost (slots to take),
 *       burst (slots that may be granted at once, >= 1).
 * Returns {waitMs, granted}: granted 1 means a slot at now + waitMs is reserved for the caller;
 * granted 0 means it would have had to wait waitMs (> maxWaitMs) and nothing was reserved.
 * Clock: Redis TIME, so no worker's clock matters.
 */
export const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local maxWait = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
-- the first slot of this request may start once tat - (burst - 1) * interval is reached
local at = tat - (burst - 1) * interval
if at < now then at = now end
local wait = at - now
if wait > maxWait then return {tostring(wait), 0} end
local newTat = tat + cost * interval
redis.call('SET', KEYS[1], string.format('%.3f', newTat), 'PX', math.ceil(newTat - now) + 1000)
return {tostring(wait), 1}
`;
