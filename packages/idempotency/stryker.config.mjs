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
// The four parts together mutate every file of src except index.ts (it only re-exports), each file
// in exactly one part, and every line of middleware.ts: parsing takes the parsers' lines, flow all
// the others. The line ranges are those of middleware.ts as of 3 December 2026 (after #18 and #20):
// move them with the code (a mutant counts only where it lies wholly inside one range).
const part = process.env.RESIL_MUTATION_PART;
const src = 'packages/idempotency/src';
export const MUTATE = {
  store: [`${src}/store.ts`, `${src}/errors.ts`],
  // target (135-147), then parseIdempotencyKey, canonicalJson's work-stack classes and
  // canonicalJson (177-253)
  parsing: [`${src}/middleware.ts:135-147`, `${src}/middleware.ts:177-253`],
  // the request flow: options, hasBody/bodyUnread/bodyOf, defaultScope, idempotencyKeyFor, claim,
  // replay, 409/422/415/503, response capture, close; the lease renewal (renewal.ts, also used by
  // makeIdempotent); the Lua scripts (module-level strings only: static mutants, see
  // ignoreStatic); events.ts (types only: no mutants)
  flow: [
    `${src}/middleware.ts:1-134`,
    `${src}/middleware.ts:148-176`,
    `${src}/middleware.ts:254-643`,
    `${src}/renewal.ts`,
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
