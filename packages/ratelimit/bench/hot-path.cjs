// CPU cost of the inbound middleware's allowed path against rate-limiter-flexible's raw
// RateLimiterMemory.consume, in this process (no Redis: the middleware's own work). CPU time, not
// wall-clock, so that other jobs on the machine disturb it less; the best of 9 rounds.
//   npm run build -w @resil/ratelimit && node packages/ratelimit/bench/hot-path.cjs [dist folder]
// With an event listener: RESIL_BENCH_LISTENER=1.
const path = require('node:path');
const dist = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'dist'));
const { rateLimit } = require(path.join(dist, 'index.js'));
const { RateLimiterMemory } = require('rate-limiter-flexible');

const mw = rateLimit({ points: 1e9, durationMs: 60_000, logger: false });
if (process.env.RESIL_BENCH_LISTENER === '1') mw.onAllowed?.(() => {});
const raw = new RateLimiterMemory({ points: 1e9, duration: 60 });
const req = { method: 'GET', headers: {}, ip: '10.0.0.1', app: { get: () => false } };
const res = { setHeader: () => undefined, getHeader: () => undefined };
const subjects = {
  'rateLimit middleware (memory)': () => mw(req, res, () => undefined),
  'rate-limiter-flexible RateLimiterMemory.consume': () => raw.consume('k'),
};
const N = 30_000;
async function batch(fn, n) {
  for (let i = 0; i < n; i++) await fn();
}
(async () => {
  const best = {};
  for (const fn of Object.values(subjects)) await batch(fn, 20_000);
  for (let round = 0; round < 9; round++)
    for (const [name, fn] of Object.entries(subjects)) {
      const t = process.cpuUsage();
      await batch(fn, N);
      const u = process.cpuUsage(t);
      best[name] = Math.min(
        best[name] ?? Number.POSITIVE_INFINITY,
        ((u.user + u.system) * 1000) / N,
      );
    }
  for (const [name, ns] of Object.entries(best)) console.log(`${name}: ${ns.toFixed(0)} ns/call`);
  const [ours, theirs] = Object.values(best);
  console.log(`ratio: ${(ours / theirs).toFixed(2)}x`);
})();
