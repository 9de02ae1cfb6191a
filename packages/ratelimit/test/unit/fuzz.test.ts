// Issue #23: the inbound middleware fuzzed over HTTP, memory store. Properties:
// test/fuzz/harness.ts. FUZZ_RUNS=2000 for more.
import { fuzzProperty } from '../fuzz/harness';

describe('#23 fuzzing (memory store)', () => {
  it('random and hostile requests: never a 5xx or a hang, nothing reflected, valid 429 headers, at most points per key', async () => {
    await fuzzProperty(() => ({}));
  });
});
