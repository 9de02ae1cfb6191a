// OpenTelemetry through @resil/core's createTelemetry (issue #18): every outcome and state change
// is counted in resilience.strategy.events with its event.name, and each call's attempt and
// execution durations are recorded. The package has no OpenTelemetry SDK, so this registers a
// minimal MeterProvider written against @opentelemetry/api's own interfaces (a no-op meter whose
// counter and histogram record what they get) as the global provider, after the breaker exists,
// as an application would.
import {
  metrics,
  context as otelContext,
  ROOT_CONTEXT,
  type Span,
  trace,
} from '@opentelemetry/api';
import { circuitBreaker, TELEMETRY_EVENTS } from '../../src';
import { RecordingMeterProvider } from '../helpers/meter';

let seq = 0;
const uniqueName = () => `telemetry.${process.pid}.${++seq}`;
const fail = (status = 503) => Object.assign(new Error(`HTTP ${status}`), { status });

describe('breaker telemetry', () => {
  afterEach(() => metrics.disable());

  it('counts each outcome and state change in resilience.strategy.events (meter @resil/breaker), with strategy and pipeline names and a severity', async () => {
    const name = uniqueName();
    let mode: 'ok' | 'fail' | 'hang' = 'ok';
    const f = circuitBreaker({
      name,
      failureThreshold: 2,
      resetTimeoutMs: 60_000,
      timeoutMs: 50,
      logger: false,
    })(async () => {
      if (mode === 'fail') throw fail();
      if (mode === 'hang') return new Promise<string>(() => {});
      return 'ok';
    });
    const provider = new RecordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    await f();
    mode = 'fail';
    await expect(f()).rejects.toMatchObject({ status: 503 });
    mode = 'hang';
    await expect(f()).rejects.toMatchObject({ code: 'RESIL_BREAKER_TIMEOUT' });
    await expect(f()).rejects.toMatchObject({ code: 'RESIL_BREAKER_OPEN' });
    await f.breaker.forceClose();
    const events = provider.of('resilience.strategy.events');
    expect(events.map((e) => e.attributes['event.name'])).toEqual([
      'call-succeeded',
      'call-failed',
      'call-timed-out',
      'call-failed',
      'circuit-opened',
      'call-rejected',
      'circuit-closed',
    ]);
    for (const e of events) {
      expect(e.scope).toBe('@resil/breaker');
      expect(e.value).toBe(1);
      expect(e.attributes).toMatchObject({ 'strategy.name': 'breaker', 'pipeline.name': name });
      const event = e.attributes['event.name'] as keyof typeof TELEMETRY_EVENTS;
      expect(e.attributes['event.severity']).toBe(TELEMETRY_EVENTS[event]);
    }
    expect(TELEMETRY_EVENTS['circuit-opened']).toBe('error');
    await f.close();
  });

  it('records the attempt (handled = counted as a failure) and execution durations, with error.type from the code or the HTTP status', async () => {
    const name = uniqueName();
    const f = circuitBreaker({ name, failureThreshold: 2, resetTimeoutMs: 60_000, logger: false })(
      // the call context comes last: an optional parameter must check its type (issue #19)
      async (status?: unknown) => {
        if (typeof status === 'number') throw fail(status);
        return 'ok';
      },
    );
    const provider = new RecordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    await f();
    await expect(f(404)).rejects.toMatchObject({ status: 404 }); // not counted
    await expect(f(503)).rejects.toMatchObject({ status: 503 });
    await expect(f(502)).rejects.toMatchObject({ status: 502 }); // opens
    await expect(f()).rejects.toMatchObject({ code: 'RESIL_BREAKER_OPEN' });
    const base = { 'strategy.name': 'breaker', 'pipeline.name': name };
    const attempts = provider.of('resilience.strategy.attempt.duration');
    expect(attempts.map((a) => a.attributes)).toEqual([
      { ...base, 'attempt.number': 1, 'attempt.handled': false },
      { ...base, 'attempt.number': 1, 'attempt.handled': false, 'error.type': '404' },
      { ...base, 'attempt.number': 1, 'attempt.handled': true, 'error.type': '503' },
      { ...base, 'attempt.number': 1, 'attempt.handled': true, 'error.type': '502' },
    ]);
    const executions = provider.of('resilience.pipeline.duration');
    expect(executions.map((a) => a.attributes)).toEqual([
      base,
      { ...base, 'error.type': '404' },
      { ...base, 'error.type': '503' },
      { ...base, 'error.type': '502' },
      { ...base, 'error.type': 'RESIL_BREAKER_OPEN' },
    ]);
    for (const r of [...attempts, ...executions]) {
      expect(r.scope).toBe('@resil/breaker');
      expect(r.value).toBeGreaterThanOrEqual(0);
    }
    await f.close();
  });

  it('follows the global MeterProvider: once it is unregistered nothing more is recorded, and calls work', async () => {
    const provider = new RecordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const f = circuitBreaker({ name: uniqueName(), failureThreshold: 1, logger: false })(
      async () => {
        throw fail();
      },
    );
    await expect(f()).rejects.toMatchObject({ status: 503 });
    const recorded = provider.recorded.length;
    expect(recorded).toBeGreaterThan(0);
    metrics.disable();
    await expect(f()).rejects.toMatchObject({ code: 'RESIL_BREAKER_OPEN' });
    expect(provider.recorded).toHaveLength(recorded);
    await f.close();
  });

  it('with tracing and no metrics SDK: no durations, but each success is still a span event', async () => {
    // A tracing SDK's active span, without a MeterProvider (the API's no-op one stays).
    const events: string[] = [];
    const span = {
      addEvent: (name: string) => {
        events.push(name);
        return span;
      },
      setAttribute: () => span,
      isRecording: () => true,
    } as unknown as Span;
    const active = trace.setSpan(ROOT_CONTEXT, span);
    otelContext.setGlobalContextManager({
      active: () => active,
      with: (_c, fn, thisArg, ...args) => fn.apply(thisArg, args),
      bind: (_c, target) => target,
      enable() {
        return this;
      },
      disable() {
        return this;
      },
    });
    try {
      const f = circuitBreaker({ name: uniqueName(), logger: false })(async () => 'ok');
      await expect(f()).resolves.toBe('ok');
      await expect(f()).resolves.toBe('ok');
      expect(events).toEqual(['call-succeeded', 'call-succeeded']);
      await f.close();
    } finally {
      otelContext.disable();
    }
  });

  it('telemetry: false records nothing for that circuit (breakers of one name must agree)', async () => {
    const provider = new RecordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const name = uniqueName();
    const f = circuitBreaker({ name, failureThreshold: 1, telemetry: false, logger: false })(
      async () => {
        throw fail();
      },
    );
    await expect(f()).rejects.toMatchObject({ status: 503 });
    await expect(f()).rejects.toMatchObject({ code: 'RESIL_BREAKER_OPEN' });
    expect(provider.recorded).toEqual([]);
    expect(() => circuitBreaker({ name, failureThreshold: 1, logger: false })).toThrow(
      expect.objectContaining({ code: 'RESIL_BREAKER_CONFLICT', option: 'telemetry' }),
    );
    expect(() => circuitBreaker({ name: uniqueName(), telemetry: 'no' as never })).toThrow(
      expect.objectContaining({ code: 'RESIL_CORE_OPTION_TYPE', option: 'telemetry' }),
    );
    await f.close();
  });
});
