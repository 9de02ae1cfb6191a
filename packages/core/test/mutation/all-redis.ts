// Mutation testing only (jest.mutation.redis.config.cjs, RESIL_MUTATION_PART=redis): one Jest
// test file that loads every unit test and the Redis integration suites that exercise
// redis/bounded.ts, clients.ts and node-redis.ts, so that each mutant run sets up the environment
// and loads the sources once. Not matched by the ordinary Jest config (no .test.ts suffix).
import fs from 'node:fs';
import path from 'node:path';
import { installMutationBail } from './bail';

// In a mutant run: skip every test after the first failure (one failing test kills the mutant),
// and give each test 10 s instead of 30 (the Redis tests take well under a second each; hooks
// that start a private cluster set their own, longer time-out).
installMutationBail();
if (process.env.__STRYKER_ACTIVE_MUTANT__ !== undefined) jest.setTimeout(10_000);

const INTEGRATION = [
  'bounded.redis.test.ts',
  'clients.redis.test.ts',
  'scripts.redis.test.ts',
  'subscribe.redis.test.ts',
];
const unit = path.join(__dirname, '..', 'unit');
for (const file of fs.readdirSync(unit).sort()) {
  if (!file.endsWith('.test.ts') || file.endsWith('.cost.test.ts')) continue;
  require(path.join(unit, file));
}
for (const file of INTEGRATION) require(path.join(__dirname, '..', 'integration', file));
