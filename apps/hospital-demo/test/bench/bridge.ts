import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Registry } from 'prom-client';

/**
 * The OpenTelemetry metrics as prom-client metrics: one object per family, registered on the
 * app's prom-client registry, so that one `registry.metrics()` writes both worlds (and prom-client
 * refuses a name registered twice). Only measured against the OpenTelemetry serializer, see
 * test/bench/metrics-exposition.ts and the README ("Metrics"); the app uses the serializer.
 */

type Labels = Record<string, string | number>;
interface Value {
  metricName?: string;
  labels: Labels;
  value: number;
}
interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  values: Value[];
  get(): Family;
}

const labelName = (k: string) => k.replace(/[^a-zA-Z0-9_]/g, '_');
const metricName = (k: string) => k.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_+/g, '_');

function labelsOf(a: Attributes): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(a)) if (v !== undefined) out[labelName(k)] = String(v);
  return out;
}

function toValues(name: string, m: MetricData): Value[] {
  if (m.dataPointType === DataPointType.HISTOGRAM) {
    const out: Value[] = [];
    for (const p of m.dataPoints) {
      const labels = labelsOf(p.attributes);
      let sum = 0;
      p.value.buckets.counts.forEach((c, i) => {
        sum += c;
        const le = p.value.buckets.boundaries[i];
        out.push({
          metricName: `${name}_bucket`,
          labels: { ...labels, le: le === undefined ? '+Inf' : String(le) },
          value: sum,
        });
      });
      out.push({ metricName: `${name}_sum`, labels, value: p.value.sum ?? 0 });
      out.push({ metricName: `${name}_count`, labels, value: p.value.count });
    }
    return out;
  }
  if (m.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) return [];
  return m.dataPoints.map((p) => ({ labels: labelsOf(p.attributes), value: p.value }));
}

/** Puts the (scope-merged) OpenTelemetry metrics onto `registry`, replacing the last ones. */
export function bridgeInto(registry: Registry, rm: ResourceMetrics): void {
  for (const { metrics } of rm.scopeMetrics) {
    for (const m of metrics) {
      const counter = m.dataPointType === DataPointType.SUM && m.isMonotonic;
      let name = metricName(m.descriptor.name);
      if (counter && !name.endsWith('_total')) name += '_total';
      const family: Family = {
        name,
        help: m.descriptor.description || m.descriptor.name,
        type: counter
          ? 'counter'
          : m.dataPointType === DataPointType.HISTOGRAM
            ? 'histogram'
            : 'gauge',
        aggregator: 'sum',
        values: toValues(name, m),
        get() {
          return this;
        },
      };
      const reg = registry as unknown as { _metrics: Record<string, unknown> };
      // prom-client keeps one object per name: the new snapshot replaces the last one
      delete reg._metrics[name];
      registry.registerMetric(family as never);
    }
  }
}
