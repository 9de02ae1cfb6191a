import {
  type Attributes,
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
} from '@opentelemetry/api';

export interface Recorded {
  scope: string;
  instrument: string;
  value: number;
  attributes: Attributes;
}

/**
 * A minimal MeterProvider written against @opentelemetry/api's own interfaces (the package has no
 * SDK): a no-op meter whose counters and histograms record what they get. Register it with
 * `metrics.setGlobalMeterProvider(provider)` and `metrics.disable()` after the test.
 */
export class RecordingMeterProvider implements MeterProvider {
  readonly recorded: Recorded[] = [];
  getMeter(scope: string): Meter {
    const record =
      (instrument: string) =>
      (value: number, attributes: Attributes = {}) =>
        this.recorded.push({ scope, instrument, value, attributes });
    // A meter of its own on top of the API's no-op one (createNoopMeter() is a shared singleton).
    const meter: Meter = Object.create(createNoopMeter());
    meter.createCounter = (name: string) => ({ add: record(name) }) as Counter;
    meter.createHistogram = (name: string) => ({ record: record(name) }) as Histogram;
    return meter;
  }
  /** What `instrument` recorded, in order. */
  of(instrument: string): Recorded[] {
    return this.recorded.filter((r) => r.instrument === instrument);
  }
  /** The `error.type` attribute of each value `instrument` recorded, in order. */
  errorTypes(instrument: string): unknown[] {
    return this.of(instrument).map((r) => r.attributes['error.type']);
  }
}
