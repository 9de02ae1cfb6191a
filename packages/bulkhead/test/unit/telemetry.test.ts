// OpenTelemetry through @resil/core's createTelemetry: each refusal is counted in
// resilience.strategy.events as `rejected` with its reason, Redis becoming unusable as
// `store-degraded`, under the meter @resil/bulkhead with the strategy and pipeline names. A minimal
// MeterProvider written against @opentelemetry/api's interfaces records what it gets.
import net from 'node:net';
import {
  type Attributes,
  type Counter,
  createNoopMeter,
  type Meter,
  type MeterProvider,
  metrics,
} from '@opentelemetry/api';
import type { CallContext } from '@resil/core';
import { bulkhead, type RejectedNotice } from '../../src';

interface Recorded {
  scope: string;
  instrument: string;
  value: number;
  attributes: Attributes;
}

class RecordingMeterProvider implements MeterProvider {
  readonly recorded: Recorded[] = [];
  getMeter(scope: string): Meter {
    const meter: Meter = Object.create(createNoopMeter());
    meter.createCounter = (name: string) =>
      ({
        add: (value: number, attributes: Attributes = {}) =>
          this.recorded.push({ scope, instrument: name, value, attributes }),
      }) as Counter;
    return meter;
  }
  events(): Recorded[] {
    return this.recorded.filter((r) => r.instrument === 'resilience.strategy.events');
  }
}

/** A loopback port nothing listens on (connections are refused at once). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('bulkhead telemetry', () => {
  afterEach(() => metrics.disable());

  it('a full bulkhead and a closed one: `rejected` (warning) with the reason; onRejected says the same', async () => {
    const provider = new RecordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const bh = bulkhead({ name: 'tele-full', limit: 1, logger: false });
    const notices: RejectedNotice[] = [];
    bh.onRejected((n) => notices.push(n));
    let finish: (v: string) => void = () => {};
    const run = bh(
      (_c?: CallContext) =>
        new Promise<string>((resolve) => {
          finish = resolve;
        }),
    );
    const first = run();
    await tick();
    await expect(run()).rejects.toMatchObject({ code: 'RESIL_BULKHEAD_FULL' });
    finish('done');
    await expect(first).resolves.toBe('done');
    const closing = bh.close();
    await expect(run()).rejects.toMatchObject({ code: 'RESIL_BULKHEAD_CLOSED' });
    await closing;
    expect(notices).toEqual([
      { name: 'tele-full', reason: 'full' },
      { name: 'tele-full', reason: 'closed' },
    ]);
    const base = { 'strategy.name': 'bulkhead', 'pipeline.name': 'tele-full' };
    expect(provider.events()).toEqual([
      {
        scope: '@resil/bulkhead',
        instrument: 'resilience.strategy.events',
        value: 1,
        attributes: {
          ...base,
          reason: 'full',
          'event.name': 'rejected',
          'event.severity': 'warning',
        },
      },
      {
        scope: '@resil/bulkhead',
        instrument: 'resilience.strategy.events',
        value: 1,
        attributes: {
          ...base,
          reason: 'closed',
          'event.name': 'rejected',
          'event.severity': 'warning',
        },
      },
    ]);
  });

  it('Redis unusable: `store-degraded` (warning), once', async () => {
    const provider = new RecordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const bh = bulkhead({
      name: 'tele-degraded',
      limit: 2,
      redis: `redis://127.0.0.1:${await deadPort()}`,
      commandTimeoutMs: 50,
      logger: false,
    });
    try {
      await expect(bh.execute(async () => 'ran')).resolves.toBe('ran');
      await expect(bh.execute(async () => 'again')).resolves.toBe('again');
      expect(provider.events().map((e) => e.attributes)).toEqual([
        {
          'strategy.name': 'bulkhead',
          'pipeline.name': 'tele-degraded',
          'event.name': 'store-degraded',
          'event.severity': 'warning',
        },
      ]);
    } finally {
      await bh.close();
    }
  });
});
