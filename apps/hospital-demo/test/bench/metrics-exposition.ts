/**
 * /metrics exposition of the OpenTelemetry instruments, two ways, at the cardinality of a busy
 * demo: (a) OpenTelemetry's PrometheusSerializer, appended to prom-client's text; (b) a bridge
 * that registers the OpenTelemetry families on the prom-client registry. Prints per-scrape time
 * and heap allocated, median of ROUNDS scrapes each.
 *
 *   cd apps/hospital-demo && node --expose-gc --max-semi-space-size=64 \
 *     --conditions=@resil/source --import tsx test/bench/metrics-exposition.ts
 */
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createTelemetry } from '@resil/core';
import { createMetrics } from '../../src/metrics';
import { mergeScopes } from '../../src/telemetry/merge';
import { bridgeInto } from './bridge';

const ROUNDS = Number(process.env.ROUNDS ?? 200);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

async function main() {
  const reader = new PrometheusExporter({ preventServerStart: true });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const endpoints = ['create', 'activate', 'get', 'delete'];
  const codes = ['RESIL_DEMO_UPSTREAM_STATUS', 'ECONNRESET', 'ETIMEDOUT'];
  for (const e of endpoints) {
    const pipeline = `hospital-api.${e}`;
    const b = createTelemetry({ strategy: 'breaker', pipeline, scope: '@resil/breaker' });
    for (const ev of [
      'call-succeeded',
      'call-failed',
      'call-rejected',
      'circuit-opened',
      'circuit-half-opened',
      'circuit-closed',
    ])
      b.event(ev);
    for (const handled of [true, false]) b.attempt(12, { attempt: 1, handled });
    for (const code of [undefined, 'RESIL_BREAKER_OPEN', ...codes])
      b.execution(20, { errorType: code });
    const r = createTelemetry({ strategy: 'retry', pipeline, scope: '@resil/retry' });
    for (const code of codes) {
      r.event('retry', { attributes: { code } });
      r.event('give-up', { attributes: { code } });
      for (const attempt of [1, 2, 3])
        for (const handled of [true, false]) r.attempt(30, { attempt, handled, errorType: code });
      r.execution(90, { errorType: code });
    }
  }
  for (const pipeline of ['hospital-api', 'inbound', 'ops']) {
    const l = createTelemetry({ strategy: 'ratelimit', pipeline, scope: '@resil/ratelimit' });
    for (const ev of [
      'granted',
      'refused',
      'allowed',
      'limited',
      'store-error',
      'store-degraded',
      'store-restored',
    ])
      l.event(ev);
  }
  const i = createTelemetry({ strategy: 'idempotency', scope: '@resil/idempotency' });
  for (const ev of ['executed', 'replayed', 'conflict', 'mismatch', 'store-error']) i.event(ev);

  const prom = createMetrics({ defaultMetrics: true });
  const serializer = new PrometheusSerializer('', false, undefined, true, true);
  const viaSerializer = async () => {
    const [own, { resourceMetrics }] = await Promise.all([
      prom.registry.metrics(),
      reader.collect(),
    ]);
    return own + serializer.serialize(mergeScopes(resourceMetrics));
  };
  const bridged = createMetrics({ defaultMetrics: true });
  const viaBridge = async () => {
    const { resourceMetrics } = await reader.collect();
    bridgeInto(bridged.registry, mergeScopes(resourceMetrics));
    return bridged.registry.metrics();
  };

  const order =
    process.env.ORDER === 'bridge-first'
      ? ([
          ['bridge', viaBridge],
          ['serializer', viaSerializer],
        ] as const)
      : ([
          ['serializer', viaSerializer],
          ['bridge', viaBridge],
        ] as const);
  for (const [name, scrape] of order) {
    const times: number[] = [];
    const bytes: number[] = [];
    let size = 0;
    for (let k = 0; k < 20; k++) await scrape(); // warm-up
    for (let k = 0; k < ROUNDS; k++) {
      gc?.();
      const h0 = process.memoryUsage().heapUsed;
      const t0 = process.hrtime.bigint();
      const text = await scrape();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      bytes.push(process.memoryUsage().heapUsed - h0);
      size = text.length;
    }
    const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0;
    const p95 = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length * 0.95)] ?? 0;
    process.stdout.write(
      `${name.padEnd(10)} scrape median ${med(times).toFixed(2)} ms (p95 ${p95(times).toFixed(2)}), heap allocated median ${(med(bytes) / 1024).toFixed(0)} KiB, ${size} bytes of text, ${ROUNDS} scrapes\n`,
    );
  }
}
void main();
