import { defineScript } from '@resil/core';

/**
 * The Lua scripts of the shared circuit. Every script takes four keys with one hash tag:
 *   KEYS[1] the circuit's hash (expires a day after it was last written, unless isolated):
 *     state       'closed' | 'open' | 'halfOpen'
 *     failures    consecutive failures seen by all workers (rate mode: failures in the window)
 *     openUntil   Redis time (ms) when a probe may start
 *     probeUntil  Redis time (ms) when the half-open round's lease ends
 *     epoch       orders the circuit's states, so a worker can tell an old answer from a new one
 *     opens       failed probes in a row (the open duration backs off with it)
 *     permits     trial calls granted in this half-open round; oks: how many succeeded
 *     isolated    '1' while isolate() holds the circuit open
 *   KEYS[2] rate mode: the rolling window, a hash of c:<bucket>, f:<bucket>, s:<bucket> counts
 *   KEYS[3] quorum: a sorted set of worker ids scored by the Redis time of their last failure
 *   KEYS[4] the configuration set by breaker.configure() (JSON, no expiry)
 * ARGV: channel, name, three script-specific values, then the circuit's settings (SETTINGS).
 * Every script reads the clock with TIME (workers' clocks may disagree), publishes a change on
 * the channel as "name|state|until|now|epoch", and returns {state, failures, until, now, epoch}.
 *
 * The epoch is a hybrid clock in Redis microseconds: every state change sets it to
 * max(epoch + 1, now in µs), and a hash without one (never written, expired, evicted, or lost in
 * a restart) reads as "closed, as of now in µs". So it grows with every change while the key
 * lives and does not go back when the key is lost (issue #16, finding 8).
 */

const HEAD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
local h = redis.call('HMGET', KEYS[1], 'state', 'failures', 'openUntil', 'probeUntil', 'epoch', 'opens', 'permits', 'oks', 'isolated')
local state = h[1] or 'closed'
local failures = tonumber(h[2] or '0')
local openUntil = tonumber(h[3] or '0')
local probeUntil = tonumber(h[4] or '0')
local epoch = tonumber(h[5] or '')
local opens = tonumber(h[6] or '0')
local permits = tonumber(h[7] or '0')
local oks = tonumber(h[8] or '0')
local isolated = h[9] == '1'
local stored = epoch ~= nil
if not stored then epoch = nowUs end
local RESET = tonumber(ARGV[6])
local RESETMAX = tonumber(ARGV[7])
local FACTOR = tonumber(ARGV[8])
local QUORUM = tonumber(ARGV[9])
local WINDOW = tonumber(ARGV[10])
local WORKER = ARGV[11]
local PERMITS = tonumber(ARGV[12])
local LEASE = tonumber(ARGV[13])
local MINCALLS = tonumber(ARGV[14])
local FRATE = tonumber(ARGV[15])
local SRATE = tonumber(ARGV[16])
local function num(x) return string.format('%.0f', x) end
local function publish(s, u)
  redis.call('PUBLISH', ARGV[1], ARGV[2] .. '|' .. s .. '|' .. num(u) .. '|' .. num(now) .. '|' .. num(epoch))
end
local function save(s, f, u, p)
  epoch = math.max(epoch + 1, nowUs)
  redis.call('HSET', KEYS[1], 'state', s, 'failures', f, 'openUntil', u, 'probeUntil', p, 'epoch', num(epoch), 'permits', 0, 'oks', 0)
  if isolated then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], 86400000) end
end
local function current()
  if state == 'halfOpen' then return {state, failures, probeUntil, now, epoch} end
  if state == 'open' then return {state, failures, openUntil, now, epoch} end
  return {state, failures, 0, now, epoch}
end
local function openMs(k)
  local d = RESET * (FACTOR ^ k)
  if d > RESETMAX then d = RESETMAX end
  return math.floor(d)
end
local function noteWorker()
  if QUORUM > 1 then
    redis.call('ZADD', KEYS[3], now, WORKER)
    redis.call('PEXPIRE', KEYS[3], WINDOW * 2)
  end
end
local function quorumMet()
  if QUORUM <= 1 then return true end
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - WINDOW)
  return redis.call('ZCARD', KEYS[3]) >= QUORUM
end
local function open(f, k)
  openUntil = now + openMs(k)
  save('open', f, openUntil, 0)
  redis.call('HSET', KEYS[1], 'opens', k)
  redis.call('DEL', KEYS[2], KEYS[3])
  publish('open', openUntil)
  return {'open', f, openUntil, now, epoch}
end
local function close()
  save('closed', 0, 0, 0)
  redis.call('HSET', KEYS[1], 'opens', 0)
  redis.call('DEL', KEYS[2], KEYS[3])
  publish('closed', 0)
  return {'closed', 0, 0, now, epoch}
end
`;

/** Reads the state, and the stored configuration as a sixth element (or false). */
export const READ = `${HEAD}
local r = current()
r[3] = openUntil
if state == 'closed' then r[3] = 0 end
r[6] = redis.call('GET', KEYS[4])
return r`;

/**
 * ARGV[3]: threshold. A failure in the closed state (consecutive mode): count it; open when the
 * count reaches the threshold (and, with a quorum, enough distinct workers failed within the
 * window). Atomic, so exactly one worker opens the circuit.
 */
export const FAILURE = `${HEAD}
if state ~= 'closed' or isolated then return current() end
noteWorker()
failures = failures + 1
if failures >= tonumber(ARGV[3]) and quorumMet() then return open(failures, 0) end
redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', failures, 'epoch', num(epoch))
redis.call('PEXPIRE', KEYS[1], 86400000)
return {'closed', failures, 0, now, epoch}`;

/** A success in the closed state after failures (consecutive mode): the count starts again. */
export const SUCCESS = `${HEAD}
if state == 'closed' and failures > 0 then redis.call('HSET', KEYS[1], 'failures', 0) end
return {state, 0, openUntil, now, epoch}`;

/**
 * ARGV[3..5]: calls, failures, slow calls of one worker's batch (rate mode). Added to the
 * current bucket of the window (Redis time); buckets older than the window are dropped; the
 * circuit opens when the window holds at least MINCALLS calls and the failure rate reaches FRATE
 * or the slow-call rate reaches SRATE (and the quorum is met). Counts that arrive while the
 * circuit is not closed are dropped (they describe calls made before it opened).
 */
export const RATE = `${HEAD}
if state ~= 'closed' or isolated then return current() end
local calls = tonumber(ARGV[3])
local fails = tonumber(ARGV[4])
local slows = tonumber(ARGV[5])
if fails + slows > 0 then noteWorker() end
local size = WINDOW / 10
local bucket = math.floor(now / size)
if calls > 0 then
  redis.call('HINCRBY', KEYS[2], 'c:' .. bucket, calls)
  if fails > 0 then redis.call('HINCRBY', KEYS[2], 'f:' .. bucket, fails) end
  if slows > 0 then redis.call('HINCRBY', KEYS[2], 's:' .. bucket, slows) end
  redis.call('PEXPIRE', KEYS[2], WINDOW * 2)
end
local all = redis.call('HGETALL', KEYS[2])
local C, F, S = 0, 0, 0
for i = 1, #all, 2 do
  local kind = string.sub(all[i], 1, 1)
  local b = tonumber(string.sub(all[i], 3))
  if b == nil or b <= bucket - 10 then
    redis.call('HDEL', KEYS[2], all[i])
  else
    local n = tonumber(all[i + 1])
    if kind == 'c' then C = C + n elseif kind == 'f' then F = F + n else S = S + n end
  end
end
if C >= MINCALLS and (F >= FRATE * C or S >= SRATE * C) and quorumMet() then return open(F, 0) end
return {'closed', F, 0, now, epoch, C}`;

/**
 * After openUntil, PERMITS callers across all workers get a trial call under one lease (its own
 * expiry, so a trial whose worker died does not wedge the circuit; when it runs out a new round
 * starts with a new epoch). Returns state 'probe' to each of them; 'halfOpen' when the permits
 * of the round are taken.
 */
export const ACQUIRE_PROBE = `${HEAD}
if state == 'closed' then return {'closed', failures, 0, now, epoch} end
if isolated then return {'open', failures, openUntil, now, epoch} end
if state == 'open' and now < openUntil then return {'open', failures, openUntil, now, epoch} end
if state == 'halfOpen' and now < probeUntil then
  if permits < PERMITS then
    probeUntil = math.max(probeUntil, now + LEASE)
    redis.call('HSET', KEYS[1], 'permits', permits + 1, 'probeUntil', probeUntil)
    return {'probe', failures, probeUntil, now, epoch}
  end
  return {'halfOpen', failures, probeUntil, now, epoch}
end
local lease = now + LEASE
save('halfOpen', failures, openUntil, lease)
redis.call('HSET', KEYS[1], 'permits', 1)
publish('halfOpen', lease)
return {'probe', failures, lease, now, epoch}`;

/**
 * ARGV[3]: outcome ('success' | 'failure' | 'cancel'), ARGV[4]: token. A trial call's result:
 * PERMITS successes close the circuit everywhere; one failure opens it again for a backed-off
 * duration; a cancelled trial (the caller aborted) gives its permit back. Fenced: `token` is the
 * epoch of the grant; when the circuit is no longer in that half-open round, the late result
 * changes nothing. An empty token (granted in memory while Redis was away) is not fenced.
 */
export const PROBE_RESULT = `${HEAD}
if isolated then return current() end
if ARGV[4] ~= '' and (state ~= 'halfOpen' or not stored or epoch ~= tonumber(ARGV[4])) then
  return current()
end
if ARGV[3] == 'cancel' then
  if permits > 0 then redis.call('HSET', KEYS[1], 'permits', permits - 1) end
  return current()
end
if ARGV[3] == 'success' then
  oks = oks + 1
  if oks >= PERMITS then return close() end
  redis.call('HSET', KEYS[1], 'oks', oks)
  return current()
end
return open(failures + 1, opens + 1)`;

/**
 * ARGV[3]: target ('open' | 'closed' | 'sync' | 'isolate'), ARGV[4]: remainingOpenMs.
 * open/closed: forced by an operator ('closed' also ends an isolation: release()). isolate: open
 * until released, the hash kept without expiry. sync: after Redis came back, a worker that opened
 * the circuit in memory keeps it open (never throws away an open state). An isolated circuit
 * stays open whatever else is asked.
 */
export const FORCE = `${HEAD}
local target = ARGV[3]
if target == 'closed' then
  isolated = false
  redis.call('HDEL', KEYS[1], 'isolated')
  return close()
end
if isolated then return current() end
if target == 'isolate' then
  isolated = true
  openUntil = now + 3153600000000
  save('open', failures, openUntil, 0)
  redis.call('HSET', KEYS[1], 'isolated', '1')
  publish('open', openUntil)
  return {'open', failures, openUntil, now, epoch}
end
if target == 'sync' then
  local want = now + tonumber(ARGV[4])
  if state == 'open' and openUntil >= want then return current() end
  if state == 'halfOpen' then return current() end
  save('open', failures, want, 0)
  publish('open', want)
  return {'open', failures, want, now, epoch}
end
openUntil = now + openMs(0)
save('open', failures, openUntil, 0)
publish('open', openUntil)
return {'open', failures, openUntil, now, epoch}`;

/**
 * ARGV[3]: the changed options (JSON object). Merged into the stored configuration (KEYS[4], no
 * expiry) with a version, published as "\\x01version|json|name"; returns the stored JSON.
 */
export const CONFIGURE = `
local cur = redis.call('GET', KEYS[4])
local t = {}
if cur then
  local ok, parsed = pcall(cjson.decode, cur)
  if ok and type(parsed) == 'table' then t = parsed end
end
for k, v in pairs(cjson.decode(ARGV[3])) do t[k] = v end
t['_v'] = (tonumber(t['_v']) or 0) + 1
local json = cjson.encode(t)
redis.call('SET', KEYS[4], json)
redis.call('PUBLISH', ARGV[1], '\\001' .. t['_v'] .. '|' .. json .. '|' .. ARGV[2])
return json`;

/** The scripts, defined once: `EVALSHA`, and `EVAL` when Redis answers `NOSCRIPT`. */
export const SCRIPTS = Object.freeze({
  read: defineScript(READ, { numberOfKeys: 4 }),
  failure: defineScript(FAILURE, { numberOfKeys: 4 }),
  success: defineScript(SUCCESS, { numberOfKeys: 4 }),
  rate: defineScript(RATE, { numberOfKeys: 4 }),
  acquireProbe: defineScript(ACQUIRE_PROBE, { numberOfKeys: 4 }),
  probeResult: defineScript(PROBE_RESULT, { numberOfKeys: 4 }),
  force: defineScript(FORCE, { numberOfKeys: 4 }),
  configure: defineScript(CONFIGURE, { numberOfKeys: 4 }),
});
