// Mutation testing only (jest.mutation.config.cjs): one Jest test file that loads the unit tests
// (memory semaphore) and the shared-Redis suite (test/integration/shared.redis.test.ts, on the
// Redis that REDIS_URL names, every test under its own key prefix, nothing flushed), so that each
// mutant run sets up the environment and loads the sources once. Left out: the outage suite (it
// stops and restarts a private redis-server) and the workers suite (it forks processes), both
// seconds per test. Not matched by the ordinary Jest config (no .test.ts suffix).
import fs from 'node:fs';
import path from 'node:path';
import { installMutationBail } from './bail';

// In a mutant run: skip every test after the first failure (one failing test kills the mutant),
// and give each test 10 s instead of 30 (a mutant that leaves a promise unsettled is then killed
// by a timeout soon instead of holding the runner).
installMutationBail();
if (process.env.__STRYKER_ACTIVE_MUTANT__ !== undefined) jest.setTimeout(10_000);

// RESIL_MUTATION_TESTS=memory loads only test/unit/memory.test.ts: the unit-level run (no Redis),
// whose score is a lower bound for the Redis part (its mutants count as surviving or uncovered).
const only = process.env.RESIL_MUTATION_TESTS?.split(',').map((n) => `${n.trim()}.test.ts`);
const files = [
  ...fs
    .readdirSync(path.join(__dirname, '..', 'unit'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join('unit', f)),
  path.join('integration', 'shared.redis.test.ts'),
];
for (const file of files.sort()) {
  if (only && !only.includes(path.basename(file))) continue;
  require(path.join(__dirname, '..', file));
}
