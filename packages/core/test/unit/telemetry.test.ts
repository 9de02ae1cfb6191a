import { metrics, trace } from '@opentelemetry/api';
import {
  type Attributes,
  createTelemetry,
  isTelemetryAvailable,
  type SpanLike,
  TELEMETRY_NAMES,
} from '../../src/index';

type Recorded = { instrument: string; value: number; attributes?: Attributes };

/** A MeterProvider that records what the instruments get (the API's global registration). */
function recordingProvider(scopes: string[] = []) {
  const recorded: Recorded[] = [];
  const created: { name: string; unit?: string }[] = [];
  const provider = {
    getMeter(scope: string) {
      scopes.push(scope);
      const make = (name: string, opts?: { unit?: string }) => {
        created.push({ name, unit: opts?.unit });
        const rec = (value: number, attributes?: Attributes) =>
          recorded.push({ instrument: name, value, attributes });
        return { add: rec, record: rec };
      };
      return { createCounter: make, createHistogram: make };
    },
  };
  return { provider, recorded, created, scopes };
}

function recordingSpan() {
  const events: { name: string; attributes?: Attributes }[] = [];
  const attributes: Record<string, unknown> = {};
  const span: SpanLike = {
    addEvent: (name, attrs) => events.push({ name, attributes: attrs }),
    setAttribute: (k, v) => {
      attributes[k] = v;
    },
  };
  return { span, events, attributes };
}

describe('createTelemetry', () => {
  afterEach(() => metrics.disable());

  it('sees @opentelemetry/api when it is installed', () => {
    expect(isTelemetryAvailable()).toBe(true);
    expect(createTelemetry({ strategy: 'retry' }).enabled).toBe(true);
  });

  it('counts an event as resilience.strategy.events with its name, and adds a span event', () => {
    const { provider, recorded, created } = recordingProvider();
    metrics.setGlobalMeterProvider(provider as never);
    const { span, events } = recordingSpan();
    const t = createTelemetry({ strategy: 'retry', pipeline: 'hospital-api.create' });
    t.event('OnRetry', { severity: 'warning', attributes: { 'attempt.number': 2 }, span });
    const attrs = {
      'attempt.number': 2,
      'strategy.name': 'retry',
      'pipeline.name': 'hospital-api.create',
      'event.name': 'OnRetry',
      'event.severity': 'warning',
    };
    expect(recorded).toEqual([
      { instrument: 'resilience.strategy.events', value: 1, attributes: attrs },
    ]);
    expect(events).toEqual([{ name: 'OnRetry', attributes: attrs }]);
    expect(created).toEqual([
      { name: 'resilience.strategy.events', unit: '{event}' },
      { name: 'resilience.strategy.attempt.duration', unit: 'ms' },
      { name: 'resilience.pipeline.duration', unit: 'ms' },
    ]);
  });

  it('records attempt and pipeline durations', () => {
    const { provider, recorded } = recordingProvider();
    metrics.setGlobalMeterProvider(provider as never);
    const t = createTelemetry({ strategy: 'breaker' });
    t.attempt(12.5, { attempt: 1, handled: true, errorType: 'RESIL_BREAKER_TIMEOUT' });
    t.execution(40, { errorType: 'RESIL_BREAKER_OPEN' });
    t.execution(3);
    expect(recorded).toEqual([
      {
        instrument: TELEMETRY_NAMES.ATTEMPT_DURATION,
        value: 12.5,
        attributes: {
          'strategy.name': 'breaker',
          'attempt.number': 1,
          'attempt.handled': true,
          'error.type': 'RESIL_BREAKER_TIMEOUT',
        },
      },
      {
        instrument: TELEMETRY_NAMES.PIPELINE_DURATION,
        value: 40,
        attributes: { 'strategy.name': 'breaker', 'error.type': 'RESIL_BREAKER_OPEN' },
      },
      {
        instrument: TELEMETRY_NAMES.PIPELINE_DURATION,
        value: 3,
        attributes: { 'strategy.name': 'breaker' },
      },
    ]);
  });

  it('follows a MeterProvider registered after the telemetry was made', () => {
    const t = createTelemetry({ strategy: 'ratelimit', scope: '@resil/ratelimit' });
    t.event('OnRateLimiterRejected'); // no provider yet: the API's no-op
    const later = recordingProvider();
    metrics.setGlobalMeterProvider(later.provider as never);
    t.event('OnRateLimiterRejected');
    t.event('OnRateLimiterRejected');
    expect(later.recorded).toHaveLength(2);
    expect(later.scopes).toEqual(['@resil/ratelimit']); // instruments made once per provider
  });

  it('recording: false with the API but no SDK, true once an SDK registers, false when off', () => {
    const t = createTelemetry({ strategy: 'breaker' });
    expect(t.enabled).toBe(true);
    expect(t.recording).toBe(false); // the API's no-op MeterProvider
    const later = recordingProvider();
    metrics.setGlobalMeterProvider(later.provider as never);
    expect(t.recording).toBe(true);
    t.execution(3);
    expect(later.recorded).toHaveLength(1);
    expect(createTelemetry({ strategy: 'breaker', api: null }).recording).toBe(false);
  });

  it('sets http.request.resend_count on resends only', () => {
    const t = createTelemetry({ strategy: 'retry' });
    const { span, attributes } = recordingSpan();
    t.setResendCount(0, span);
    expect(attributes).toEqual({});
    t.setResendCount(2, span);
    expect(attributes).toEqual({ 'http.request.resend_count': 2 });
  });

  it('uses the active span when none is given (none active: nothing happens)', () => {
    const t = createTelemetry({ strategy: 'retry' });
    expect(trace.getActiveSpan()).toBeUndefined();
    expect(() => t.setResendCount(1)).not.toThrow();
    expect(() => t.event('OnRetry')).not.toThrow();
  });

  it('never throws when the telemetry backend does', () => {
    metrics.setGlobalMeterProvider({
      getMeter() {
        throw new Error('sdk bug');
      },
    } as never);
    const t = createTelemetry({ strategy: 'retry' });
    const span: SpanLike = {
      addEvent() {
        throw new Error('span bug');
      },
      setAttribute() {
        throw new Error('span bug');
      },
    };
    expect(() => t.event('OnRetry', { span })).not.toThrow();
    expect(() => t.attempt(1, { attempt: 1, handled: false })).not.toThrow();
    expect(() => t.execution(1)).not.toThrow();
    expect(() => t.setResendCount(1, span)).not.toThrow();
  });

  it('is a no-op with api: null (as when @opentelemetry/api is not installed)', () => {
    const { provider, recorded } = recordingProvider();
    metrics.setGlobalMeterProvider(provider as never);
    const t = createTelemetry({ strategy: 'retry', api: null });
    const { span, events, attributes } = recordingSpan();
    t.event('OnRetry', { span });
    t.attempt(1, { attempt: 1, handled: true });
    t.execution(1);
    t.setResendCount(1, span);
    expect(t.enabled).toBe(false);
    expect([recorded, events, attributes]).toEqual([[], [], {}]);
  });

  it('needs a strategy name', () => {
    expect(() => createTelemetry({} as never)).toThrow(TypeError);
  });
});

describe('no SDK registered: nothing is built per call', () => {
  afterEach(() => metrics.disable());

  it("the API's own no-op provider gets no meter and no attribute object; an SDK registered later does", () => {
    metrics.disable();
    const noop = metrics.getMeterProvider();
    const getMeter = jest.spyOn(noop, 'getMeter');
    const t = createTelemetry({ strategy: 'breaker', pipeline: 'p' });
    const spread = jest.fn((): (string | symbol)[] => []);
    const attributes = new Proxy({}, { ownKeys: spread }) as Attributes;
    t.event('opened', { attributes });
    t.attempt(1, { attempt: 1, handled: false, attributes });
    t.execution(1, { attributes });
    expect(getMeter).not.toHaveBeenCalled();
    expect(spread).not.toHaveBeenCalled(); // no `{ ...attributes }` copy was made
    getMeter.mockRestore();

    const { provider, recorded } = recordingProvider();
    metrics.setGlobalMeterProvider(provider as never);
    t.event('opened', { attributes: { a: 1 } });
    t.execution(2);
    expect(recorded.map((r) => r.instrument)).toEqual([
      TELEMETRY_NAMES.EVENTS,
      TELEMETRY_NAMES.PIPELINE_DURATION,
    ]);
  });

  it('an active span still gets the event when no meter is registered', () => {
    metrics.disable();
    const { span, events } = recordingSpan();
    createTelemetry({ strategy: 'retry' }).event('retry', { span });
    expect(events.map((e) => e.name)).toEqual(['retry']);
  });
});
