import {
  checkOptions,
  enumOption,
  integerOption,
  numberOption,
  OptionRangeError,
} from '@resil/core';

/**
 * The settings of a circuit that `breaker.configure()` may change at run time (issue #19), for
 * every worker through Redis. The constructor validates the same options with the same rules.
 */
export interface DynamicSettings {
  /** 'consecutive': `failureThreshold` failures in a row; 'rate': a failure rate over `windowMs`. */
  mode: 'consecutive' | 'rate';
  failureThreshold: number;
  resetTimeoutMs: number;
  /** The longest open duration after repeated failed probes. @default resetTimeoutMs (no back-off) */
  resetTimeoutMaxMs: number;
  /** Each failed probe multiplies the open duration by this (up to resetTimeoutMaxMs). @default 2 */
  resetBackoffFactor: number;
  /** rate mode: the failure rate (0–1] at or above which the circuit opens. @default 0.5 */
  failureRateThreshold: number;
  /** rate mode: calls in the window before the rate may open the circuit. @default 100 */
  minimumCalls: number;
  /** rate mode (and quorum): the rolling window, in 10 buckets. @default 60000 */
  windowMs: number;
  /** rate mode: a call at least this slow is a slow call (0: none). @default 0 */
  slowCallDurationMs: number;
  /** rate mode: the slow-call rate (0–1] at or above which the circuit opens. @default 1 */
  slowCallRateThreshold: number;
  /** Trial calls let through in the half-open state, across all workers. @default 1 */
  halfOpenPermits: number;
  /** Distinct workers that must have reported failures within windowMs to open. @default 1 */
  quorum: number;
  /** Overrides the breakers' own timeoutMs when set by configure() (0: each breaker's own). */
  timeoutMs: number;
}

export const DYNAMIC_OPTIONS: ReadonlyArray<keyof DynamicSettings> = Object.freeze([
  'mode',
  'failureThreshold',
  'resetTimeoutMs',
  'resetTimeoutMaxMs',
  'resetBackoffFactor',
  'failureRateThreshold',
  'minimumCalls',
  'windowMs',
  'slowCallDurationMs',
  'slowCallRateThreshold',
  'halfOpenPermits',
  'quorum',
  'timeoutMs',
]);

const MODES = ['consecutive', 'rate'] as const;
/** The number of buckets of the rolling window. */
export const BUCKETS = 10;

/**
 * Validates `partial` over `base` (the defaults when absent) and returns the whole settings.
 * `owner` names the function in error messages (`circuitBreaker`, `breaker.configure`).
 */
export function resolveDynamic(
  owner: string,
  partial: Partial<Record<keyof DynamicSettings, unknown>>,
  base?: DynamicSettings,
): DynamicSettings {
  const p = partial;
  const int = (name: keyof DynamicSettings, fallback: number, min = 1) =>
    integerOption(owner, name, p[name], { min, default: fallback });
  const rate = (name: keyof DynamicSettings, fallback: number) =>
    numberOption(owner, name, p[name], { min: Number.MIN_VALUE, max: 1, default: fallback });
  const mode = enumOption(owner, 'mode', p.mode, MODES, base?.mode ?? 'consecutive');
  const failureThreshold = int('failureThreshold', base?.failureThreshold ?? 5);
  const resetTimeoutMs = int('resetTimeoutMs', base?.resetTimeoutMs ?? 60_000);
  // A new resetTimeoutMs without a new maximum keeps "no back-off" when there was none.
  const maxFallback =
    base === undefined || base.resetTimeoutMaxMs === base.resetTimeoutMs
      ? resetTimeoutMs
      : Math.max(base.resetTimeoutMaxMs, resetTimeoutMs);
  const resetTimeoutMaxMs = int('resetTimeoutMaxMs', maxFallback);
  if (resetTimeoutMaxMs < resetTimeoutMs)
    throw new OptionRangeError(
      'resetTimeoutMaxMs',
      `${owner}: resetTimeoutMaxMs must be >= resetTimeoutMs`,
    );
  const resetBackoffFactor = numberOption(owner, 'resetBackoffFactor', p.resetBackoffFactor, {
    min: 1,
    max: 100,
    default: base?.resetBackoffFactor ?? 2,
  });
  const windowMs = int('windowMs', base?.windowMs ?? 60_000, BUCKETS * 10);
  return {
    mode,
    failureThreshold,
    resetTimeoutMs,
    resetTimeoutMaxMs,
    resetBackoffFactor,
    failureRateThreshold: rate('failureRateThreshold', base?.failureRateThreshold ?? 0.5),
    minimumCalls: int('minimumCalls', base?.minimumCalls ?? 100),
    windowMs,
    slowCallDurationMs: int('slowCallDurationMs', base?.slowCallDurationMs ?? 0, 0),
    slowCallRateThreshold: rate('slowCallRateThreshold', base?.slowCallRateThreshold ?? 1),
    halfOpenPermits: int('halfOpenPermits', base?.halfOpenPermits ?? 1),
    quorum: int('quorum', base?.quorum ?? 1),
    timeoutMs: int('timeoutMs', base?.timeoutMs ?? 0, 0),
  };
}

/** `breaker.configure(partial)`: only dynamic options, each validated as by the constructor. */
export function checkConfigure(
  partial: unknown,
  base: DynamicSettings,
): { settings: DynamicSettings; changed: Partial<DynamicSettings> } {
  const owner = 'breaker.configure';
  if (partial === undefined || partial === null)
    throw new TypeError(`${owner}: expected an object of options`);
  const p = checkOptions(owner, partial as object, DYNAMIC_OPTIONS) as Partial<
    Record<keyof DynamicSettings, unknown>
  >;
  const settings = resolveDynamic(owner, p, base);
  const changed: Partial<DynamicSettings> = {};
  for (const k of Object.keys(p) as Array<keyof DynamicSettings>)
    (changed as Record<string, unknown>)[k] = settings[k];
  // a maximum derived from a new resetTimeoutMs is part of the change
  if (settings.resetTimeoutMaxMs !== base.resetTimeoutMaxMs)
    changed.resetTimeoutMaxMs = settings.resetTimeoutMaxMs;
  return { settings, changed };
}

/**
 * A stored configuration (JSON from Redis, written by another worker, maybe another version):
 * applied over `base` when valid, otherwise undefined (ignored).
 */
export function parseStored(json: string, base: DynamicSettings): DynamicSettings | undefined {
  try {
    const raw = JSON.parse(json) as unknown;
    if (typeof raw !== 'object' || raw === null) return undefined;
    const known: Record<string, unknown> = {};
    for (const k of DYNAMIC_OPTIONS)
      if (k in (raw as object)) known[k] = (raw as Record<string, unknown>)[k];
    return resolveDynamic('breaker.configure', known, base);
  } catch {
    return undefined;
  }
}
