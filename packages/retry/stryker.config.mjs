import { strykerConfig } from '../../scripts/stryker-base.mjs';

// Mutation testing of @resil/retry with StrykerJS 9. Run from the repository root:
//   npx stryker run packages/retry/stryker.config.mjs      (or: npm run test:mutation)
// The sandbox copies only what the unit tests need (this package and the shared Jest base config);
// node_modules is symlinked, so @resil/core resolves to the workspace (its TypeScript sources, through
// the "@resil/source" export condition) as usual.
// Property tests (fast-check) run at most this many cases per property for each mutant.
process.env.RESIL_FC_MAX_RUNS ??= '50';

export default strykerConfig({
  pkg: 'retry',
  jestConfig: 'jest.unit.config.cjs',
  mutate: ['packages/retry/src/**/*.ts', '!packages/retry/src/index.ts'],
  incrementalFile: 'packages/retry/stryker-incremental.json',
});
