import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

/** The span attribute that ties a trace to the request's `X-Request-Id`. */
export const REQUEST_ID_ATTRIBUTE = 'demo.request_id';
/** How many finished spans the in-memory exporter keeps (the oldest go first). */
export const KEPT_SPANS = 2_000;

/** A finished span as `/traces/:requestId` shows it: names, codes and numbers only. */
export interface SpanView {
  name: string;
  spanId: string;
  parentSpanId: string | undefined;
  kind: number;
  /** Start, in ms after the trace's first span started. */
  startMs: number;
  durationMs: number;
  status: 'unset' | 'ok' | 'error';
  attributes: Record<string, unknown>;
  events: Array<{ name: string; atMs: number; attributes: Record<string, unknown> }>;
}

const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
const round = (n: number) => Math.round(n * 100) / 100;

/** An in-memory exporter that keeps the last KEPT_SPANS spans (so memory stays bounded). */
export class RecentSpans implements SpanExporter {
  readonly #spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.#spans.push(...spans);
    if (this.#spans.length > KEPT_SPANS) this.#spans.splice(0, this.#spans.length - KEPT_SPANS);
    done({ code: 0 }); // ExportResultCode.SUCCESS
  }
  async shutdown(): Promise<void> {
    this.#spans.length = 0;
  }
  async forceFlush(): Promise<void> {}

  /**
   * Every kept span of the trace whose server span carries `requestId` (the latest such request,
   * when a client reused the id), oldest first.
   */
  traceOf(requestId: string): { traceId: string; spans: SpanView[] } | undefined {
    let root: ReadableSpan | undefined;
    for (let i = this.#spans.length - 1; i >= 0 && !root; i--) {
      if (this.#spans[i]?.attributes[REQUEST_ID_ATTRIBUTE] === requestId) root = this.#spans[i];
    }
    if (!root) return undefined;
    const traceId = root.spanContext().traceId;
    const spans = this.#spans
      .filter((s) => s.spanContext().traceId === traceId)
      .sort((a, b) => ms(a.startTime) - ms(b.startTime));
    const t0 = ms(spans[0]?.startTime ?? root.startTime);
    return {
      traceId,
      spans: spans.map((s) => ({
        name: s.name,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId,
        kind: s.kind,
        startMs: round(ms(s.startTime) - t0),
        durationMs: round(ms(s.duration)),
        status:
          s.status.code === SpanStatusCode.ERROR
            ? 'error'
            : s.status.code === SpanStatusCode.OK
              ? 'ok'
              : 'unset',
        attributes: { ...s.attributes },
        events: s.events.map((e) => ({
          name: e.name,
          atMs: round(ms(e.time) - t0),
          attributes: { ...e.attributes },
        })),
      })),
    };
  }
}

export interface OtelTracing {
  readonly registered: boolean;
  readonly tracer: Tracer;
  readonly spans: RecentSpans;
}

let installed: OtelTracing | undefined;

/**
 * Registers the process-wide TracerProvider (spans kept in memory, see RecentSpans) and the
 * AsyncLocalStorage context manager, once per process: the packages add their events to the
 * active span through `@opentelemetry/api`.
 */
export function installTracing(): OtelTracing {
  if (installed) return installed;
  const spans = new RecentSpans();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const registered = trace.setGlobalTracerProvider(provider);
  installed = Object.freeze({ registered, tracer: trace.getTracer('hospital-demo'), spans });
  return installed;
}

/** Ends `span` with an error status whose description is the error's code or name (no message). */
export function failSpan(span: Span, err: unknown): void {
  const e = err as { code?: unknown; name?: unknown } | null;
  const type =
    typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'error';
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}
