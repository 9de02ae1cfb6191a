// Mutation testing only (jest.unit.config.cjs): one Jest test file that loads every unit test
// file, so that each mutant run sets up the environment and loads the sources once instead of
// once per file. Not matched by the ordinary Jest config (no .test.ts suffix).
import fs from 'node:fs';
import path from 'node:path';
import { installMutationBail } from './bail';

// In a mutant run: skip every test after the first failure (one failing test kills the mutant), and
// give each test 5 s instead of 30 (the unit tests take milliseconds; a mutant that leaves a promise
// unsettled is then killed by a timeout at once instead of holding the runner).
installMutationBail();
if (process.env.__STRYKER_ACTIVE_MUTANT__ !== undefined) jest.setTimeout(5_000);

// RESIL_MUTATION_TESTS=problem,keys loads only those unit files: a faster partial run whose
// score is a lower bound (a mutant another file's tests would kill counts as surviving).
const only = process.env.RESIL_MUTATION_TESTS?.split(',').map((n) => `${n.trim()}.test.ts`);
const unit = path.join(__dirname, '..', 'unit');
for (const file of fs.readdirSync(unit).sort()) {
  if (!file.endsWith('.test.ts') || file.endsWith('.cost.test.ts')) continue;
  if (only && !only.includes(file)) continue;
  require(path.join(unit, file));
}
