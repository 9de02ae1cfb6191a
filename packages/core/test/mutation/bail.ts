// Mutation runs only (Stryker sets __STRYKER_ACTIVE_MUTANT__ for each mutant run): once a test has
// failed, the mutant is killed, so the tests after it are skipped instead of run. Jest's `bail`
// works per test file, and the mutation run loads every unit test into one file
// (test/mutation/all-unit.ts): without this, a mutant that leaves a promise unsettled makes every
// covering test wait for its timeout, one after the other, and the run ends as a Stryker timeout
// (30 s and a new test runner) instead of a kill in seconds. Ordinary runs are not affected.
type CircusEvent = { name: string; test?: { errors: unknown[]; mode?: string } };
type Handler = (event: CircusEvent) => void;

const INSTALLED = Symbol.for('@resil/core.mutation-bail');

export function installMutationBail(): void {
  if (process.env.__STRYKER_ACTIVE_MUTANT__ === undefined) return;
  const g = globalThis as Record<symbol, unknown>;
  const handlers = g[Symbol.for('EVENT_HANDLERS')] as Handler[] | undefined;
  if (handlers === undefined || g[INSTALLED] === true) return;
  g[INSTALLED] = true;
  let failed = false;
  handlers.push((event) => {
    if (event.test === undefined) return;
    if (event.name === 'test_start' && failed) event.test.mode = 'skip';
    else if (event.name === 'test_done' && event.test.errors.length > 0) failed = true;
  });
}
