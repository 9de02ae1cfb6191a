import { defineScript } from '@resil/core';

/**
 * The Lua scripts of the shared circuit. One hash per circuit, `KEYS[1]`:
 *   state       'closed' | 'open' | 'halfOpen'
 *   failures    consecutive failures seen by all workers
 *   openUntil   Redis time (ms) when a probe may start
 *   probeUntil  Redis time (ms) when the running probe's lease ends
 *   epoch       orders the circuit's states, so a worker can tell an old answer from a new one
 * Every script reads the clock with TIME (workers' clocks may disagree), publishes a change on
 * the channel ARGV[1] as "name|state|until|now|epoch", and returns {state, failures, until, now, epoch}.
 * The hash expires a day after it was last written.
 *
 * The epoch is a hybrid clock in Redis microseconds: every state change sets it to
 * max(epoch + 1, now in µs), and a hash without one (never written, expired, evicted, or lost in
 * a restart) reads as "closed, as of now in µs". So it grows with every change while the key
 * lives and does not go back when the key is lost (issue #16, finding 8: it used to restart at 0,
 * and every running worker ignored every later answer). It could go back only if Redis's clock
 * went back while the key was lost; workers then still accept the answers to their own commands.
 */

const HEAD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
local h = redis.call('HMGET', KEYS[1], 'state', 'failures', 'openUntil', 'probeUntil', 'epoch')
local state = h[1] or 'closed'
local failures = tonumber(h[2] or '0')
local openUntil = tonumber(h[3] or '0')
local probeUntil = tonumber(h[4] or '0')
local epoch = tonumber(h[5] or '')
local stored = epoch ~= nil
if not stored then epoch = nowUs end
local function num(x) return string.format('%.0f', x) end
local function publish(s, u)
  redis.call('PUBLISH', ARGV[1], ARGV[2] .. '|' .. s .. '|' .. num(u) .. '|' .. num(now) .. '|' .. num(epoch))
end
local function save(s, f, u, p)
  epoch = math.max(epoch + 1, nowUs)
  redis.call('HSET', KEYS[1], 'state', s, 'failures', f, 'openUntil', u, 'probeUntil', p, 'epoch', num(epoch))
  redis.call('PEXPIRE', KEYS[1], 86400000)
end
`;

/** ARGV: channel, name. Reads the state. */
export const READ = `${HEAD}
return {state, failures, openUntil, now, epoch}`;

/**
 * ARGV: channel, name, threshold, resetTimeoutMs. A failure in the closed state: count it; open
 * when the count reaches the threshold. Atomic, so exactly one worker opens the circuit.
 */
export const FAILURE = `${HEAD}
if state ~= 'closed' then return {state, failures, openUntil, now, epoch} end
failures = failures + 1
if failures >= tonumber(ARGV[3]) then
  openUntil = now + tonumber(ARGV[4])
  save('open', failures, openUntil, 0)
  publish('open', openUntil)
  return {'open', failures, openUntil, now, epoch}
end
redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', failures, 'epoch', num(epoch))
redis.call('PEXPIRE', KEYS[1], 86400000)
return {'closed', failures, 0, now, epoch}`;

/** ARGV: channel, name. A success in the closed state after failures: the count starts again. */
export const SUCCESS = `${HEAD}
if state == 'closed' and failures > 0 then redis.call('HSET', KEYS[1], 'failures', 0) end
return {state, 0, openUntil, now, epoch}`;

/**
 * ARGV: channel, name, probeLeaseMs. After openUntil, exactly one caller across all workers gets
 * the probe (a lease with its own expiry, so a probe whose worker died does not wedge the circuit).
 * Returns state 'probe' to that caller.
 */
export const ACQUIRE_PROBE = `${HEAD}
if state == 'closed' then return {'closed', failures, 0, now, epoch} end
if state == 'open' and now < openUntil then return {'open', failures, openUntil, now, epoch} end
if state == 'halfOpen' and now < probeUntil then return {'halfOpen', failures, probeUntil, now, epoch} end
local lease = now + tonumber(ARGV[3])
save('halfOpen', failures, openUntil, lease)
publish('halfOpen', lease)
return {'probe', failures, lease, now, epoch}`;

/**
 * ARGV: channel, name, outcome ('success' | 'failure'), resetTimeoutMs, token. The probe's result
 * closes the circuit everywhere, or opens it again for another resetTimeoutMs. Fenced: `token` is
 * the epoch of the grant; when the circuit is no longer in the half-open state that grant made
 * (the lease ran out and another caller probes, or an operator or a key loss changed it), the
 * late result changes nothing and the current state is returned. An empty token (a probe granted
 * in memory while Redis was away) is not fenced.
 */
export const PROBE_RESULT = `${HEAD}
if ARGV[5] ~= '' and (state ~= 'halfOpen' or not stored or epoch ~= tonumber(ARGV[5])) then
  if state == 'halfOpen' then return {state, failures, probeUntil, now, epoch} end
  if state == 'open' then return {state, failures, openUntil, now, epoch} end
  return {state, failures, 0, now, epoch}
end
if ARGV[3] == 'success' then
  save('closed', 0, 0, 0)
  publish('closed', 0)
  return {'closed', 0, 0, now, epoch}
end
openUntil = now + tonumber(ARGV[4])
save('open', failures + 1, openUntil, 0)
publish('open', openUntil)
return {'open', failures + 1, openUntil, now, epoch}`;

/**
 * ARGV: channel, name, target ('open' | 'closed' | 'sync'), resetTimeoutMs, remainingOpenMs.
 * open/closed: forced by an operator. sync: after Redis came back, a worker that opened the
 * circuit in memory keeps it open (never throws away an open state): opens with what was left.
 */
export const FORCE = `${HEAD}
if ARGV[3] == 'closed' then
  save('closed', 0, 0, 0)
  publish('closed', 0)
  return {'closed', 0, 0, now, epoch}
end
if ARGV[3] == 'sync' then
  local want = now + tonumber(ARGV[5])
  if state == 'open' and openUntil >= want then return {state, failures, openUntil, now, epoch} end
  if state == 'halfOpen' then return {state, failures, probeUntil, now, epoch} end
  save('open', failures, want, 0)
  publish('open', want)
  return {'open', failures, want, now, epoch}
end
openUntil = now + tonumber(ARGV[4])
save('open', failures, openUntil, 0)
publish('open', openUntil)
return {'open', failures, openUntil, now, epoch}`;

/** The scripts, defined once: `EVALSHA`, and `EVAL` when Redis answers `NOSCRIPT`. */
export const SCRIPTS = Object.freeze({
  read: defineScript(READ, { numberOfKeys: 1 }),
  failure: defineScript(FAILURE, { numberOfKeys: 1 }),
  success: defineScript(SUCCESS, { numberOfKeys: 1 }),
  acquireProbe: defineScript(ACQUIRE_PROBE, { numberOfKeys: 1 }),
  probeResult: defineScript(PROBE_RESULT, { numberOfKeys: 1 }),
  force: defineScript(FORCE, { numberOfKeys: 1 }),
});
