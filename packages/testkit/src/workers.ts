import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Messages between the harness and a worker (see worker.ts). */
export type WorkerMessage =
  | { t: 'ready' }
  | { t: 'go'; input: unknown }
  | { t: 'event'; value: unknown }
  | { t: 'result'; value: unknown }
  | { t: 'error'; message: string; stack?: string };

export interface WorkerOptions<I> {
  /** Path of the worker script (.ts or .js); it calls `worker(fn)` from `@resil/testkit/worker`. */
  script: string;
  /** How many processes. */
  count: number;
  /** Input for each worker, sent with the start signal (a function gets the worker's index). */
  input?: I | ((index: number) => I);
  /** Extra environment variables (REDIS_URL is passed through already). */
  env?: Record<string, string>;
  /** Everything must be over by then, or every worker is killed and the run rejects. @default 60000 */
  timeoutMs?: number;
  /** Called for each `emit()` of a worker, as it arrives. */
  onEvent?: (index: number, value: unknown) => void;
}

export interface WorkerOutcome<O> {
  index: number;
  pid: number;
  /** What the worker's function returned (undefined when it crashed or was killed). */
  result: O | undefined;
  /** The worker's error message when its function threw. */
  error: string | undefined;
  /** Everything emitted, in order. */
  events: unknown[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface StartedWorkers<O> {
  readonly children: readonly ChildProcess[];
  /** Resolves when every worker has loaded and is waiting for the start signal. */
  readonly ready: Promise<void>;
  /** Sends the start signal to every worker at once (a barrier: nobody starts early). */
  go(): void;
  /** Resolves when every worker has exited. */
  readonly done: Promise<WorkerOutcome<O>[]>;
  kill(index: number, signal?: NodeJS.Signals): void;
  killAll(): void;
}

/** The monorepo root (the folder whose package.json has workspaces). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).workspaces) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repoRoot(): no package.json with workspaces above testkit');
    dir = up;
  }
}

/**
 * Forks `count` real Node processes running `script` (TypeScript through tsx, packages resolved
 * to their sources). Lower-level than runWorkers: for tests that kill a worker mid-flight.
 */
export function startWorkers<I, O>(opts: WorkerOptions<I>): StartedWorkers<O> {
  const root = repoRoot();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const outcomes: WorkerOutcome<O>[] = [];
  const readyWaits: Promise<void>[] = [];
  const exits: Promise<void>[] = [];
  const children: ChildProcess[] = [];

  for (let index = 0; index < opts.count; index++) {
    const child = fork(path.resolve(opts.script), [], {
      cwd: root,
      execArgv: ['--conditions=@resil/source', '--import', 'tsx'],
      env: {
        ...process.env,
        ...opts.env,
        RESIL_WORKER_INDEX: String(index),
        RESIL_WORKER_COUNT: String(opts.count),
      },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    children.push(child);
    const outcome: WorkerOutcome<O> = {
      index,
      pid: child.pid ?? -1,
      result: undefined,
      error: undefined,
      events: [],
      exitCode: null,
      signal: null,
      stderr: '',
    };
    outcomes.push(outcome);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (outcome.stderr.length < 64_000) outcome.stderr += d;
    });
    readyWaits.push(
      new Promise<void>((resolve, reject) => {
        child.on('message', (m: WorkerMessage) => {
          if (m.t === 'ready') resolve();
          else if (m.t === 'event') {
            outcome.events.push(m.value);
            opts.onEvent?.(index, m.value);
          } else if (m.t === 'result') outcome.result = m.value as O;
          else if (m.t === 'error') outcome.error = m.message;
        });
        child.once('exit', () =>
          reject(new Error(`worker ${index} exited before it was ready\n${outcome.stderr}`)),
        );
      }),
    );
    exits.push(
      new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          outcome.exitCode = code;
          outcome.signal = signal;
          resolve();
        });
      }),
    );
  }

  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<WorkerOutcome<O>[]>((resolve, reject) => {
    timer = setTimeout(() => {
      killAll();
      reject(new Error(`workers did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    Promise.all(exits).then(() => {
      clearTimeout(timer);
      resolve(outcomes);
    }, reject);
  });
  // Avoid an unhandled rejection when the caller only awaits `ready`.
  done.catch(() => undefined);
  const ready = Promise.all(readyWaits).then(() => undefined);
  ready.catch(() => killAll());

  return {
    children,
    ready,
    done,
    go() {
      children.forEach((child, index) => {
        const input =
          typeof opts.input === 'function' ? (opts.input as (i: number) => I)(index) : opts.input;
        child.send({ t: 'go', input } satisfies WorkerMessage);
      });
    },
    kill(index, signal = 'SIGKILL') {
      children[index]?.kill(signal);
    },
    killAll,
  };
}

/**
 * Runs `count` real worker processes against the same Redis, starts them together once all are
 * loaded, and returns what each one's function returned. Rejects (with the worker's stderr) when a
 * worker throws, crashes or the run times out.
 */
export async function runWorkers<I, O>(opts: WorkerOptions<I>): Promise<O[]> {
  const started = startWorkers<I, O>(opts);
  await started.ready;
  started.go();
  const outcomes = await started.done;
  for (const o of outcomes) {
    if (o.error !== undefined || o.exitCode !== 0) {
      throw new Error(
        `worker ${o.index} failed (exit ${o.exitCode ?? o.signal}): ${o.error ?? ''}\n${o.stderr}`,
      );
    }
  }
  return outcomes.map((o) => o.result as O);
}
