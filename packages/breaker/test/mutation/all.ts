// Mutation testing only (jest.mutation.config.cjs): one Jest test file that loads the unit tests
// and the in-process tests on the shared Redis, so that each mutant run sets up the environment
// and loads the sources once instead of once per file. Not matched by the ordinary Jest config
// (no .test.ts suffix). The tests that start worker processes or a redis-server per test
// (shared.redis, key-loss.redis, private.redis) are left out: too slow for every mutant.
// link.redis starts one redis-server of its own, only when a test of that block runs.
import fs from 'node:fs';
import path from 'node:path';

const FILES = [
  '../integration/inproc.redis.test.ts',
  '../integration/inproc-more.redis.test.ts',
  '../integration/link.redis.test.ts',
];
const unit = path.join(__dirname, '..', 'unit');
for (const file of fs.readdirSync(unit).sort()) {
  if (file.endsWith('.test.ts')) require(path.join(unit, file));
}
for (const file of FILES) require(path.join(__dirname, file));
