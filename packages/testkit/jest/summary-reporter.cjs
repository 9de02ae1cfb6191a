// Writes this workspace's totals to <repo>/.test-results/<name>.json so that the root
// `npm test` can print one closing line for the whole monorepo (scripts/test-summary.mjs).
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const repo = path.resolve(__dirname, '..', '..', '..');
    const name = require(path.join(this.rootDir, 'package.json')).name;
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
