#!/usr/bin/env node
// CI's mutation run (issue #23): StrykerJS on the unit-level packages, incrementally. Each package's
// config points `incrementalFile` at a committed `stryker-incremental.json`, so CI re-tests only the
// mutants whose code or covering tests changed since that file was written, and fails (Stryker's
// `thresholds.break`, 80) when a package's score drops below 80 %. The Redis-backed packages run
// their mutation suites by hand (their READMEs give the commands and the scores).
//   node scripts/mutation-ci.mjs [package ...] [--stryker-flag ...]   (default: the packages in UNIT_LEVEL)
// Flags are passed on to every Stryker run (scripts/run-doc-commands.mjs adds `--dryRunOnly`).
// safe-log joins UNIT_LEVEL once its committed incremental file covers every part of the package
// (today only its logger part has been run: a CI run would mutate the redactor from scratch).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const UNIT_LEVEL = ['retry', 'sanitize'];
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
const named = args.filter((a) => !a.startsWith('-'));
const wanted = named.length > 0 ? named : UNIT_LEVEL;

let failed = 0;
for (const pkg of wanted) {
  const config = path.join('packages', pkg, 'stryker.config.mjs');
  if (!fs.existsSync(path.join(root, config))) {
    console.error(`mutation-ci: ${config} is missing`);
    failed++;
    continue;
  }
  const started = Date.now();
  console.log(`\n== mutation: @resil/${pkg}`);
  const r = spawnSync('npx', ['stryker', 'run', config, '--concurrency', '2', ...flags], {
    cwd: root,
    stdio: 'inherit',
  });
  const s = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`== mutation: @resil/${pkg} ${r.status === 0 ? 'passed' : 'FAILED'} in ${s} s`);
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
