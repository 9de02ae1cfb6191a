#!/usr/bin/env node
// Merges the incremental reports of the parts (RESIL_MUTATION_PART=logger|redactor|rules, each in
// reports/stryker-incremental-<part>.json) into stryker-incremental.json, the file the whole-package
// run (CI) reads: the union of the mutated files, and of the tests (ids renumbered, each mutant's
// coveredBy and killedBy mapped by the test's name and location). A part without a report is left
// out: the next whole-package run tests its mutants and writes the complete file. Run from the
// repository root:
//   node packages/safe-log/test/mutation/merge-incremental.mjs
import fs from 'node:fs';
import path from 'node:path';

const pkg = path.join(import.meta.dirname, '..', '..');
const PARTS = ['logger', 'redactor', 'rules'];
const all = PARTS.map((p) => path.join(pkg, 'reports', `stryker-incremental-${p}.json`));
const reports = all.filter((f) => fs.existsSync(f));
for (const f of all)
  if (!reports.includes(f))
    console.warn(`merge-incremental: no ${path.relative(pkg, f)}, left out`);
if (reports.length === 0) process.exit(1);

const testKey = (file, t) =>
  `${file}@${t.location?.start.line}:${t.location?.start.column}\n${t.name}`;
let merged;
const testIds = new Map(); // key -> new id
const testFiles = {};
for (const file of reports) {
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const oldToNew = new Map();
  for (const [name, tf] of Object.entries(report.testFiles ?? {})) {
    testFiles[name] ??= { ...tf, tests: [] };
    if (tf.source !== testFiles[name].source) {
      console.error(`merge-incremental: ${name} differs between the parts: run them again`);
      process.exit(1);
    }
    for (const t of tf.tests) {
      const key = testKey(name, t);
      let id = testIds.get(key);
      if (id === undefined) {
        id = String(testIds.size);
        testIds.set(key, id);
        testFiles[name].tests.push({ ...t, id });
      }
      oldToNew.set(t.id, id);
    }
  }
  const map = (ids) => ids?.map((id) => oldToNew.get(id)).filter((id) => id !== undefined);
  merged ??= { ...report, files: {} };
  for (const [name, f] of Object.entries(report.files)) {
    merged.files[name] = {
      ...f,
      mutants: f.mutants.map((m) => ({
        ...m,
        coveredBy: map(m.coveredBy),
        killedBy: map(m.killedBy),
      })),
    };
  }
}
// Mutant ids unique over the merged files.
let next = 0;
for (const f of Object.values(merged.files)) for (const m of f.mutants) m.id = String(next++);
merged.testFiles = testFiles;
const out = path.join(pkg, 'stryker-incremental.json');
fs.writeFileSync(out, JSON.stringify(merged));
console.log(
  `merge-incremental: ${Object.keys(merged.files).length} files, ${next} mutants, ${testIds.size} tests -> ${path.relative(process.cwd(), out)}`,
);
