// Issue #23 (test strength): the `error.type` a breaker records for errors without a usable code
// or status, and for results that count as failures (src/circuit.ts: errorTypeOf and the
// failed-result path), found from the survivors of the `circuit` mutation part. A minimal
// MeterProvider (test/helpers/meter.ts) records what the breaker's instruments get.
import { metrics } from '@opentelemetry/api';
import { circuitBreaker } from '../../src';
import { RecordingMeterProvider } from '../helpers/meter';

let seq = 0;
const uniqueName = () => `circuit-telemetry.${process.pid}.${++seq}`;

describe('error.type in the attempt and execution durations', () => {
  afterEach(() => metrics.disable());

  it('a code, else a status, else the class name when it is a short token, else _OTHER', async () => {
    class RemoteError extends Error {
      override name = 'RemoteError';
    }
    const thrown: Record<string, () => unknown> = {
      code: () => Object.assign(new Error('reset'), { code: 'ECONNRESET', status: 503 }),
      status: () => Object.assign(new Error('HTTP 502'), { status: 502 }),
      className: () => new RemoteError('remote'),
      freeText: () => Object.assign(new Error('x'), { name: 'patient 123 not found' }),
      string: () => 'boom',
      object: () => ({ reason: 'no name' }),
      // a name on something that is not an Error is not a class name
      namedObject: () => ({ name: 'NotAnError' }),
    };
    const f = circuitBreaker({ name: uniqueName(), failureThreshold: 100, logger: false })(
      async (k: string) => {
        throw (thrown[k] as () => unknown)();
      },
    );
    const provider = new RecordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    for (const k of Object.keys(thrown)) await expect(f(k)).rejects.toBeDefined();
    const expected = ['ECONNRESET', '502', 'RemoteError', '_OTHER', '_OTHER', '_OTHER', '_OTHER'];
    expect(provider.errorTypes('resilience.strategy.attempt.duration')).toEqual(expected);
    expect(provider.errorTypes('resilience.pipeline.duration')).toEqual(expected);
    expect(f.breaker.stats.failures).toBe(7);
    await f.close();
  });

  it('a result counted as a failure: its status, else _OTHER; handled, and the result returned', async () => {
    const f = circuitBreaker({
      name: uniqueName(),
      failureThreshold: 100,
      logger: false,
      isFailureResult: (r) => r !== 'fine',
    })(async (r: unknown) => r);
    const provider = new RecordingMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const response = { status: 503, headers: {} };
    await expect(f(response)).resolves.toBe(response);
    await expect(f('bad')).resolves.toBe('bad');
    await expect(f('fine')).resolves.toBe('fine');
    expect(provider.errorTypes('resilience.strategy.attempt.duration')).toEqual([
      '503',
      '_OTHER',
      undefined,
    ]);
    expect(provider.errorTypes('resilience.pipeline.duration')).toEqual([
      '503',
      '_OTHER',
      undefined,
    ]);
    const handled = provider.recorded
      .filter((r) => r.instrument === 'resilience.strategy.attempt.duration')
      .map((r) => r.attributes['attempt.handled']);
    expect(handled).toEqual([true, true, false]);
    expect(f.breaker.stats).toMatchObject({ calls: 3, failures: 2, successes: 1 });
    expect(f.breaker.failures).toBe(0);
    await f.close();
  });
});
