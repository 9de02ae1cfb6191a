import { strykerConfig } from '../../scripts/stryker-base.mjs';

// Mutation testing of @resil/bulkhead with StrykerJS 9 (issue #23). Run by hand from the repository
// root (it needs Redis: REDIS_URL, or 127.0.0.1:6379, or a redis-server the tests start):
//   npx stryker run packages/bulkhead/stryker.config.mjs --concurrency 1
// The tests: test/unit (memory semaphore) and test/integration/shared.redis.test.ts (the Redis
// semaphore, each test under its own key prefix), loaded by test/mutation/all.ts.
export default strykerConfig({
  pkg: 'bulkhead',
  jestConfig: 'jest.mutation.config.cjs',
  mutate: ['packages/bulkhead/src/**/*.ts', '!packages/bulkhead/src/index.ts'],
  incrementalFile: 'packages/bulkhead/stryker-incremental.json',
  testkit: true,
  // The KNOWN option list and the Lua scripts are module-level: each static mutant would need
  // every test, Redis ones included.
  ignoreStatic: true,
});
