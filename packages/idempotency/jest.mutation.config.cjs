// The tests Stryker runs for each mutant (stryker.config.mjs). RESIL_MUTATION_PART picks a part
// (set by stryker.config.mjs from the same variable):
//   store    src/store.ts and src/errors.ts, with the store-level tests (memory store on a fake
//            clock, RedisStore on the shared test Redis under its own prefix, errors) and the store
//            contract (test/store-contract.ts on the memory store and on the shared Redis, plain
//            and encrypted) and waitForReplicas on a stand-in node-redis client
//   parsing  the request parsers in src/middleware.ts (target, parseIdempotencyKey,
//            canonicalJson), with the tests that call them directly: parse, issue23 (canonicalJson,
//            deep bodies), fuzz (parseIdempotencyKey's properties, hostile requests over HTTP) and
//            middleware (its helpers test; its requests pass through every parser)
//   flow     the rest of src/middleware.ts (options, the request flow), src/renewal.ts and
//            src/scripts.ts, with the tests that send requests through the middleware (memory
//            store, stub stores, and the shared test Redis under unique prefixes for the Redis-only
//            options); not the fuzzers nor the deep-body tests (they pin hostile input, the parsing
//            part's ground, and would double the time of every mutant of the flow)
//   issue20  src/crypto.ts, src/common.ts, src/function.ts (#20) with their unit tests and the
//            store contract (memory and Redis, plain and encrypted)
//   (unset)  the whole package with every test below (over an hour on a shared 2-core machine)
// Never run: the tests that start worker processes or their own redis-server (shared, outage,
// replicas, paused, events.redis, encryption.redis, node-redis, make-idempotent.redis),
// issue16.redis.test.ts (its #16.1 holds leases for 3 s per mutant), fuzz.redis (the memory-store
// fuzzer's properties) and the linear-cost test (it measures time). A 5 s test timeout: a mutant
// that makes a request hang fails fast. No global setup (the shared Redis must be up) and no
// summary reporter (it would write totals from inside a mutant sandbox).
const PARTS = {
  store: [
    '<rootDir>/test/unit/memory-store.test.ts',
    '<rootDir>/test/unit/memory-store.contract.test.ts',
    '<rootDir>/test/unit/errors.test.ts',
    '<rootDir>/test/integration/store.redis.test.ts',
    '<rootDir>/test/unit/store-contract.memory.test.ts',
    '<rootDir>/test/integration/store-contract.redis.test.ts',
    '<rootDir>/test/unit/node-redis-wait.test.ts',
  ],
  parsing: [
    '<rootDir>/test/unit/parse.test.ts',
    '<rootDir>/test/unit/issue23.test.ts',
    '<rootDir>/test/unit/fuzz.test.ts',
    '<rootDir>/test/unit/middleware.test.ts',
  ],
  flow: [
    '<rootDir>/test/unit/middleware.test.ts',
    '<rootDir>/test/unit/contract.test.ts',
    '<rootDir>/test/unit/flow.test.ts',
    '<rootDir>/test/integration/flow.redis.test.ts',
  ],
  issue20: [
    '<rootDir>/test/unit/issue20.test.ts',
    '<rootDir>/test/unit/store-contract.memory.test.ts',
    '<rootDir>/test/integration/store-contract.redis.test.ts',
  ],
};
const part = process.env.RESIL_MUTATION_PART;
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: PARTS[part] ?? [
    '<rootDir>/test/unit/**/*.test.ts',
    '<rootDir>/test/integration/store.redis.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '\\.cost\\.test\\.ts$'],
  testTimeout: 5_000,
  globalSetup: undefined,
  globalTeardown: undefined,
  reporters: ['default'],
  testSequencer: '<rootDir>/test/stubs/mutation-sequencer.cjs',
});
