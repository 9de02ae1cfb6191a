import { optionalRequire } from './internal/optional';

/**
 * Telemetry through `@opentelemetry/api`, an optional peer: when the application has not
 * installed it (or has no SDK), every call is a no-op. Instruments are named like Polly's
 * resilience telemetry: one counter of events with an `event.name` attribute, and histograms of
 * attempt and pipeline durations. Attributes hold names, codes and numbers only.
 */

/** Instrument and attribute names (stable; Prometheus shows `.` as `_`). */
export const TELEMETRY_NAMES = Object.freeze({
  /** Counter: one per resilience event (retry, circuit opened, rate limited, replayed, ...). */
  EVENTS: 'resilience.strategy.events',
  /** Histogram (ms): one execution attempt (retry, breaker). */
  ATTEMPT_DURATION: 'resilience.strategy.attempt.duration',
  /** Histogram (ms): a whole execution through a strategy or a pipeline of them. */
  PIPELINE_DURATION: 'resilience.pipeline.duration',
  /** Span attribute: the ordinal of a resent outbound HTTP request (1 for the first retry). */
  RESEND_COUNT: 'http.request.resend_count',
  EVENT_NAME: 'event.name',
  EVENT_SEVERITY: 'event.severity',
  PIPELINE_NAME: 'pipeline.name',
  STRATEGY_NAME: 'strategy.name',
  ERROR_TYPE: 'error.type',
  ATTEMPT_NUMBER: 'attempt.number',
  ATTEMPT_HANDLED: 'attempt.handled',
} as const);

export type Severity = 'debug' | 'information' | 'warning' | 'error';
export type Attributes = Record<string, string | number | boolean>;

/** The parts of an OpenTelemetry span used here. */
export interface SpanLike {
  addEvent(name: string, attributes?: Attributes): unknown;
  setAttribute(key: string, value: string | number | boolean): unknown;
}
interface CounterLike {
  add(value: number, attributes?: Attributes): void;
}
interface HistogramLike {
  record(value: number, attributes?: Attributes): void;
}
interface MeterLike {
  createCounter(name: string, options?: { description?: string; unit?: string }): CounterLike;
  createHistogram(name: string, options?: { description?: string; unit?: string }): HistogramLike;
}
interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}
/** The parts of `@opentelemetry/api` used here (the module itself fits). */
export interface OpenTelemetryApiLike {
  metrics: { getMeterProvider(): MeterProviderLike };
  trace: { getActiveSpan(): SpanLike | undefined };
}

let loaded: OpenTelemetryApiLike | null | undefined;
/** `@opentelemetry/api` when installed, else null (looked up once). */
function globalApi(): OpenTelemetryApiLike | null {
  if (loaded === undefined)
    loaded = optionalRequire<OpenTelemetryApiLike>('@opentelemetry/api') ?? null;
  return loaded;
}

/** True when `@opentelemetry/api` can be loaded by this process. */
export function isTelemetryAvailable(): boolean {
  return globalApi() !== null;
}

export interface TelemetryOptions {
  /** The strategy, for `strategy.name`: `retry`, `breaker`, `ratelimit`, `idempotency`, ... */
  strategy: string;
  /** The pipeline (a breaker's or limiter's name), for `pipeline.name`. @default none */
  pipeline?: string;
  /** The instrumentation scope (the meter's name). @default '@resil/core' */
  scope?: string;
  /** Version of the scope. @default none */
  version?: string;
  /** The OpenTelemetry API to use; `null` turns telemetry off. @default `@opentelemetry/api` when installed */
  api?: OpenTelemetryApiLike | null;
}

export interface EventInit {
  /** @default 'information' */
  severity?: Severity;
  /** More attributes (names, codes, numbers only). */
  attributes?: Attributes;
  /** Where the span event goes. @default the active span */
  span?: SpanLike;
}

/** The telemetry of one strategy instance. */
export interface Telemetry {
  /** False when no OpenTelemetry API is at hand (every method is then a no-op). */
  readonly enabled: boolean;
  /**
   * True while durations would be recorded: an OpenTelemetry SDK's MeterProvider is registered
   * (read on each access, one provider lookup; an SDK registered later turns it on). A hot path
   * skips its clock reads for `attempt`/`execution` when it is false.
   */
  readonly recording: boolean;
  /** Counts an event (`resilience.strategy.events`) and adds it as a span event. */
  event(name: string, init?: EventInit): void;
  /** Records one attempt's duration with its number and whether its outcome was handled. */
  attempt(
    durationMs: number,
    init: { attempt: number; handled: boolean; errorType?: string; attributes?: Attributes },
  ): void;
  /** Records a whole execution's duration (`error.type`: the error code, when it failed). */
  execution(durationMs: number, init?: { errorType?: string; attributes?: Attributes }): void;
  /** Sets `http.request.resend_count` (for `count` >= 1) on the span (default: the active one). */
  setResendCount(count: number, span?: SpanLike): void;
}

interface Instruments {
  provider: MeterProviderLike;
  events: CounterLike;
  attempts: HistogramLike;
  executions: HistogramLike;
}

const disabled: Telemetry = Object.freeze({
  enabled: false,
  recording: false,
  event() {},
  attempt() {},
  execution() {},
  setResendCount() {},
});

/** The API's own no-op MeterProvider (what `getMeterProvider()` gives before an SDK registers). */
function isNoopProvider(provider: MeterProviderLike): boolean {
  return (
    (provider as { constructor?: { name?: string } }).constructor?.name === 'NoopMeterProvider'
  );
}

/**
 * Telemetry for one strategy. Instruments are created on first use and again whenever the
 * global MeterProvider changes (an SDK registered after the package was loaded still gets data).
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  if (typeof options?.strategy !== 'string' || options.strategy.length === 0)
    throw new TypeError('createTelemetry: strategy must be a non-empty string');
  const api = options.api === undefined ? globalApi() : options.api;
  if (!api) return disabled;
  const scope = options.scope ?? '@resil/core';
  const base: Attributes = { [TELEMETRY_NAMES.STRATEGY_NAME]: options.strategy };
  if (options.pipeline !== undefined) base[TELEMETRY_NAMES.PIPELINE_NAME] = options.pipeline;
  // Instruments per MeterProvider; null for the API's no-op provider (no SDK registered), so a
  // call then builds no attribute object at all (a healthy breaker call paid ~0.8 µs for it).
  let seen: MeterProviderLike | undefined;
  let inst: Instruments | null = null;
  const instruments = (): Instruments | null => {
    try {
      const provider = api.metrics.getMeterProvider();
      if (provider === seen) return inst;
      seen = provider;
      inst = null;
      if (isNoopProvider(provider)) return null;
      const meter = provider.getMeter(scope, options.version);
      inst = {
        provider,
        events: meter.createCounter(TELEMETRY_NAMES.EVENTS, {
          description: 'Resilience events (event.name says which)',
          unit: '{event}',
        }),
        attempts: meter.createHistogram(TELEMETRY_NAMES.ATTEMPT_DURATION, {
          description: 'Duration of one execution attempt',
          unit: 'ms',
        }),
        executions: meter.createHistogram(TELEMETRY_NAMES.PIPELINE_DURATION, {
          description: 'Duration of a whole execution through the strategy',
          unit: 'ms',
        }),
      };
      return inst;
    } catch {
      return null; // telemetry never changes the outcome of a call
    }
  };
  const activeSpan = (span?: SpanLike) => {
    try {
      return span ?? api.trace.getActiveSpan();
    } catch {
      return undefined;
    }
  };

  return Object.freeze({
    enabled: true,
    get recording() {
      return instruments() !== null;
    },
    event(name: string, init?: EventInit) {
      try {
        const counter = instruments()?.events;
        const span = activeSpan(init?.span);
        if (!counter && !span) return;
        const attrs: Attributes = {
          ...init?.attributes,
          ...base,
          [TELEMETRY_NAMES.EVENT_NAME]: name,
          [TELEMETRY_NAMES.EVENT_SEVERITY]: init?.severity ?? 'information',
        };
        counter?.add(1, attrs);
        span?.addEvent(name, attrs);
      } catch {
        // telemetry never changes the outcome of a call
      }
    },
    attempt(
      durationMs: number,
      init: { attempt: number; handled: boolean; errorType?: string; attributes?: Attributes },
    ) {
      try {
        const histogram = instruments()?.attempts;
        if (!histogram) return;
        const attrs: Attributes = {
          ...init.attributes,
          ...base,
          [TELEMETRY_NAMES.ATTEMPT_NUMBER]: init.attempt,
          [TELEMETRY_NAMES.ATTEMPT_HANDLED]: init.handled,
        };
        if (init.errorType !== undefined) attrs[TELEMETRY_NAMES.ERROR_TYPE] = init.errorType;
        histogram.record(durationMs, attrs);
      } catch {
        // telemetry never changes the outcome of a call
      }
    },
    execution(durationMs: number, init: { errorType?: string; attributes?: Attributes } = {}) {
      try {
        const histogram = instruments()?.executions;
        if (!histogram) return;
        const attrs: Attributes = { ...init.attributes, ...base };
        if (init.errorType !== undefined) attrs[TELEMETRY_NAMES.ERROR_TYPE] = init.errorType;
        histogram.record(durationMs, attrs);
      } catch {
        // telemetry never changes the outcome of a call
      }
    },
    setResendCount(count: number, span?: SpanLike) {
      if (!Number.isInteger(count) || count < 1) return;
      try {
        activeSpan(span)?.setAttribute(TELEMETRY_NAMES.RESEND_COUNT, count);
      } catch {
        // telemetry never changes the outcome of a call
      }
    },
  });
}
