// The StrykerJS 9 settings every @resil package shares (issue #23: six configs repeated them).
// A package's stryker.config.mjs passes only what is its own: its Jest config, what to mutate,
// where its incremental file lives, whether the testkit goes into the sandbox.
// Run a package from the repository root: npx stryker run packages/<pkg>/stryker.config.mjs

/**
 * @param {object} o
 * @param {string} o.pkg the folder under packages/
 * @param {string} o.jestConfig the Jest config file of the mutation run, relative to the package
 * @param {string[]} o.mutate globs, relative to the repository root
 * @param {string} o.incrementalFile relative to the repository root
 * @param {string} [o.report] the report's file name, without extension @default 'mutation'
 * @param {boolean} [o.testkit] copy packages/testkit into the sandbox @default false
 * @param {boolean} [o.ignoreStatic] skip static mutants (module-level tables and patterns, each of
 *   which would need the whole suite) @default false
 * @param {number} [o.timeoutMS] @default 30_000
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function strykerConfig(o) {
  const dir = `packages/${o.pkg}`;
  const report = o.report ?? 'mutation';
  return {
    packageManager: 'npm',
    testRunner: 'jest',
    jest: {
      projectType: 'custom',
      configFile: `${dir}/${o.jestConfig}`,
      enableFindRelatedTests: false,
    },
    mutate: o.mutate,
    coverageAnalysis: 'perTest',
    ...(o.ignoreStatic ? { ignoreStatic: true } : {}),
    // A 2-core machine shared with others: two test runners at most.
    concurrency: 2,
    // Generous: on a loaded machine a slow run must not pass for a timeout (which counts as
    // killed); real infinite loops are stopped early by Stryker's hit limit.
    timeoutMS: o.timeoutMS ?? 30_000,
    incremental: true,
    incrementalFile: o.incrementalFile,
    tempDirName: `${dir}/.stryker-tmp`,
    // The sandbox holds the root configs, this package and (for some) the testkit; node_modules
    // is symlinked, so workspace packages resolve as usual.
    ignorePatterns: [
      '/*',
      '!/package.json',
      '!/tsconfig.base.json',
      '!/jest.config.base.cjs',
      '!/packages',
      '/packages/*',
      `!/${dir}`,
      ...(o.testkit ? ['!/packages/testkit', '/packages/testkit/dist'] : []),
      `/${dir}/dist`,
      `/${dir}/reports`,
      `/${dir}/stryker-incremental.json`,
      `/${dir}/.turbo`,
    ],
    reporters: ['clear-text', 'progress', 'html', 'json'],
    htmlReporter: { fileName: `${dir}/reports/mutation/${report}.html` },
    jsonReporter: { fileName: `${dir}/reports/mutation/${report}.json` },
    thresholds: { high: 90, low: 80, break: 80 },
  };
}
