#!/usr/bin/env node
// Prints one closing line for the whole monorepo from what each workspace's Jest run wrote to
// .test-results/ (packages/testkit/jest/summary-reporter.cjs). `--reset` clears earlier results.
import fs from 'node:fs';
import path from 'node:path';

const dir = path.join(import.meta.dirname, '..', '.test-results');
if (process.argv.includes('--reset')) {
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const f of files.sort()) {
  const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  passed += r.passed;
  failed += r.failed + r.failedSuites;
  skipped += r.skipped;
  console.log(
    `  ${r.name.padEnd(28)} ${r.passed} passed, ${r.failed} failed in ${r.suites} suites`,
  );
}
if (files.length === 0) {
  console.log('tests: no workspace reported any test');
  process.exit(1);
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
