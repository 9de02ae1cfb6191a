// Shared Jest settings for every workspace. Each workspace's jest.config.cjs is one line:
//   module.exports = require('../../jest.config.base.cjs')(__dirname);
// Tests run on the TypeScript sources (the "@resil/source" export condition), so `npm test`
// in one package never needs another package to be built first.
const path = require('node:path');

const testkitJest = path.join(__dirname, 'packages', 'testkit', 'jest');

// RESIL_EXPRESS=4 runs a suite on Express 4 (the `express4` npm alias in the root devDependencies):
// every `require('express')` inside Jest resolves to it. Worker processes a test starts are not
// under Jest and keep Express 5.
const expressMapper = process.env.RESIL_EXPRESS === '4' ? { '^express$': 'express4' } : {};

/** @param {string} dir the workspace folder */
module.exports = (dir, overrides = {}) => ({
  rootDir: dir,
  displayName: require(path.join(dir, 'package.json')).name,
  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['@resil/source', 'node', 'node-addons'] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // A Stryker run in progress keeps sandboxes (copies of packages) under <rootDir>/.stryker-tmp:
  // without this, Jest in the same package fails with "several files provide @resil/testkit".
  // (Inside a sandbox, rootDir is the sandbox's own package folder, which has no .stryker-tmp.)
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          target: 'es2022',
          transform: { decoratorVersion: '2022-03' },
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  globalSetup: path.join(testkitJest, 'global-setup.cjs'),
  globalTeardown: path.join(testkitJest, 'global-teardown.cjs'),
  reporters: ['default', path.join(testkitJest, 'summary-reporter.cjs')],
  testTimeout: 30_000,
  ...overrides,
  moduleNameMapper: { ...expressMapper, ...(overrides.moduleNameMapper ?? {}) },
});
