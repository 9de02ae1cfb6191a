import { metrics } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createTelemetry } from '@resil/core';
import { mergeScopes } from '../../src/telemetry/merge';
import { parsePrometheusText } from '../prom-text';

class PullReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

describe('parsePrometheusText', () => {
  it('reads families, labels with escapes and histograms', () => {
    const f = parsePrometheusText(
      [
        '# HELP a_total A.',
        '# TYPE a_total counter',
        'a_total{x="q\\"uote",y="b\\\\s"} 3',
        '# TYPE h histogram',
        'h_bucket{le="1"} 1',
        'h_bucket{le="+Inf"} 2',
        'h_sum 3.5',
        'h_count 2',
        '',
      ].join('\n'),
    );
    expect(f.get('a_total')?.samples[0]).toEqual({
      name: 'a_total',
      labels: { x: 'q"uote', y: 'b\\s' },
      value: 3,
    });
    expect(f.get('h')?.samples).toHaveLength(4);
  });

  it.each([
    ['a second TYPE', '# TYPE a counter\na 1\n# TYPE a counter\n'],
    ['a family split in two', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n'],
    ['a family declared twice', '# HELP a x\n# TYPE a gauge\n# HELP b y\n# HELP a x\n'],
    ['the same series twice', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'],
    ['an unquoted label', 'a{x=1} 1\n'],
    ['a bad value', 'a 1,5\n'],
    [
      'a +Inf bucket other than the count',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\n',
    ],
    ['no final newline', 'a 1'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});

describe('mergeScopes', () => {
  const reader = new PullReader();
  beforeAll(() => {
    // A provider of this test's own, through the same global API the packages use.
    metrics.disable();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    createTelemetry({ strategy: 'breaker', pipeline: 'p', scope: '@resil/breaker' }).event('x');
    createTelemetry({ strategy: 'retry', pipeline: 'p', scope: '@resil/retry' }).event('retry');
  });
  afterAll(() => metrics.disable());
  const serializer = new PrometheusSerializer('', false, undefined, true, true);

  it('is needed: the serializer alone writes one family per scope, which does not parse', async () => {
    const { resourceMetrics } = await reader.collect();
    expect(() => parsePrometheusText(serializer.serialize(resourceMetrics))).toThrow(
      /second HELP|appears twice/,
    );
  });

  it('writes one family per name, the scope as a label of each sample', async () => {
    const { resourceMetrics } = await reader.collect();
    const families = parsePrometheusText(serializer.serialize(mergeScopes(resourceMetrics)));
    const events = families.get('resilience_strategy_events_total');
    expect(events?.type).toBe('counter');
    expect(events?.samples.map((s) => [s.labels.otel_scope_name, s.labels.event_name])).toEqual([
      ['@resil/breaker', 'x'],
      ['@resil/retry', 'retry'],
    ]);
  });
});
