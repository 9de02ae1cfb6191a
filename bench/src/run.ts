// npm run bench [-- --quick] [-- --only=breaker,retry] [-- --save=NAME]
// `--only` runs the named cases and writes no results file unless `--save=NAME` is given (then
// bench/results/NAME.{json,md}). The `current` case (opossum 10, cockatiel 4, p-retry 9) needs
// Node >= 22 and prints a skip line on older Node:
//   PATH="$(bash scripts/fetch-node.sh 22):$PATH" npm run bench -- --only=current --save=current-node22
// Runs every comparison in this one process (the outbound case forks its 4 workers), against a
// private redis-server on a free loopback port, so Redis command counts are exact.
import path from 'node:path';
import { startRedisServer } from '@resil/testkit';
import { Redis } from 'ioredis';
import { closedPath, failureCost, idleBreakers } from './cases/breaker';
import { currentVersions } from './cases/current-versions';
import { inboundHttp } from './cases/http-stack';
import { idempotencyCost } from './cases/idempotency';
import { limiterCost, outboundSmoothness } from './cases/ratelimit';
import { retrySuccess } from './cases/retry';
import { safeLogging } from './cases/safe-log';
import { log, rows, type Settings } from './harness';
import { machine, toTable, write } from './report';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',');
  const save = args.find((a) => a.startsWith('--save='))?.slice(7);
  if (save !== undefined && !/^[\w.-]+$/.test(save)) throw new RangeError('--save: a file name');
  const settings: Settings = quick
    ? { quick, rounds: 3, timeMs: 150 }
    : { quick, rounds: 7, timeMs: 500 };
  const server = await startRedisServer();
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  const prefix = `bench:${Date.now()}:`;
  const cases: Array<[string, () => Promise<void>]> = [
    ['breaker', () => closedPath(settings, redis, prefix)],
    ['breaker-failure', () => failureCost(settings)],
    ['breaker-idle', () => idleBreakers(settings)],
    ['retry', () => retrySuccess(settings)],
    ['ratelimit-cost', () => limiterCost(settings, redis, prefix)],
    ['ratelimit-smooth', () => outboundSmoothness(settings, redis, prefix)],
    ['idempotency', () => idempotencyCost(settings, redis, prefix)],
    ['safe-log', () => safeLogging(settings)],
    ['http', () => inboundHttp(settings, server.url, prefix)],
    ['current', () => currentVersions(settings)],
  ];
  const started = Date.now();
  try {
    const unknown = only?.filter((n) => !cases.some(([name]) => name === n)) ?? [];
    if (unknown.length > 0) {
      throw new RangeError(
        `--only: no case named ${unknown.join(', ')} (cases: ${cases.map(([n]) => n).join(', ')})`,
      );
    }
    for (const [name, run] of cases) {
      if (only && !only.includes(name)) continue;
      const t = Date.now();
      log(`running ${name} ...`);
      await run();
      log(`  done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    redis.disconnect();
    await server.stop();
  }
  const m = machine(redisVersion, quick);
  log(toTable(rows));
  const name = save ?? (only ? undefined : quick ? 'quick' : 'latest');
  if (name) write(path.join(import.meta.dirname, '..', 'results'), m, rows, name);
  log(
    `\nbench finished in ${((Date.now() - started) / 1000).toFixed(0)} s${name ? ` (results in bench/results/${name}.{json,md})` : ''}`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
