// Per-call CPU cost of @resil/core's hot-path pieces, against the built package (no Redis: the
// "command" resolves at once, so what is measured is the wrapper alone).
//   npm run build -w @resil/core && node packages/core/bench/overhead.mjs
import { EventEmitter as NodeEmitter } from 'node:events';
import { BoundedRedis, codeLogger, createTelemetry, EventEmitter } from '../dist/index.mjs';

const N = 200_000;
async function time(label, fn) {
  for (let i = 0; i < 20_000; i++) await fn(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await fn();
  const ns = Number(process.hrtime.bigint() - t0) / N;
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/call`);
  return ns;
}

const client = Object.assign(new NodeEmitter(), { status: 'ready' });
const bounded = new BoundedRedis(client, { timeoutMs: 300 });
const reply = () => Promise.resolve('PONG');
const events = new EventEmitter();
events.event(() => {});
const off = createTelemetry({ strategy: 'bench', api: null });
const on = createTelemetry({ strategy: 'bench' }); // @opentelemetry/api, no SDK: the API's no-op meter
const log = codeLogger('bench', { write: () => {} });

const direct = await time('direct await of the command', () => reply());
const wrapped = await time('BoundedRedis.run (healthy)', () => bounded.run(reply));
console.log(
  `${'  => added by BoundedRedis.run'.padEnd(44)} ${(wrapped - direct).toFixed(0).padStart(6)} ns/call`,
);
await time('EventEmitter.emit, one listener', () => events.emit(1));
await time('telemetry.event, api: null', () => off.event('OnRetry'));
await time('telemetry.event, API without SDK', () => on.event('OnRetry'));
await time('codeLogger.warn with 3 fields', () =>
  log.warn('x', { code: 'RESIL_X_Y', count: 1, name: 'n' }),
);
await bounded.close();
