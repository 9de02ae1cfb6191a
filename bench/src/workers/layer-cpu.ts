// Server CPU per request of the `stack` row of case 9 (src/cases/http-stack.ts), layer by layer:
// each layer set is served by its own process (http-server.ts with BENCH_LAYER_CPU), loaded by
// autocannon (10 connections) for a fixed number of requests after a warm-up, and the server's
// process.cpuUsage() over the load, divided by the requests answered, is its CPU per request.
// Sets are interleaved round by round (order rotated), medians reported. CPU time, unlike
// requests/s, holds up on a loaded machine.
//   cd bench && npx tsx src/workers/layer-cpu.ts [--rounds=5] [--requests=4000] [set ...]
import { fork } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { loadFor } from '../cases/http-stack';

/**
 * Layer sets: `json` and the handler are always there; `pipeline`: ioredis enableAutoPipelining;
 * `nocontext`: requestLogger with `context: false`.
 */
const SETS: Record<string, string> = {
  bare: '',
  securityHeaders: 'securityHeaders',
  requestLogger: 'requestLogger',
  rateLimit: 'rateLimit',
  'rateLimit+pipeline': 'rateLimit,pipeline',
  sanitizeRequest: 'sanitizeRequest',
  validate: 'validate',
  stack: 'securityHeaders,requestLogger,rateLimit,sanitizeRequest,validate',
  'stack+pipeline': 'securityHeaders,requestLogger,rateLimit,sanitizeRequest,validate,pipeline',
  // requestLogger with `context: false` (no AsyncLocalStorage store per request), and the stack
  // without requestLogger: how much of the stack's cost is the store's, not the log line's
  'requestLogger-context': 'requestLogger,nocontext',
  'stack-context': 'securityHeaders,requestLogger,rateLimit,sanitizeRequest,validate,nocontext',
  'stack-requestLogger': 'securityHeaders,rateLimit,sanitizeRequest,validate',
};
// --sanitize=FILE or --ratelimit=FILE: each set also as `<set>@other`, served with that build of
// @resil/sanitize or @resil/ratelimit (a CommonJS file)
const otherSanitize = process.argv.find((x) => x.startsWith('--sanitize='))?.slice(11);
const otherRateLimit = process.argv.find((x) => x.startsWith('--ratelimit='))?.slice(12);
const other = otherSanitize ?? otherRateLimit;
const arg = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
};
const rounds = arg('rounds', 5);
const amount = arg('requests', 4000);
const picked = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const chosen = picked.length ? picked : Object.keys(SETS);
for (const n of chosen) if (!(n in SETS)) throw new Error(`unknown set ${n}`);
const names = other ? chosen.flatMap((n) => [n, `${n}@other`]) : chosen;

async function serve(set: string) {
  const [name, build] = set.split('@');
  const layers = SETS[name as string] as string;
  const child = fork(path.join(import.meta.dirname, 'http-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_SUBJECT: 'stack',
      BENCH_LAYER_CPU: layers || 'none',
      BENCH_REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      BENCH_PREFIX: `resil-bench:layer-cpu:${process.pid}:`,
      BENCH_SANITIZE: build ? (otherSanitize ?? '') : '',
      BENCH_RATELIMIT: build ? (otherRateLimit ?? '') : '',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`http server exited (${code})`)));
  });
  const cpu = () =>
    new Promise<number>((resolve) => {
      const on = (m: unknown) => {
        const v = (m as { cpuUs?: number }).cpuUs;
        if (v === undefined) return;
        child.off('message', on);
        resolve(v);
      };
      child.on('message', on);
      child.send({ cmd: 'cpu' });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url: `http://127.0.0.1:${port}`, cpu, close };
}

const us: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const bad: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
(async () => {
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length] as string);
    for (const name of order) {
      const s = await serve(name);
      const { duration: _d, ...load } = loadFor('stack', s.url, 1);
      await autocannon({ ...load, amount: 3000 } as autocannon.Options);
      const before = await s.cpu();
      const r = await autocannon({ ...load, amount } as autocannon.Options);
      const after = await s.cpu();
      await s.close();
      bad[name] = (bad[name] as number) + r.non2xx + r.errors;
      (us[name] as number[]).push((after - before) / r.requests.total);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] as number;
  const base = med(us.bare ?? [Number.NaN]);
  for (const name of names) {
    const m = med(us[name] as number[]);
    console.log(
      `${name.padEnd(20)} ${m.toFixed(0).padStart(5)} µs/request (over bare: ${(m - base).toFixed(0).padStart(5)})  rounds: ${(us[name] as number[]).map((v) => v.toFixed(0)).join(' ')}${bad[name] ? `  non-2xx/errors: ${bad[name]}` : ''}`,
    );
  }
  process.exit(0);
})();
