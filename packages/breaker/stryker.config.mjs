import { strykerConfig } from '../../scripts/stryker-base.mjs';

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
// (src/circuit.ts), 'rest' (breaker.ts, errors.ts, settings.ts, stores/scripts.ts): together the
// parts cover 'all'. @resil/core is reached
// through the symlinked node_modules (its sources, by the "@resil/source" condition) and is not
// mutated here. The score in the README is
// always a run of 'all' (the default: every source file but index.ts).
const PARTS = {
  all: [src('**/*.ts'), `!${src('index.ts')}`],
  'redis-link': [src('stores/redis-link.ts')],
  circuit: [src('circuit.ts')],
  rest: [src('breaker.ts'), src('errors.ts'), src('settings.ts'), src('stores/scripts.ts')],
};
const part = process.env.RESIL_MUTATION_PART ?? 'all';
if (!(part in PARTS)) throw new RangeError(`RESIL_MUTATION_PART: one of ${Object.keys(PARTS)}`);

export default strykerConfig({
  pkg: 'breaker',
  jestConfig: 'jest.mutation.config.cjs',
  mutate: PARTS[part],
  incrementalFile: `packages/breaker/reports/stryker-incremental-${part}.json`,
  report: part,
  testkit: true,
  // Static mutants (module-level tables and patterns) would each need the whole suite.
  ignoreStatic: true,
  timeoutMS: 20_000,
});
