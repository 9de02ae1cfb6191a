// fast-check for mutation runs only (jest.mutation.config.cjs maps `fast-check` here): the real
// module, with `assert` running at most RESIL_FC_MAX_RUNS cases per property (set by
// stryker.config.mjs), whatever numRuns the test asks for. Outside Stryker nothing maps here.
import path from 'node:path';
import type * as FastCheck from 'fast-check';

// Its CommonJS build by path, not the package name, so the moduleNameMapper entry does not map it
// back here (node_modules is the root's, symlinked into Stryker's sandbox).
const real: typeof FastCheck = require(
  path.join(
    __dirname,
    '..',
    '..',
    '..',
    '..',
    'node_modules',
    'fast-check',
    'lib',
    'cjs',
    'fast-check.js',
  ),
);
const cap = Number(process.env.RESIL_FC_MAX_RUNS) || Number.POSITIVE_INFINITY;

const assert: typeof FastCheck.assert = ((property: unknown, params?: { numRuns?: number }) =>
  (real.assert as (p: unknown, o?: object) => unknown)(property, {
    ...params,
    numRuns: Math.min(params?.numRuns ?? 100, cap),
  })) as typeof FastCheck.assert;

const capped = { ...real, assert };
module.exports = { ...capped, default: capped, __esModule: true };
