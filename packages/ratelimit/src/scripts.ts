/**
 * The outbound limiter's Lua script. Two constraints, both on Redis time (`TIME`), so no
 * worker's clock matters:
 *
 * - spacing: GCRA (the "generic cell rate algorithm" of ATM networks, as in redis-cell), the
 *   theoretical arrival time `tat` of the next free slot: a grant may come `burst - 1` intervals
 *   ahead of it, and a grant of `cost` units pushes it `cost` intervals further;
 * - the window: a log of grants (a sorted set scored by the cumulative count of units granted
 *   so far, member `<grant time>:<cumulative>:<cost>`), so that the units granted in any sliding window
 *   of `windowMs` never exceed `points`, whatever the costs and the burst. A grant of `cost` at
 *   time g needs the grant that brought the cumulative count to `c + cost - points` to lie at
 *   least `windowMs` before g.
 *
 * Grant times never go backwards (`last`), so checking the window that ends at each new grant
 * checks every window. Entries that no future window can hold are pruned (by count and by time),
 * so the log has at most `points` entries.
 *
 * Lost keys (DEL, eviction, a restart without persistence): a hash lost without its log is
 * rebuilt from the log's latest entry; a log lost while the latest grant (`lg`) is within a
 * window fences grants until lg + window (every lost unit was granted at or before lg); both
 * lost are fenced only when the caller says it knows of recent grants (fenceIfMissingMs).
 *
 * KEYS: [1] HASH {tat, c (units granted so far), last (latest grant or fence), lg (latest
 *       grant)}; [2] ZSET log.
 * A fence (no grant before now + fenceMs) is kept in `last`: a process back from its in-memory
 * fallback fences a window after its own memory grants; after a lost connection, a state found
 * missing (perhaps lost with a restart), or missing while its own latest grant is younger than
 * the state's TTL (two windows), is fenced for fenceIfMissingMs.
 *
 * ARGV: intervalMs, maxWaitMs (a caller's patience), cost, burst (>= 1), points, windowMs,
 *       fenceMs, fenceIfMissingMs (0: none).
 * Returns {waitMs, granted}: granted 1 means `cost` units at now + waitMs are reserved for the
 * caller; granted 0 means it would have had to wait waitMs (> maxWaitMs); nothing was reserved.
 */
export const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local maxWait = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local points = tonumber(ARGV[5])
local window = tonumber(ARGV[6])
local fence = tonumber(ARGV[7])
local fenceIfMissing = tonumber(ARGV[8])
local s = redis.call('HMGET', KEYS[1], 'tat', 'c', 'last', 'lg')
local tat = tonumber(s[1]) or 0
local c = tonumber(s[2]) or 0
local last = tonumber(s[3]) or 0
local lg = tonumber(s[4]) or 0
-- floor: no grant before it (fences); the latest entry of the log is the latest grant, units c
local floor = 0
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if s[1] == false and s[2] == false then
  if top[1] then
    -- the hash was lost (deleted, evicted) but not the log: rebuild the counters from it
    local tat0, c0, cost0 = string.match(top[1], '^([^:]+):(%d+):(%d+)$')
    c = tonumber(top[2])
    lg = tonumber(tat0)
    if last < lg then last = lg end
    tat = lg + tonumber(cost0) * interval
  elseif fenceIfMissing > 0 then
    -- both lost, and the caller knows there were grants (a restart, a recent grant of its own)
    floor = now + fenceIfMissing
  end
elseif lg + window > now and (not top[1] or tonumber(top[2]) ~= c) then
  -- the log was lost while the latest grant is within a window: its units are unknown, but
  -- all of them were granted at or before lg
  floor = lg + window
end
-- no grant before now + fence: the caller's own memory grants while Redis was away
if fence > 0 and floor < now + fence then floor = now + fence end
local fenced = false
if last < floor then
  last = floor
  fenced = true
end
-- forget grants that no window reaching now or later can hold (amortised: each entry once)
for _ = 1, 64 do
  local first = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not first then break end
  if tonumber(string.match(first, '^[^:]+')) + window > now then break end
  redis.call('ZPOPMIN', KEYS[2])
end
if tat < now then tat = now end
-- spacing: the first unit may go once tat - (burst - 1) * interval is reached
local at = tat - (burst - 1) * interval
if at < now then at = now end
if at < last then at = last end
-- the window: the units granted up to cumulative count c + cost - points must be a window old
local need = c + cost - points
if need > 0 then
  local e = redis.call('ZRANGEBYSCORE', KEYS[2], string.format('%d', need), '+inf', 'LIMIT', 0, 1)[1]
  -- the grant that holds unit number need (none left, or a later one: it was pruned, a window old)
  if e then
    local eat, ec, ecost = string.match(e, '^([^:]+):(%d+):(%d+)$')
    if tonumber(ec) - tonumber(ecost) < need then
      local free = tonumber(eat) + window
      if at < free then at = free end
    end
  end
end
local wait = at - now
if wait > maxWait then
  if fenced then
    -- keep the fence (and counters rebuilt from the log), never shortening the hash's life
    redis.call('HSET', KEYS[1], 'tat', string.format('%.3f', tat), 'c', string.format('%d', c), 'last', string.format('%.3f', last), 'lg', string.format('%.3f', lg))
    local ttl = math.ceil(last + window - now) + 1000
    local cur = redis.call('PTTL', KEYS[1])
    if cur > ttl then ttl = cur end
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
  return {tostring(wait), 0}
end
if tat < at then tat = at end
local newTat = tat + cost * interval
c = c + cost
-- kept two windows past the latest grant: a process that granted within the last two windows
-- and finds the state missing knows it was lost (deleted, evicted), not expired
local ttl = math.ceil(math.max(newTat, at + 2 * window) - now) + 1000
redis.call('HSET', KEYS[1], 'tat', string.format('%.3f', newTat), 'c', string.format('%d', c), 'last', string.format('%.3f', at), 'lg', string.format('%.3f', at))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], c, string.format('%.3f:%d:%d', at, c, cost))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%d', c - points))
redis.call('PEXPIRE', KEYS[2], ttl)
return {tostring(wait), 1}
`;

/**
 * The inbound window counter (rate-limiter-flexible's script, plus the window's end): the key
 * is created with the window's TTL, incremented by the cost; returns {consumed, pttl, end}
 * where `end` is the key's expiry on Redis's clock (ms): `PEXPIRETIME` (Redis 7+, exact), or
 * `TIME` + `PTTL` before 7. It is the window's identity for a refund.
 *
 * KEYS: [1] the counter. ARGV: cost, window (whole seconds).
 */
export const INBOUND_CONSUME = `
redis.call('SET', KEYS[1], 0, 'EX', ARGV[2], 'NX')
local consumed = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  ttl = 1000 * ARGV[2]
end
local e = redis.pcall('PEXPIRETIME', KEYS[1])
if type(e) ~= 'number' then
  local t = redis.call('TIME')
  e = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl
end
return {consumed, ttl, e}
`;

/**
 * The refund of skipSuccessfulRequests / skipFailedRequests: gives back `cost` units only to the
 * window that took them (the same expiry: exactly with `PEXPIRETIME`, within 50 ms before Redis
 * 7, far below the shortest window, 1 s, by which a later window ends later), never below zero,
 * never to a key that expired (no key is created). A key re-armed by a block has another end:
 * no refund.
 *
 * KEYS: [1] the counter. ARGV: cost, the window's end (ms, Redis clock) as the count saw it.
 * Returns the units given back (0: none).
 */
export const INBOUND_REFUND = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
local e = redis.pcall('PEXPIRETIME', KEYS[1])
if type(e) == 'number' then
  if e ~= tonumber(ARGV[2]) then return 0 end
else
  local t = redis.call('TIME')
  local finish = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl
  if math.abs(finish - tonumber(ARGV[2])) > 50 then return 0 end
end
local v = tonumber(redis.call('GET', KEYS[1]))
if v == nil or v <= 0 then return 0 end
local n = tonumber(ARGV[1])
if n > v then n = v end
redis.call('DECRBY', KEYS[1], n)
return n
`;
