import { strykerConfig } from '../../scripts/stryker-base.mjs';

// Mutation testing of @resil/sanitize with StrykerJS 9. Run from the repository root:
//   npx stryker run packages/sanitize/stryker.config.mjs   (or: npm run test:mutation:sanitize)
// The sandbox copies only what the unit tests need (this package and the shared Jest base config);
// node_modules is symlinked.
// Property tests (fast-check) run at most this many cases per property for each mutant.
process.env.RESIL_FC_MAX_RUNS ??= '100';

export default strykerConfig({
  pkg: 'sanitize',
  jestConfig: 'jest.unit.config.cjs',
  mutate: ['packages/sanitize/src/**/*.ts', '!packages/sanitize/src/index.ts'],
  incrementalFile: 'packages/sanitize/stryker-incremental.json',
});
