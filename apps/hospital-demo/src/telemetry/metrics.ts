import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { mergeScopes } from './merge';

/**
 * The OpenTelemetry metrics of the @resil packages (`resilience.strategy.events`,
 * `resilience.strategy.attempt.duration`, `resilience.pipeline.duration`), pulled at each scrape
 * and written in Prometheus text after the app's prom-client metrics. Why the OpenTelemetry
 * serializer and not a bridge into prom-client: README, "Metrics" (measured by
 * test/bench/metrics-exposition.ts).
 */
export interface OtelMetrics {
  /** False when another MeterProvider was registered first (the packages report to that one). */
  readonly registered: boolean;
  /** The OpenTelemetry families as Prometheus text (one family per name), '' when empty. */
  text(): Promise<string>;
}

let installed: OtelMetrics | undefined;

/**
 * Registers the process-wide MeterProvider (once: OpenTelemetry has one global provider per
 * process, so every app of a process shares it) whose reader is pulled by `/metrics`. The
 * Prometheus exporter's own HTTP server is never started.
 */
export function installOtelMetrics(): OtelMetrics {
  if (installed) return installed;
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [reader] });
  const registered = metrics.setGlobalMeterProvider(provider);
  // No target_info (the resource says nothing the scrape target does not) and no per-scope
  // families: mergeScopes keeps the scope as a label of one family per name.
  const serializer = new PrometheusSerializer('', false, undefined, true, true);
  installed = Object.freeze({
    registered,
    async text() {
      if (!registered) return '';
      const { resourceMetrics } = await reader.collect();
      // `# UNIT` is OpenMetrics metadata, not part of the 0.0.4 text format served here.
      return serializer.serialize(mergeScopes(resourceMetrics)).replace(/^# UNIT .*\n/gm, '');
    },
  });
  return installed;
}
