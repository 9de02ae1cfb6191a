// Mutation testing of @resil/breaker with StrykerJS 9. Run from the repository root:
//   npx stryker run packages/breaker/stryker.config.mjs   (or: npm run test:mutation:breaker)
// Needs the test Redis at REDIS_URL (default redis://127.0.0.1:6379): the tests it runs are listed
// in jest.mutation.config.cjs (unit tests, and the in-process tests on the shared Redis under a
// unique prefix). The sandbox copies only this package, the test helpers and the shared Jest base
// config; node_modules is symlinked.

const src = (f) => `packages/breaker/src/${f}`;
// RESIL_MUTATION_PART runs one part while tests are being added (each part keeps its own
// incremental file and report): 'redis-link' (src/stores/redis-link.ts: the subscriber and the
// circuits of one client; the bounded Redis call itself is @resil/core's), 'circuit'
// (src/circuit.ts), 'rest' (breaker.ts, errors.ts, stores/scripts.ts). @resil/core is reached
// through the symlinked node_modules (its sources, by the "@resil/source" condition) and is not
// mutated here. The score in the README is
// always a run of 'all' (the default: every source file but index.ts).
const PARTS = {
  all: [src('**/*.ts'), `!${src('index.ts')}`],
  'redis-link': [src('stores/redis-link.ts')],
  circuit: [src('circuit.ts')],
  rest: [src('breaker.ts'), src('errors.ts'), src('stores/scripts.ts')],
};
const part = process.env.RESIL_MUTATION_PART ?? 'all';
if (!(part in PARTS)) throw new RangeError(`RESIL_MUTATION_PART: one of ${Object.keys(PARTS)}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'packages/breaker/jest.mutation.config.cjs',
    enableFindRelatedTests: false,
  },
  // index.ts only re-exports.
  mutate: PARTS[part],
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants: KNOWN options, ERROR_CODES, the Lua scripts) would each
  // need the whole suite; they are not run and not counted. The scripts are pinned by
  // test/integration/inproc.redis.test.ts (hash fields after each transition).
  ignoreStatic: true,
  // A 2-core machine shared with others: two test runners at most.
  concurrency: 2,
  // On a loaded machine a slow run must not pass for a timeout (which counts as killed).
  timeoutMS: 20_000,
  incremental: true,
  incrementalFile: `packages/breaker/reports/stryker-incremental-${part}.json`,
  tempDirName: 'packages/breaker/.stryker-tmp',
  ignorePatterns: [
    '/*',
    '!/package.json',
    '!/tsconfig.base.json',
    '!/jest.config.base.cjs',
    '!/packages',
    '/packages/*',
    '!/packages/breaker',
    '!/packages/testkit',
    '/packages/breaker/dist',
    '/packages/breaker/reports',
    '/packages/breaker/.turbo',
  ],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `packages/breaker/reports/mutation/${part}.html` },
  jsonReporter: { fileName: `packages/breaker/reports/mutation/${part}.json` },
  thresholds: { high: 90, low: 80, break: 80 },
};
