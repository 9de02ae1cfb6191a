// Writes this workspace's totals to <repo>/.test-results/<name>.json so that the root
// `npm test` can print one closing line for the whole monorepo (scripts/test-summary.mjs).
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  /** `options.label` tells apart two Jest configs of one workspace (e.g. the fault suite). */
  constructor(globalConfig, options) {
    this.rootDir = globalConfig.rootDir;
    this.label = options?.label;
  }

  onRunComplete(_contexts, results) {
    const repo = path.resolve(__dirname, '..', '..', '..');
    const pkg = require(path.join(this.rootDir, 'package.json')).name;
    // RESIL_TEST_LABEL (e.g. "node 24", "express 4") keeps a CI matrix row apart from the default run.
    const labels = [this.label, process.env.RESIL_TEST_LABEL].filter(Boolean).join(', ');
    const name = labels ? `${pkg} (${labels})` : pkg;
    const dir = path.join(repo, '.test-results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name.replace(/[^a-z0-9.-]+/gi, '_')}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        name,
        passed: results.numPassedTests,
        failed: results.numFailedTests,
        skipped: results.numPendingTests + results.numTodoTests,
        failedSuites: results.numFailedTestSuites + results.numRuntimeErrorTestSuites,
        suites: results.numTotalTestSuites,
      }),
    );
  }
}

module.exports = SummaryReporter;
