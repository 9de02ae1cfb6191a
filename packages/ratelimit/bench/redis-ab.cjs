// The inbound middleware against rate-limiter-flexible's raw RateLimiterRedis.consume at 100
// requests in flight on Redis (127.0.0.1:6379 or REDIS_URL), in one process, alternating the
// subjects round by round (20 rounds of 30 × 100 calls, the first 2 discarded; medians), so that
// a loaded machine disturbs them alike. CPU time and wall-clock time, as ratios to the raw library.
//   npm run build -w @resil/ratelimit && node packages/ratelimit/bench/redis-ab.cjs [other builds...]
// Each argument is another build of the package (a folder with index.js, e.g. an older commit's
// dist, or an esbuild bundle of its src with @resil/core and rate-limiter-flexible external).
const path = require('node:path');
const { Redis } = require('ioredis');
const { RateLimiterRedis } = require('rate-limiter-flexible');

const builds = [path.join(__dirname, '..', 'dist'), ...process.argv.slice(2)].map((d) =>
  path.resolve(d),
);
(async () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `resil-bench:ab:${process.pid}:`;
  const req = { method: 'GET', headers: {}, ip: '10.0.0.1', app: { get: () => false } };
  const res = { setHeader: () => undefined, getHeader: () => undefined };
  const fns = {};
  const closers = [];
  builds.forEach((dir, i) => {
    const { rateLimit } = require(dir.endsWith('.js') ? dir : path.join(dir, 'index.js'));
    const mw = rateLimit({
      points: 1e9,
      durationMs: 60_000,
      redis,
      keyPrefix: `${prefix}${i}:`,
      logger: false,
    });
    closers.push(() => mw.close());
    fns[i === 0 ? 'this build' : dir] = () => mw(req, res, () => undefined);
  });
  const rlf = new RateLimiterRedis({
    storeClient: redis,
    points: 1e9,
    duration: 60,
    keyPrefix: `${prefix}rlf`,
  });
  fns['rate-limiter-flexible raw'] = () => rlf.consume('k');
  const names = Object.keys(fns);
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  const wall = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < 20; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(j + round) % names.length];
      const t = process.hrtime.bigint();
      const c = process.cpuUsage();
      for (let i = 0; i < 30; i++) await Promise.all(Array.from({ length: 100 }, fns[name]));
      const used = process.cpuUsage(c);
      if (round < 2) continue;
      cpu[name].push(((used.user + used.system) * 1000) / 3000);
      wall[name].push(Number(process.hrtime.bigint() - t) / 3000);
    }
  }
  const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const raw = 'rate-limiter-flexible raw';
  for (const name of names)
    console.log(
      `${name}: CPU ${med(cpu[name]).toFixed(0)} ns/call (${(med(cpu[name]) / med(cpu[raw])).toFixed(2)}×), wall ${med(wall[name]).toFixed(0)} ns/call (${(med(wall[name]) / med(wall[raw])).toFixed(2)}×)`,
    );
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await Promise.all(closers.map((c) => c()));
  redis.disconnect();
})();
