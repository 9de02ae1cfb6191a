// Mutation testing only (jest.unit.config.cjs): one Jest test file that loads every unit test file
// except the linear-cost ones and the fuzzer (seconds per run; the Redis one is not run either), so that each mutant run sets up the environment and loads the
// sources, fast-check and the helpers once instead of once per file. Not matched by the ordinary
// Jest config (no .test.ts suffix).
import fs from 'node:fs';
import path from 'node:path';

const unit = path.join(__dirname, '..', 'unit');
const files = fs
  .readdirSync(unit)
  .filter((f) => f.endsWith('.test.ts'))
  .sort();
if (files.length === 0) throw new Error('no unit test files found');
for (const file of files) {
  if (!file.endsWith('.cost.test.ts') && file !== 'fuzz.test.ts') require(path.join(unit, file));
}
