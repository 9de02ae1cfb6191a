import { strykerConfig } from '../../scripts/stryker-base.mjs';

// Mutation testing of @resil/core with StrykerJS 9 (issue #23). Run from the repository root:
//   npx stryker run packages/core/stryker.config.mjs --concurrency 1
// Unit tests only (jest.unit.config.cjs: no Redis, one entry file, test/mutation/all-unit.ts).
// The Redis parts (redis/bounded.ts, clients.ts, subscribe.ts, node-redis.ts, script.ts) are
// mutated too: what only the Redis integration suites (test/integration) exercise shows up as
// "no coverage" here, which is the honest figure for a unit-level run.
export default strykerConfig({
  pkg: 'core',
  jestConfig: 'jest.unit.config.cjs',
  mutate: [
    'packages/core/src/**/*.ts',
    '!packages/core/src/index.ts',
    '!packages/core/src/**/types.ts',
  ],
  incrementalFile: 'packages/core/stryker-incremental.json',
  // Module-level tables and patterns (83 mutants) each need the whole suite: on the shared 2-core
  // machine they took half the run. As in breaker, idempotency, ratelimit and safe-log.
  ignoreStatic: true,
});
