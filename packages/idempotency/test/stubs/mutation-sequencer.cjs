// Test order under mutation testing only (jest.mutation.config.cjs): Stryker stops a mutant's
// run at the first failing test file, so the files that pin the most behaviour per second run
// first (Jest's default order puts the slowest file first).
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = [
  'contract.test.ts',
  'flow.test.ts',
  'middleware.test.ts',
  'memory-store.contract.test.ts',
  'parse.test.ts',
];
const rank = (path) => {
  const i = FIRST.findIndex((name) => path.endsWith(`/${name}`));
  return i < 0 ? FIRST.length : i;
};

module.exports = class MutationSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  }
};
