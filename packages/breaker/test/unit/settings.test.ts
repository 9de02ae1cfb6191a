// The settings configure() may change (src/settings.ts), in one process (memory): the defaults,
// the bounds each option is checked against (by circuitBreaker() and by configure(), with the
// function named in the message), the maximum open duration that follows a new resetTimeoutMs,
// and configure() called without options.
import { circuitBreaker } from '../../src';
import { closeAfterEach } from '../helpers/track';

let seq = 0;
const uniqueName = () => `settings.${process.pid}.${++seq}`;
const track = closeAfterEach();

function make(extra: Record<string, unknown> = {}) {
  return track(circuitBreaker({ name: uniqueName(), logger: false, ...extra })(async () => 'ok'));
}

/** The error `f()` throws (or undefined). */
async function errorOf(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('settings: defaults and bounds', () => {
  it('a breaker given only a name has the documented defaults', () => {
    expect(make().breaker.settings).toEqual({
      mode: 'consecutive',
      failureThreshold: 5,
      resetTimeoutMs: 60_000,
      resetTimeoutMaxMs: 60_000,
      resetBackoffFactor: 2,
      failureRateThreshold: 0.5,
      minimumCalls: 100,
      windowMs: 60_000,
      slowCallDurationMs: 0,
      slowCallRateThreshold: 1,
      halfOpenPermits: 1,
      quorum: 1,
      timeoutMs: 0,
    });
  });

  it('configure() changes only what it names: every other setting given to the constructor stays', async () => {
    const given = {
      mode: 'rate',
      failureThreshold: 7,
      resetTimeoutMs: 2_000,
      resetTimeoutMaxMs: 9_000,
      resetBackoffFactor: 3,
      failureRateThreshold: 0.25,
      minimumCalls: 11,
      windowMs: 5_000,
      slowCallDurationMs: 40,
      slowCallRateThreshold: 0.75,
      halfOpenPermits: 2,
      quorum: 2,
    };
    const f = make(given);
    expect(f.breaker.settings).toEqual({ ...given, timeoutMs: 0 });
    const r = await f.breaker.configure({ timeoutMs: 50 });
    expect(r.settings).toEqual({ ...given, timeoutMs: 50 });
    await f.breaker.configure({ quorum: 3 });
    expect(f.breaker.settings).toEqual({ ...given, quorum: 3, timeoutMs: 50 });
  });

  // [option, refused values, accepted values]
  const bounds: Array<[string, unknown[], unknown[]]> = [
    ['resetBackoffFactor', [0.99, 100.5], [1, 1.5, 100]],
    ['windowMs', [99, 0], [100, 250]],
    ['failureRateThreshold', [0, 1.01], [Number.MIN_VALUE, 1]],
    ['slowCallRateThreshold', [0, 1.01], [0.01, 1]],
    ['slowCallDurationMs', [-1, 1.5], [0, 10]],
    ['timeoutMs', [-1], [0, 10]],
    ['minimumCalls', [0], [1]],
    ['halfOpenPermits', [0], [1, 3]],
    ['quorum', [0], [1, 4]],
    ['failureThreshold', [0], [1]],
    ['resetTimeoutMs', [0], [1]],
  ];
  it.each(bounds)(
    '%s: refused (RangeError naming it) and accepted values, by configure() and by circuitBreaker()',
    async (option, refused, accepted) => {
      const f = make({ resetTimeoutMs: 1, resetTimeoutMaxMs: 1 });
      for (const v of refused) {
        const e = await errorOf(() => f.breaker.configure({ [option]: v }));
        expect(e).toBeInstanceOf(RangeError);
        expect((e as Error).message).toMatch(new RegExp(`^breaker\\.configure: ${option}\\b`));
        const c = await errorOf(() => make({ [option]: v }));
        expect(c).toBeInstanceOf(RangeError);
        expect((c as Error).message).toMatch(new RegExp(`^circuitBreaker: ${option}\\b`));
      }
      for (const v of accepted) {
        // the constructor's timeoutMs is the breaker's own call timeout, not this setting (which
        // overrides it when configure() sets it)
        if (option !== 'timeoutMs')
          expect(make({ [option]: v }).breaker.settings).toMatchObject({ [option]: v });
        const r = await f.breaker.configure({ [option]: v });
        expect(r.settings).toMatchObject({ [option]: v });
      }
    },
  );
});

describe('configure(): resetTimeoutMaxMs', () => {
  it('a maximum below resetTimeoutMs is refused with an OptionRangeError naming resetTimeoutMaxMs and the function; equal is accepted', async () => {
    const f = make({ resetTimeoutMs: 1_000 });
    const e = await errorOf(() =>
      f.breaker.configure({ resetTimeoutMs: 2_000, resetTimeoutMaxMs: 1_999 }),
    );
    expect(e).toBeInstanceOf(RangeError);
    expect(e).toMatchObject({
      name: 'OptionRangeError',
      option: 'resetTimeoutMaxMs',
      message: 'breaker.configure: resetTimeoutMaxMs must be >= resetTimeoutMs',
    });
    // below the breaker's current resetTimeoutMs
    await expect(f.breaker.configure({ resetTimeoutMaxMs: 999 })).rejects.toMatchObject({
      option: 'resetTimeoutMaxMs',
    });
    expect(f.breaker.settings).toMatchObject({ resetTimeoutMs: 1_000, resetTimeoutMaxMs: 1_000 });
    const c = await errorOf(() => make({ resetTimeoutMs: 2_000, resetTimeoutMaxMs: 1_999 }));
    expect(c).toMatchObject({
      option: 'resetTimeoutMaxMs',
      message: 'circuitBreaker: resetTimeoutMaxMs must be >= resetTimeoutMs',
    });
    const r = await f.breaker.configure({ resetTimeoutMs: 2_000, resetTimeoutMaxMs: 2_000 });
    expect(r.settings).toMatchObject({ resetTimeoutMs: 2_000, resetTimeoutMaxMs: 2_000 });
  });

  it('without back-off (maximum = resetTimeoutMs), a new resetTimeoutMs alone moves the maximum with it, down or up: still no back-off', async () => {
    const f = make({ resetTimeoutMs: 1_000 });
    const changed: string[][] = [];
    f.breaker.onConfigured((e) => changed.push([...e.changed]));
    await f.breaker.configure({ resetTimeoutMs: 500 });
    expect(f.breaker.settings).toMatchObject({ resetTimeoutMs: 500, resetTimeoutMaxMs: 500 });
    await f.breaker.configure({ resetTimeoutMs: 3_000 });
    expect(f.breaker.settings).toMatchObject({ resetTimeoutMs: 3_000, resetTimeoutMaxMs: 3_000 });
    expect(changed).toEqual([
      ['resetTimeoutMs', 'resetTimeoutMaxMs'],
      ['resetTimeoutMs', 'resetTimeoutMaxMs'],
    ]);
  });

  it('with back-off, a new resetTimeoutMs alone keeps the maximum, unless it goes beyond it (then the maximum is the new resetTimeoutMs)', async () => {
    const f = make({ resetTimeoutMs: 1_000, resetTimeoutMaxMs: 10_000 });
    await f.breaker.configure({ resetTimeoutMs: 2_000 });
    expect(f.breaker.settings).toMatchObject({ resetTimeoutMs: 2_000, resetTimeoutMaxMs: 10_000 });
    await f.breaker.configure({ resetTimeoutMs: 500 });
    expect(f.breaker.settings).toMatchObject({ resetTimeoutMs: 500, resetTimeoutMaxMs: 10_000 });
    await f.breaker.configure({ resetTimeoutMs: 20_000 });
    expect(f.breaker.settings).toMatchObject({ resetTimeoutMs: 20_000, resetTimeoutMaxMs: 20_000 });
  });
});

describe('configure() without options', () => {
  it.each([
    ['no argument', undefined],
    ['null', null],
  ])(
    '%s: a TypeError "breaker.configure: expected an object of options", nothing changed',
    async (_, arg) => {
      const f = make({ failureThreshold: 4 });
      const before = f.breaker.settings;
      const e = await errorOf(() =>
        (f.breaker.configure as (p?: unknown) => Promise<unknown>)(arg),
      );
      expect(e).toBeInstanceOf(TypeError);
      expect((e as Error).message).toBe('breaker.configure: expected an object of options');
      expect(f.breaker.settings).toEqual(before);
    },
  );
});
