// Issue #19: the cluster-wide claim with real processes. 4 workers share a bulkhead of 4 slots;
// one worker takes 2 slots and is SIGKILLed while holding them. Never more than 4 calls in flight
// across the workers (the killed worker's calls count as in flight until it died), its 2 slots stay
// taken until their lease runs out, then the survivors use all 4 again.
import path from 'node:path';
import { startWorkers, useRedis, waitFor } from '@resil/testkit';

const r = useRedis('bulkhead-workers');
const fixture = path.join(__dirname, '../fixtures/worker.ts');

type Mark = { t: 'start' | 'end' | 'degraded' | 'lease-lost'; id: string; at: number };

/** Most intervals overlapping at once (an end at the same ms as a start counts first). */
function peak(intervals: Array<[number, number]>, from = -Infinity, to = Infinity): number {
  const points: Array<[number, number]> = [];
  for (const [s, e] of intervals) {
    const a = Math.max(s, from);
    const b = Math.min(e, to);
    if (a > b || (a === b && s !== e)) continue;
    points.push([a, 1], [b, -1]);
  }
  points.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let n = 0;
  let max = 0;
  for (const [, d] of points) {
    n += d;
    max = Math.max(max, n);
  }
  return max;
}

/** The finished calls' intervals. */
function closed(marks: Mark[]): Array<[number, number]> {
  const starts = new Map<string, number>();
  const out: Array<[number, number]> = [];
  for (const m of marks) if (m.t === 'start') starts.set(m.id, m.at);
  for (const m of marks) if (m.t === 'end') out.push([starts.get(m.id) as number, m.at]);
  return out;
}

it('4 workers, limit 4: never more than 4 in flight while a worker holding 2 slots is SIGKILLed; its slots come back after the lease', async () => {
  const limit = 4;
  const leaseMs = 1_500;
  const marks: Array<Mark & { worker: number }> = [];
  const name = `w${process.pid}`;
  const started = startWorkers<object, { calls: number; full: number }>({
    script: fixture,
    count: 4,
    input: (index: number) => ({
      name,
      prefix: r.prefix,
      limit,
      leaseMs,
      runMs: 90_000,
      loops: index === 0 ? 2 : 3,
      hang: index === 0,
      waitBegin: index !== 0,
      durations: [15, 40, 5, 25, 60],
    }),
    timeoutMs: 150_000,
    onEvent: (worker, value) => marks.push({ ...(value as Mark), worker }),
  });
  await started.ready;
  started.go();
  // the victim holds 2 slots (its calls never end)
  await waitFor(() => marks.filter((m) => m.worker === 0 && m.t === 'start').length === 2, {
    what: 'worker 0 holding 2 slots',
    timeoutMs: 60_000,
  });
  for (const child of started.children.slice(1)) child.send({ t: 'begin' });
  // the survivors compete for the 2 other slots before the kill
  await waitFor(() => marks.filter((m) => m.worker !== 0 && m.t === 'end').length >= 20, {
    what: 'the survivors running',
    timeoutMs: 60_000,
  });
  const killedAt = Date.now();
  started.kill(0, 'SIGKILL');
  // the survivors run until they have used all 4 slots at once after the victim's leases ran out
  // (bounded: the assertion below tells what was reached)
  await waitFor(() => peak(closed(marks), killedAt + leaseMs + 200) >= limit, {
    what: 'the survivors using every slot again',
    timeoutMs: 30_000,
  }).catch(() => undefined);
  for (const child of started.children.slice(1)) child.send({ t: 'stop' });
  const outcomes = await started.done;
  expect(outcomes[0]?.signal).toBe('SIGKILL');
  for (const o of outcomes.slice(1))
    expect({ worker: o.index, exit: o.exitCode, error: o.error }).toEqual({
      worker: o.index,
      exit: 0,
      error: undefined,
    });

  // no worker fell back to its own share, no running call lost its lease
  expect(marks.filter((m) => m.t === 'degraded' || m.t === 'lease-lost')).toEqual([]);
  const starts = new Map<string, number>();
  const intervals: Array<[number, number]> = [];
  const survivors: Array<[number, number]> = [];
  for (const m of marks) if (m.t === 'start') starts.set(m.id, m.at);
  for (const m of marks) {
    if (m.t !== 'end') continue;
    const s = starts.get(m.id) as number;
    intervals.push([s, m.at]);
    survivors.push([s, m.at]);
    starts.delete(m.id);
  }
  // calls still open: the victim's (in flight until it died); a survivor leaves none
  for (const [id, s] of starts) {
    expect(id.startsWith('0.')).toBe(true);
    intervals.push([s, killedAt]);
  }
  expect(starts.size).toBe(2);
  const worst = peak(intervals);
  const afterKillHeld = peak(survivors, killedAt, killedAt + leaseMs / 2);
  const later = peak(survivors, killedAt + leaseMs + 200);
  process.stdout.write(
    `bulkhead workers: ${survivors.length} calls, peak ${worst} in flight; ${afterKillHeld} while the victim's leases ran, ${later} after\n`,
  );
  expect(worst).toBeLessThanOrEqual(limit);
  // the dead worker's 2 slots are still leased (renewed last at most leaseMs/3 before the kill)
  expect(afterKillHeld).toBeLessThanOrEqual(limit - 2);
  // then they come back: the survivors (9 callers) use all 4 slots again
  expect(later).toBe(limit);
  expect(await r.admin.zcard(`${r.prefix}{bulkhead:${name}}:leases`)).toBe(0);
}, 180_000);
