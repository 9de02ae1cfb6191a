import { strykerConfig } from '../../scripts/stryker-base.mjs';

// Mutation testing of @resil/core with StrykerJS 9 (issue #23). Run from the repository root:
//   npx stryker run packages/core/stryker.config.mjs --concurrency 1
// Unit tests only (jest.unit.config.cjs: no Redis, one entry file, test/mutation/all-unit.ts).
// The Redis parts (redis/bounded.ts, clients.ts, subscribe.ts, node-redis.ts, script.ts) are
// mutated too: what only the Redis integration suites (test/integration) exercise shows up as
// "no coverage" here, which is the honest figure for a unit-level run.
//
// RESIL_MUTATION_PART=redis runs the Redis-backed part instead (issue #23): only redis/bounded.ts,
// redis/clients.ts and redis/node-redis.ts, against the unit tests plus the Redis integration
// suites (jest.mutation.redis.config.cjs, entry file test/mutation/all-redis.ts; the shared Redis
// at REDIS_URL under unique prefixes, private redis-servers from @resil/testkit for the tests that
// pause or stop Redis). Its incremental file and report live under packages/core/reports/ (not
// committed); the committed stryker-incremental.json stays the unit-level run.
//   RESIL_MUTATION_PART=redis npx stryker run packages/core/stryker.config.mjs --concurrency 1
const part = process.env.RESIL_MUTATION_PART;
if (part !== undefined && part !== 'redis') {
  throw new RangeError('RESIL_MUTATION_PART: unset (unit-level run) or redis');
}

const redisPart = {
  pkg: 'core',
  jestConfig: 'jest.mutation.redis.config.cjs',
  mutate: [
    'packages/core/src/redis/bounded.ts',
    'packages/core/src/redis/clients.ts',
    'packages/core/src/redis/node-redis.ts',
  ],
  incrementalFile: 'packages/core/reports/stryker-incremental-redis.json',
  report: 'redis',
  testkit: true,
  ignoreStatic: true,
};

export default strykerConfig(
  part === 'redis'
    ? redisPart
    : {
        pkg: 'core',
        jestConfig: 'jest.unit.config.cjs',
        mutate: [
          'packages/core/src/**/*.ts',
          '!packages/core/src/index.ts',
          '!packages/core/src/**/types.ts',
        ],
        incrementalFile: 'packages/core/stryker-incremental.json',
        // Module-level tables and patterns (83 mutants) each need the whole suite: on the shared
        // 2-core machine they took half the run. As in breaker, idempotency, ratelimit and safe-log.
        ignoreStatic: true,
      },
);
