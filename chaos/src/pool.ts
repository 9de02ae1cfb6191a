import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { FromWorker, ToWorker } from './worker';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(__dirname, 'worker.ts');

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  pending: Map<number, { resolve(v: unknown): void; reject(e: Error): void }>;
  /** Set when the parent killed it on purpose (a SIGKILL fault). */
  killed: boolean;
}

/**
 * The worker processes of one package's run: real Node processes running the packages' sources.
 * A worker killed by a fault is replaced by a fresh process (`respawn`). Any other exit, and any
 * unhandled rejection a worker reports, is recorded in `crashes`: a check fails on it.
 */
export class Pool {
  #slots: Slot[] = [];
  #seq = 0;
  readonly crashes: string[] = [];
  /** Events the workers reported (e.g. a breaker's `degraded`/`restored`), with their times. */
  readonly events: { w: number; kind: string; at: number }[] = [];

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn(i));
  }

  #spawn(i: number): Slot {
    const child = fork(SCRIPT, [String(i)], {
      cwd: ROOT,
      execArgv: ['--conditions=@resil/source', '--import', 'tsx'],
      env: process.env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (stderr.length < 8000) stderr += d;
    });
    const slot: Slot = { child, ready: Promise.resolve(), pending: new Map(), killed: false };
    slot.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: FromWorker) => {
        if (m.t === 'ready') resolve();
        else if (m.t === 'reply') {
          const p = slot.pending.get(m.id);
          slot.pending.delete(m.id);
          if (m.ok) p?.resolve(m.value);
          else p?.reject(new Error(m.error));
        } else if (m.t === 'fault') this.crashes.push(m.what);
        else if (m.t === 'event') this.events.push({ w: i, kind: m.kind, at: m.at });
      });
      child.once('exit', (code, signal) => {
        reject(new Error(`worker ${i} exited before ready (${code ?? signal}): ${stderr}`));
        for (const p of slot.pending.values()) p.reject(new Error(`worker ${i} exited`));
        slot.pending.clear();
        if (!slot.killed && code !== 0)
          this.crashes.push(
            `worker ${i} exited unexpectedly (${code ?? signal}): ${stderr.slice(0, 500)}`,
          );
      });
    });
    slot.ready.catch(() => undefined);
    return slot;
  }

  alive(i: number): boolean {
    const s = this.#slots[i];
    return !!s && !s.killed && s.child.exitCode === null && s.child.signalCode === null;
  }

  async ready(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.ready));
  }

  /** Sends a command; rejects when the worker answers with an error, dies, or takes too long. */
  async cmd(
    i: number,
    op: string,
    args?: Record<string, unknown>,
    timeoutMs = 15_000,
  ): Promise<unknown> {
    const s = this.#slots[i];
    if (!s || !this.alive(i)) throw new Error(`worker ${i} is not alive`);
    await s.ready;
    const id = ++this.#seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        s.pending.delete(id);
        reject(new Error(`worker ${i}: ${op} took over ${timeoutMs} ms`));
      }, timeoutMs);
      s.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      s.child.send({ t: 'cmd', id, op, args } satisfies ToWorker);
    });
  }

  /** SIGKILL (a fault): the process dies mid-call, with whatever it had in flight. */
  kill(i: number): void {
    const s = this.#slots[i];
    if (!s || !this.alive(i)) return;
    s.killed = true;
    s.child.kill('SIGKILL');
  }

  /** A fresh process in slot i, once the old one has gone. */
  async respawn(i: number): Promise<void> {
    const old = this.#slots[i];
    if (old && old.child.exitCode === null && old.child.signalCode === null) {
      await new Promise<void>((r) => {
        old.child.once('exit', () => r());
        old.killed = true;
        old.child.kill('SIGKILL');
      });
    }
    const slot = this.#spawn(i);
    this.#slots[i] = slot;
    await slot.ready;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#slots.map(
        (s) =>
          new Promise<void>((r) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return r();
            s.killed = true;
            const t = setTimeout(() => s.child.kill('SIGKILL'), 3000);
            s.child.once('exit', () => {
              clearTimeout(t);
              r();
            });
            s.child.send({ t: 'exit' } satisfies ToWorker);
          }),
      ),
    );
  }
}
