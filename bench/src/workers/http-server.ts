// The server side of bench case 9, in its own process: builds one app, listens on a free
// loopback port, tells the parent the port, and runs until SIGTERM.
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { DEMO_LAYERS, type DemoLayer, type HttpSubject, makeHttpApp } from '../cases/http-stack';
import { makeLayerApp } from './layer-cpu-app';

const subject: HttpSubject =
  process.env.BENCH_SUBJECT === 'stack' || process.env.BENCH_SUBJECT === 'demo'
    ? process.env.BENCH_SUBJECT
    : 'bare';
const layers = (process.env.BENCH_LAYERS ?? DEMO_LAYERS.join(','))
  .split(',')
  .filter((l): l is DemoLayer => (DEMO_LAYERS as readonly string[]).includes(l));
// BENCH_LAYER_CPU (src/workers/layer-cpu.ts): the `stack` row with only these layers;
// `pipeline` turns on ioredis's enableAutoPipelining.
const only = process.env.BENCH_LAYER_CPU?.split(',');
const redis = process.env.BENCH_REDIS_URL
  ? new Redis(process.env.BENCH_REDIS_URL, { enableAutoPipelining: only?.includes('pipeline') })
  : undefined;
const app =
  only && redis
    ? makeLayerApp(only, redis, process.env.BENCH_PREFIX ?? 'bench:')
    : makeHttpApp(
        subject,
        redis,
        process.env.BENCH_PREFIX ?? 'bench:',
        layers,
        process.env.BENCH_PROFILE === '1',
      );
const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
// CPU requests from the parent (src/workers/ablate.ts): this process's CPU time so far (µs,
// user + system), so a load run's CPU per request is the difference over its requests.
process.on('message', (m: { cmd?: string }) => {
  if (m.cmd === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpuUs: u.user + u.system });
  }
});
// Profile requests from the parent (src/workers/profile-http.ts): start and stop the V8 CPU
// profiler in this process, so the profile covers the measured load only.
if (process.env.BENCH_PROFILE === '1') {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))),
    );
  process.on('message', async (m: { cmd?: string }) => {
    if (m.cmd === 'profile-start') {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
      process.send?.({ started: true });
    } else if (m.cmd === 'profile-stop') {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      process.send?.({ profile });
    }
  });
}
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    redis?.disconnect();
    process.exit(0);
  });
});
