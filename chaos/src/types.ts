import type { AppliedFault, Fault } from './faults';
import type { Pool } from './pool';
import type { Rng } from './rng';
import type { ChaosStore, Topology } from './store';

export type PackageName = 'breaker' | 'breaker-policies' | 'ratelimit' | 'idempotency' | 'bulkhead';

/** Everything a run needs to be repeated: the seed regenerates it; shrinking edits `faults`. */
export interface Schedule {
  pkg: PackageName;
  seed: number;
  topology: Topology;
  durationMs: number;
  cfg: Record<string, unknown>;
  /** Package-specific operations (dependency modes, client sessions). */
  ops: unknown[];
  faults: Fault[];
}

export interface Violation {
  /** A stable property name, e.g. `breaker.failing-calls`. */
  property: string;
  detail: string;
}

export interface RunResult {
  applied: AppliedFault[];
  violations: Violation[];
  /** A one-line summary of what ran (calls, executions, grants). */
  summary: string;
  /** Checks that could not decide (e.g. a caller's event loop stalled): printed, not verdicts. */
  inconclusive?: number;
}

export interface Env {
  store: ChaosStore;
  pool: Pool;
}

export interface PackageChecker {
  name: PackageName;
  workers: number;
  generate(rng: Rng, seed: number, topology: Topology): Schedule;
  /** Runs the schedule on real processes and the real Redis, then checks the recorded history. */
  run(schedule: Schedule, env: Env): Promise<RunResult>;
  describeOps(schedule: Schedule): string[];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Half-open interval overlap. */
export function overlaps(a0: number, a1: number, b0: number, b1: number): boolean {
  return a0 < b1 && b0 < a1;
}

/** Polls `fn` until it returns true or `ms` passes; true if it did. */
export async function until(
  fn: () => Promise<boolean>,
  ms: number,
  everyMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}
