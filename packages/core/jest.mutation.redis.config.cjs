// The Redis-backed part of core's mutation run (stryker.config.mjs, RESIL_MUTATION_PART=redis):
// one Jest file, test/mutation/all-redis.ts, loads every unit test and the Redis integration
// suites that exercise redis/bounded.ts, clients.ts and node-redis.ts (bounded.redis,
// clients.redis, scripts.redis, subscribe.redis: the shared Redis at REDIS_URL, default
// redis://127.0.0.1:6379, under unique prefixes; private redis-servers and clusters from
// @resil/testkit where a test pauses or stops Redis). Left out: builds.test.ts (whole builds) and
// quit-connecting.redis (its clients live in forked processes, which Stryker's per-test coverage
// does not see). No global setup (the shared Redis must be up) and no summary reporter (it would
// write totals from inside a mutant sandbox).
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: ['<rootDir>/test/mutation/all-redis.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
  reporters: ['default'],
});
