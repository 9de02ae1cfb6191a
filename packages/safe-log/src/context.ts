import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Fields attached to every record written inside `withLogContext` (request id, tenant, …). */
const storage = new AsyncLocalStorage<Readonly<Record<string, unknown>>>();

/**
 * Runs `fn` with `fields` attached to every record any SafeLogger writes inside it, across
 * `await`s (AsyncLocalStorage); nested calls add to the outer fields. `requestLogger` does this
 * for every request with its `requestId`.
 */
export function withLogContext<T>(fields: Readonly<Record<string, unknown>>, fn: () => T): T {
  if (fields === null || typeof fields !== 'object')
    throw new TypeError('withLogContext: fields must be an object');
  return storage.run({ ...(storage.getStore() ?? {}), ...fields }, fn);
}

/** The fields of the current `withLogContext`, if any. */
export function getLogContext(): Readonly<Record<string, unknown>> | undefined {
  return storage.getStore();
}

/** Trace and span ids of the active span. */
export interface TraceIds {
  traceId: string;
  spanId: string;
}

interface OtelApi {
  trace: {
    getActiveSpan(): { spanContext(): { traceId: string; spanId: string } } | undefined;
  };
}
let otel: OtelApi | null | undefined;

/**
 * The active OpenTelemetry span's ids, read through `@opentelemetry/api` when the application has
 * it installed (looked up once, from the working directory; never a dependency of this package).
 */
export function otelTraceIds(): TraceIds | undefined {
  if (otel === undefined) {
    try {
      const req =
        typeof require === 'function'
          ? require
          : createRequire(path.join(process.cwd(), 'package.json'));
      otel = req('@opentelemetry/api') as OtelApi;
    } catch {
      otel = null;
    }
  }
  const ctx = otel?.trace.getActiveSpan()?.spanContext();
  if (!ctx || /^0+$/.test(ctx.traceId)) return undefined;
  return { traceId: ctx.traceId, spanId: ctx.spanId };
}
