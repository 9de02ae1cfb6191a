import { strykerConfig } from '../../scripts/stryker-base.mjs';

// Mutation testing of @resil/idempotency with StrykerJS 9. Run from the repository root:
//   npx stryker run packages/idempotency/stryker.config.mjs   (or: npm run test:mutation:idempotency)
// Needs the test Redis at REDIS_URL (default redis://127.0.0.1:6379): the tests it runs are listed
// in jest.mutation.config.cjs (unit tests, and the in-process Redis tests under unique prefixes).
// The sandbox copies only this package, the test helpers and the shared Jest base config;
// node_modules is symlinked.
// Property tests (fast-check, the fuzzers) run at most this many cases per property per mutant.
process.env.RESIL_FC_MAX_RUNS ??= '10';
// One part at a time (see jest.mutation.config.cjs): RESIL_MUTATION_PART=store, parsing, flow or issue20.
// The three parts together mutate every file of src except index.ts (it only re-exports), and
// every line of middleware.ts: parsing takes the parsers' lines, flow all the others.
const part = process.env.RESIL_MUTATION_PART;
const src = 'packages/idempotency/src';
const MUTATE = {
  store: [`${src}/store.ts`, `${src}/errors.ts`],
  // target, then parseIdempotencyKey and canonicalJson
  parsing: [`${src}/middleware.ts:163-171`, `${src}/middleware.ts:201-277`],
  // the request flow: options, claim, replay, 409/422/415/503, response capture, renewal, close;
  // and the Lua scripts (module-level strings only: static mutants, see ignoreStatic)
  flow: [
    `${src}/middleware.ts:1-162`,
    `${src}/middleware.ts:172-200`,
    `${src}/middleware.ts:278-705`,
    `${src}/events.ts`,
    `${src}/scripts.ts`,
  ],
  // #20: encryption at rest, the shared record options, makeIdempotent
  issue20: [`${src}/crypto.ts`, `${src}/common.ts`, `${src}/function.ts`],
};
if (part !== undefined && !(part in MUTATE))
  throw new RangeError('RESIL_MUTATION_PART must be store, parsing, flow, issue20 or unset');
const suffix = part ? `-${part}` : '';

export default strykerConfig({
  pkg: 'idempotency',
  jestConfig: 'jest.mutation.config.cjs',
  mutate: MUTATE[part] ?? [`${src}/**/*.ts`, `!${src}/index.ts`],
  incrementalFile: `packages/idempotency/reports/stryker-incremental${suffix}.json`,
  report: `mutation${suffix}`,
  testkit: true,
  // Static mutants (module-level tables and patterns) would each need the whole suite.
  ignoreStatic: true,
  timeoutMS: 20_000,
});
