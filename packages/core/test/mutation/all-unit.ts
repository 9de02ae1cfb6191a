// Mutation testing only (jest.unit.config.cjs): one Jest test file that loads every unit test
// file, so that each mutant run sets up the environment and loads the sources once instead of
// once per file. Not matched by the ordinary Jest config (no .test.ts suffix).
import fs from 'node:fs';
import path from 'node:path';

// RESIL_MUTATION_TESTS=problem,keys loads only those unit files: a faster partial run whose
// score is a lower bound (a mutant another file's tests would kill counts as surviving).
const only = process.env.RESIL_MUTATION_TESTS?.split(',').map((n) => `${n.trim()}.test.ts`);
const unit = path.join(__dirname, '..', 'unit');
for (const file of fs.readdirSync(unit).sort()) {
  if (!file.endsWith('.test.ts') || file.endsWith('.cost.test.ts')) continue;
  if (only && !only.includes(file)) continue;
  require(path.join(unit, file));
}
