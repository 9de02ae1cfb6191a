import { strykerConfig } from '../../scripts/stryker-base.mjs';

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

export default strykerConfig({
  pkg: 'ratelimit',
  jestConfig: 'jest.unit.config.cjs',
  mutate: PARTS[part] ?? PARTS.all,
  incrementalFile: `packages/ratelimit/reports/stryker-incremental-${part}.json`,
  report: part,
  testkit: true,
  // Static mutants (module-level tables and patterns) would each need the whole suite.
  ignoreStatic: true,
  timeoutMS: 20_000,
});
