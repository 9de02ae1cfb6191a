import { CORE_ERROR_CODES } from './errors';

/**
 * Option checking shared by every factory, resolved once at creation (express-rate-limit's way):
 * unknown options, integers, ranges and enumerations. Errors are TypeError (wrong type, unknown
 * option) or RangeError (right type, outside the range or set), name the factory and the option,
 * and never echo the value (a misplaced value could be patient data).
 */

/** A misconfiguration: an unknown option or an option of the wrong type. */
export class OptionTypeError extends TypeError {
  readonly code: typeof CORE_ERROR_CODES.OPTION_TYPE | typeof CORE_ERROR_CODES.OPTION_UNKNOWN;
  /** The option's name (for an unknown option: its name when it looks like one, else `''`). */
  readonly option: string;
  constructor(
    code: typeof CORE_ERROR_CODES.OPTION_TYPE | typeof CORE_ERROR_CODES.OPTION_UNKNOWN,
    option: string,
    message: string,
  ) {
    super(message);
    this.name = 'OptionTypeError';
    this.code = code;
    this.option = option;
  }
}

/** A misconfiguration: an option of the right type outside its range or its set of values. */
export class OptionRangeError extends RangeError {
  readonly code = CORE_ERROR_CODES.OPTION_RANGE;
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.name = 'OptionRangeError';
    this.option = option;
  }
}

const NAME = /^[A-Za-z_$][\w$]{0,63}$/;

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const keep = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
      prev = keep;
    }
  }
  return row[b.length] as number;
}

/**
 * Checks that `options` is an object (or undefined: `{}`) whose own keys are all `known`; returns
 * it. An unknown key throws a TypeError naming it (when it looks like an option name) with a
 * "did you mean" for a near miss. `undefined` values are dropped from the returned copy.
 */
export function checkOptions<T extends object>(
  owner: string,
  options: T | undefined,
  known: Iterable<string>,
): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new OptionTypeError(
      CORE_ERROR_CODES.OPTION_TYPE,
      'options',
      `${owner}: options must be an object`,
    );
  const names = known instanceof Set ? (known as Set<string>) : new Set(known);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (!names.has(k)) {
      const shown = NAME.test(k) ? k : '';
      let hint = '';
      if (shown) {
        let best: string | undefined;
        let bestD = 3;
        for (const n of names) {
          const d = distance(k, n);
          if (d < bestD) {
            bestD = d;
            best = n;
          }
        }
        if (best) hint = ` (did you mean "${best}"?)`;
      }
      throw new OptionTypeError(
        CORE_ERROR_CODES.OPTION_UNKNOWN,
        shown,
        shown ? `${owner}: unknown option "${shown}"${hint}` : `${owner}: unknown option`,
      );
    }
    if (v !== undefined) out[k] = v;
  }
  return out as Partial<T>;
}

export interface IntegerRule {
  /** Used when the value is undefined. Without it, undefined is an error. */
  default?: number;
  /** Smallest allowed value. @default Number.MIN_SAFE_INTEGER */
  min?: number;
  /** Largest allowed value. @default Number.MAX_SAFE_INTEGER */
  max?: number;
}

function bounds(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

function numeric(
  owner: string,
  name: string,
  value: unknown,
  rule: IntegerRule,
  integer: boolean,
): number {
  const v = value === undefined ? rule.default : value;
  const what = integer ? 'an integer' : 'a finite number';
  const want = `${owner}: ${name} must be ${what}${bounds(rule.min, rule.max)}`;
  if (typeof v !== 'number') throw new OptionTypeError(CORE_ERROR_CODES.OPTION_TYPE, name, want);
  const ok = integer ? Number.isSafeInteger(v) : Number.isFinite(v);
  if (!ok || v < (rule.min ?? -Infinity) || v > (rule.max ?? Infinity))
    throw new OptionRangeError(name, want);
  return v;
}

/** A whole number within `[min, max]`: TypeError for a non-number, RangeError otherwise. */
export function integerOption(owner: string, name: string, value: unknown, rule: IntegerRule = {}) {
  return numeric(owner, name, value, rule, true);
}

/** A finite number within `[min, max]`: TypeError for a non-number, RangeError otherwise. */
export function numberOption(owner: string, name: string, value: unknown, rule: IntegerRule = {}) {
  return numeric(owner, name, value, rule, false);
}

/** One of `allowed`: TypeError for a non-string, RangeError for a string outside the set. */
export function enumOption<const A extends readonly string[]>(
  owner: string,
  name: string,
  value: unknown,
  allowed: A,
  fallback?: A[number],
): A[number] {
  const v = value === undefined ? fallback : value;
  const want = `${owner}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`;
  if (typeof v !== 'string') throw new OptionTypeError(CORE_ERROR_CODES.OPTION_TYPE, name, want);
  if (!allowed.includes(v)) throw new OptionRangeError(name, want);
  return v as A[number];
}

/** A boolean (or `fallback` when undefined). */
export function booleanOption(
  owner: string,
  name: string,
  value: unknown,
  fallback?: boolean,
): boolean {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'boolean')
    throw new OptionTypeError(
      CORE_ERROR_CODES.OPTION_TYPE,
      name,
      `${owner}: ${name} must be a boolean`,
    );
  return v;
}

/** A function, or undefined when absent (`fallback` when given). */
export function functionOption<F extends (...args: never[]) => unknown>(
  owner: string,
  name: string,
  value: unknown,
  fallback?: F,
): F | undefined {
  const v = value === undefined ? fallback : value;
  if (v !== undefined && typeof v !== 'function')
    throw new OptionTypeError(
      CORE_ERROR_CODES.OPTION_TYPE,
      name,
      `${owner}: ${name} must be a function`,
    );
  return v as F | undefined;
}

export interface StringRule {
  default?: string;
  /** Shortest allowed length. @default 0 */
  minLength?: number;
  /** Longest allowed length. @default Infinity */
  maxLength?: number;
  /** The value must match (described in errors by `describe`). */
  pattern?: RegExp;
  /** What `pattern` means, for the error message. @default 'in the allowed form' */
  describe?: string;
}

/** A string within the rule: TypeError for a non-string, RangeError otherwise. */
export function stringOption(
  owner: string,
  name: string,
  value: unknown,
  rule: StringRule = {},
): string {
  const v = value === undefined ? rule.default : value;
  if (typeof v !== 'string')
    throw new OptionTypeError(
      CORE_ERROR_CODES.OPTION_TYPE,
      name,
      `${owner}: ${name} must be a string`,
    );
  const min = rule.minLength ?? 0;
  const max = rule.maxLength ?? Number.POSITIVE_INFINITY;
  if (v.length < min || v.length > max)
    throw new OptionRangeError(
      name,
      `${owner}: ${name} must be a string of ${min} to ${max === Number.POSITIVE_INFINITY ? 'any number of' : max} characters`,
    );
  if (rule.pattern && !rule.pattern.test(v))
    throw new OptionRangeError(
      name,
      `${owner}: ${name} must be ${rule.describe ?? 'in the allowed form'}`,
    );
  return v;
}

/** A frozen copy of resolved options (the resolved type stays internal to the package). */
export function freezeOptions<T extends object>(resolved: T): Readonly<T> {
  return Object.freeze({ ...resolved });
}
