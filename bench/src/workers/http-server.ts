// The server side of bench case 9, in its own process: builds one app, listens on a free
// loopback port, tells the parent the port, and runs until SIGTERM.
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { makeHttpApp } from '../cases/http-stack';

const subject = process.env.BENCH_SUBJECT === 'stack' ? 'stack' : 'bare';
const redis = process.env.BENCH_REDIS_URL ? new Redis(process.env.BENCH_REDIS_URL) : undefined;
const server = makeHttpApp(subject, redis, process.env.BENCH_PREFIX ?? 'bench:').listen(
  0,
  '127.0.0.1',
  () => {
    process.send?.({ port: (server.address() as AddressInfo).port });
  },
);
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    redis?.disconnect();
    process.exit(0);
  });
});
