import type { Attributes } from '@opentelemetry/api';
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** The attribute that keeps, on each data point, the scope (package) that recorded it. */
export const SCOPE_ATTRIBUTE = 'otel.scope.name';

/**
 * One metric per instrument name, whatever the number of scopes that recorded it.
 *
 * Every @resil package reports `resilience.strategy.events` (and the two duration histograms)
 * under its own instrumentation scope, so the SDK collects the same instrument name once per
 * package. The Prometheus serializer writes one family per scope, which would repeat `# HELP`
 * and `# TYPE` for the same name: a scraper refuses that exposition. This merges the data points
 * of each name into one metric and keeps the scope as the `otel.scope.name` attribute (the label
 * the serializer itself would have added). A name seen again with another kind (a counter here,
 * a histogram there) is dropped, not merged: one family has one type.
 */
export function mergeScopes(rm: ResourceMetrics): ResourceMetrics {
  const byName = new Map<string, MetricData>();
  for (const { scope, metrics } of rm.scopeMetrics) {
    for (const metric of metrics) {
      const points = metric.dataPoints.map((p) => ({
        ...p,
        attributes: { ...p.attributes, [SCOPE_ATTRIBUTE]: scope.name } as Attributes,
      }));
      const seen = byName.get(metric.descriptor.name);
      if (seen === undefined) {
        byName.set(metric.descriptor.name, { ...metric, dataPoints: points } as MetricData);
      } else if (sameKind(seen, metric)) {
        (seen.dataPoints as unknown[]).push(...points);
      }
    }
  }
  return {
    resource: rm.resource,
    scopeMetrics: [{ scope: { name: 'hospital-demo' }, metrics: [...byName.values()] }],
  };
}

function sameKind(a: MetricData, b: MetricData): boolean {
  if (a.dataPointType !== b.dataPointType) return false;
  if ('isMonotonic' in a && 'isMonotonic' in b) return a.isMonotonic === b.isMonotonic;
  return true;
}
