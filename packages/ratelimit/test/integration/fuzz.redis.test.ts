// Issue #23: the inbound middleware fuzzed over HTTP with counters in the real test Redis (shared
// server, this file's own key prefix, a fresh one per case). Properties: test/fuzz/harness.ts.
// FUZZ_RUNS=2000 for more.
import { useRedis } from '@resil/testkit';
import { fuzzProperty } from '../fuzz/harness';

const r = useRedis('ratelimit-fuzz');
let seq = 0;

describe('#23 fuzzing (Redis store)', () => {
  it('random and hostile requests: never a 5xx or a hang, nothing reflected, valid 429 headers, at most points per key', async () => {
    // storeTimeoutMs: a loaded machine must not send a request to the in-memory insurance
    await fuzzProperty(() => ({
      redis: r.redis,
      keyPrefix: `${r.prefix}${++seq}:`,
      storeTimeoutMs: 5_000,
    }));
  });
});
