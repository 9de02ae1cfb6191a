/**
 * Hand-made breaker schedules that exercise one check each (random schedules reach them rarely):
 *   node --conditions=@resil/source --import tsx chaos/src/selftest.ts [--mutant no-redis]
 * Without the mutant every check must pass; with it, the hung-probe check must fail.
 */
import { breakerChecker } from './breaker';
import { Pool } from './pool';
import { ChaosStore } from './store';
import type { Schedule } from './types';

async function main(): Promise<void> {
  if (process.argv.includes('--mutant')) process.env.CHAOS_MUTANT = 'no-redis';
  const store = await ChaosStore.start('single');
  const pool = new Pool(breakerChecker.workers);
  let violations = 0;
  try {
    await pool.ready();
    const s: Schedule = {
      pkg: 'breaker',
      seed: 1,
      topology: 'single',
      durationMs: 5000,
      cfg: { failureThreshold: 2, resetTimeoutMs: 500, probeLeaseMs: 700 },
      // the circuit opens while the dependency fails; then every call hangs: only probes, one
      // at a time, may reach it
      ops: [
        { at: 0, mode: 'failing' },
        { at: 1500, mode: 'hanging' },
      ],
      faults: [],
    };
    const r = await breakerChecker.run(s, { store, pool });
    console.log(`selftest hung probes: ${r.summary}`);
    for (const v of r.violations) console.log(`  VIOLATION ${v.property}: ${v.detail}`);
    violations += r.violations.length;
  } finally {
    await pool.close();
    await store.stop();
  }
  console.log(`selftest: ${violations} violations`);
}

void main();
