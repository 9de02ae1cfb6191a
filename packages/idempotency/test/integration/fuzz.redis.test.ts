// Issue #23: the middleware fuzzed over HTTP with records in the real test Redis (shared server,
// this file's own key prefix). Properties: test/fuzz/harness.ts. FUZZ_RUNS=2000 for more.
import { useRedis } from '@resil/testkit';
import { fuzzApp, fuzzProperty, runHostile } from '../fuzz/harness';

const r = useRedis('idempotency-fuzz');

describe('#23 fuzzing (Redis store)', () => {
  const make = () => fuzzApp({ redis: r.redis, keyPrefix: r.prefix, commandTimeoutMs: 2_000 });

  it('hostile fixed cases: no 5xx, nothing reflected, replays identical', async () => {
    await runHostile(make);
  });

  it('random requests: never a 5xx (but the documented 503), never a hang, nothing reflected, replays byte-identical', async () => {
    await fuzzProperty(make)();
  });
});
