import type { WorkerMessage } from './workers';

export interface WorkerContext<I> {
  /** 0-based index of this process among the workers. */
  index: number;
  /** How many workers the harness started. */
  count: number;
  /** The input the harness sent with the start signal. */
  input: I;
  /** Sends a value to the harness now (it arrives in `events` and `onEvent`). */
  emit(value: unknown): void;
}

function send(msg: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      resolve();
      return;
    }
    process.send(msg, undefined, {}, () => resolve());
  });
}

/**
 * The body of a worker script run by `runWorkers`/`startWorkers`. Announces itself, waits for the
 * start signal (so that all workers begin together), runs `fn`, reports its result and exits.
 */
export function worker<I, O>(fn: (ctx: WorkerContext<I>) => Promise<O> | O): void {
  if (!process.send) throw new Error('worker(): run this script through runWorkers()');
  const index = Number(process.env.RESIL_WORKER_INDEX ?? 0);
  const count = Number(process.env.RESIL_WORKER_COUNT ?? 1);
  process.on('message', async (m: WorkerMessage) => {
    if (m.t !== 'go') return;
    try {
      const result = await fn({
        index,
        count,
        input: m.input as I,
        emit: (value) => {
          void send({ t: 'event', value });
        },
      });
      await send({ t: 'result', value: result });
      process.exit(0);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      await send({ t: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
      process.exit(1);
    }
  });
  void send({ t: 'ready' });
}
