import { strykerConfig } from '../../scripts/stryker-base.mjs';

// Mutation testing of @resil/safe-log with StrykerJS 9. Run from the repository root:
//   npx stryker run packages/safe-log/stryker.config.mjs --concurrency 1
// (CI: `npm run test:mutation:ci`, scripts/mutation-ci.mjs, with --concurrency 2.)
// The sandbox copies only this package, the testkit and the shared Jest base config; node_modules
// is symlinked. The tests each mutant runs are listed in jest.mutation.config.cjs.
// Property tests (fast-check) run at most this many cases per property for each mutant: the
// existing tests set numRuns themselves, so jest.mutation.config.cjs maps `fast-check` to
// test/mutation/fast-check.ts, which caps numRuns at this value.
process.env.RESIL_FC_MAX_RUNS ??= '25';
// names-regressions.test.ts checks every faker name of 45 locales (40,661 names, about 35 s of
// CPU); under mutation testing every 101st (421 names; the regression cases there are all run).
// At every 10th it was still about 80 % of the covering tests' time of a rules or redactor mutant.
// 101 shares no factor with the 14 labels and 6 endings the names rotate through, so every label
// and every ending still comes up (every 10th used 7 labels and 3 endings).
process.env.RESIL_NAMES_STRIDE ??= '101';

// RESIL_MUTATION_PART runs one part, with its own incremental file under reports/ (not committed):
// on a loaded machine the whole package takes over an hour at concurrency 1, and a part's report
// is written when that part ends. Unset (CI): the whole package, with the committed
// stryker-incremental.json.
const src = (f) => `packages/safe-log/src/${f}`;
const PARTS = {
  // The logger, its winston format, the request logger and the log context.
  logger: [src('safe-logger.ts'), src('format.ts'), src('request-logger.ts'), src('context.ts')],
  redactor: [src('redactor.ts')],
  // The rules and the scanners of src/internal (names, HL7, drivers, key: value, labels, addresses).
  rules: [src('rules.ts'), src('internal/*.ts')],
};
const part = process.env.RESIL_MUTATION_PART;

export default strykerConfig({
  pkg: 'safe-log',
  jestConfig: 'jest.mutation.config.cjs',
  mutate: PARTS[part] ?? [
    'packages/safe-log/src/**/*.ts',
    // Re-exports only.
    '!packages/safe-log/src/index.ts',
  ],
  // Committed, so CI re-runs only the mutants whose code or covering tests changed.
  incrementalFile: PARTS[part]
    ? `packages/safe-log/reports/stryker-incremental-${part}.json`
    : 'packages/safe-log/stryker-incremental.json',
  report: PARTS[part] ? part : 'mutation',
  testkit: true,
  // Static mutants (module-level tables and patterns: SENSITIVE_KEYS, DEFAULT_PATTERNS sources,
  // label lists, the compiled regular expressions) would each need the whole suite; they are not
  // run and not counted in the score.
  ignoreStatic: true,
});
