// Mutation testing of @resil/ratelimit with StrykerJS 9. Run from the repository root:
//   npx stryker run packages/ratelimit/stryker.config.mjs   (or: npm run test:mutation:ratelimit)
// Needs the test Redis at REDIS_URL (default redis://127.0.0.1:6379): the tests it runs are listed
// in jest.unit.config.cjs (unit tests, and the in-process Redis tests under a unique prefix).
// The sandbox copies only this package, the test helpers and the shared Jest base config;
// node_modules is symlinked.
// Property tests (fast-check, the fuzzer) run at most this many cases per property per mutant.
process.env.RESIL_FC_MAX_RUNS ??= '10';

const src = (f) => `packages/ratelimit/src/${f}`;
const PARTS = {
  all: [src('**/*.ts'), `!${src('index.ts')}`],
  small: [src('ip.ts'), src('errors.ts'), src('connection-losses.ts'), src('scripts.ts')],
  inbound: [src('inbound.ts')],
  outbound: [src('outbound.ts')],
};
const part = process.env.RESIL_MUTATION_PART ?? 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'packages/ratelimit/jest.unit.config.cjs',
    enableFindRelatedTests: false,
  },
  // index.ts only re-exports. On a loaded shared machine the whole package does not finish in an
  // hour; RESIL_MUTATION_PART runs one part: 'small' (ip, errors, connection-losses, scripts),
  // 'inbound', 'outbound' (the bounded Redis call, deadlines and option checks are @resil/core's
  // since #18).
  mutate: PARTS[part] ?? PARTS.all,
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants: KNOWN options, ERROR_CODES, the Lua scripts) would each
  // need the whole suite; they are not run and not counted in the score.
  ignoreStatic: true,
  // A 2-core machine shared with others: two test runners at most.
  concurrency: 2,
  timeoutMS: 20_000,
  incremental: true,
  incrementalFile: `packages/ratelimit/reports/stryker-incremental-${part}.json`,
  tempDirName: 'packages/ratelimit/.stryker-tmp',
  ignorePatterns: [
    '/*',
    '!/package.json',
    '!/tsconfig.base.json',
    '!/jest.config.base.cjs',
    '!/packages',
    '/packages/*',
    '!/packages/ratelimit',
    '!/packages/testkit',
    '/packages/ratelimit/dist',
    '/packages/ratelimit/reports',
    '/packages/ratelimit/.turbo',
  ],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `packages/ratelimit/reports/mutation/${part}.html` },
  jsonReporter: { fileName: `packages/ratelimit/reports/mutation/${part}.json` },
  thresholds: { high: 90, low: 80, break: 80 },
};
