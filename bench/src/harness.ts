import { Bench } from 'tinybench';

/** One figure of the report: a subject measured for one case, with median and spread over rounds. */
export interface Row {
  case: string;
  subject: string;
  metric: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  /** The subject this row is compared with (same case and metric), when any. */
  versus?: string;
  /** median / versus.median (for "lower is better" units, > 1 means slower than the comparison). */
  ratio?: number;
  better: 'lower' | 'higher';
  note?: string;
}

export interface Settings {
  quick: boolean;
  /** Rounds per comparison; each round runs every subject once, in a rotated order. */
  rounds: number;
  /** tinybench time budget per subject per round (ms). */
  timeMs: number;
}

export const rows: Row[] = [];

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Adds a row from several round values; ratio filled in later by `relate`. */
export function record(row: Omit<Row, 'median' | 'min' | 'max'> & { values: number[] }): Row {
  const { values, ...rest } = row;
  const out: Row = {
    ...rest,
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
  };
  rows.push(out);
  return out;
}

/** Sets `versus` and `ratio` of every row of `caseName`/`metric` against the `versus` subject. */
export function relate(caseName: string, metric: string, versus: string): void {
  const base = rows.find((r) => r.case === caseName && r.metric === metric && r.subject === versus);
  if (!base) return;
  for (const r of rows) {
    if (r.case !== caseName || r.metric !== metric || r.subject === versus) continue;
    r.versus = versus;
    r.ratio = base.median === 0 ? Number.NaN : r.median / base.median;
  }
}

export type Subject = () => unknown;

/**
 * Runs every subject interleaved: `rounds` rounds, each a tinybench run of all subjects in a
 * rotated order. Each subject call is one *batch* of `batch` operations; the reported figure is
 * nanoseconds per operation (the batch mean divided by `batch`).
 */
export async function compareNs(
  caseName: string,
  subjects: Record<string, Subject>,
  settings: Settings,
  opts: { batch: number; versus?: string; metric?: string },
): Promise<Record<string, number>> {
  const names = Object.keys(subjects);
  const perSubject: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < settings.rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length] as string);
    const bench = new Bench({
      time: settings.timeMs,
      warmupTime: Math.min(100, settings.timeMs),
      throws: true,
    });
    for (const name of order) bench.add(name, subjects[name] as Subject);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed')
        throw new Error(`${caseName}/${task.name}: ${result.state}`);
      (perSubject[task.name] as number[]).push((result.latency.mean * 1e6) / opts.batch);
    }
  }
  const metric = opts.metric ?? 'time per call';
  const medians: Record<string, number> = {};
  for (const name of names) {
    const row = record({
      case: caseName,
      subject: name,
      metric,
      unit: 'ns',
      better: 'lower',
      values: perSubject[name] as number[],
    });
    medians[name] = row.median;
  }
  if (opts.versus) relate(caseName, metric, opts.versus);
  return medians;
}

/** Runs `fn` `n` times in sequence, awaiting each (the body of one batch). */
export function batchOf(n: number, fn: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    for (let i = 0; i < n; i++) await fn();
  };
}

export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Appends `value` to the list under `key`, creating it on first use. */
export function collect(into: Record<string, number[]>, key: string, value: number): void {
  const list = into[key];
  if (list) list.push(value);
  else into[key] = [value];
}
