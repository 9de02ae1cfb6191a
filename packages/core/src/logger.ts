import { CORE_ERROR_CODES } from './errors';
import { OptionTypeError } from './options';

/**
 * The logger every @resil package takes as an option. `@resil/safe-log`'s `SafeLogger` fits it
 * and stays the recommended one; without one, a package uses `codeLogger`, which writes only
 * codes, names and counts: nothing that could carry patient data, and no winston.
 */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger that drops everything. */
export const noopLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

export interface CodeLoggerOptions {
  /** Lowest level written. @default 'warn' */
  level?: LogLevel;
  /** Where a line goes. @default one line on process.stderr */
  write?: (line: string) => void;
}

/** String fields the code logger keeps (when they look like a code or a name, not free text). */
const KEPT_STRINGS = new Set(['code', 'event', 'name', 'state', 'reason', 'option']);
const TOKEN = /^[A-Za-z0-9_.:\-/]{1,100}$/;

/**
 * The default logger: one JSON line per entry with the level, the logger's name and, from `meta`,
 * only numbers, booleans and the string fields `code`, `event`, `name`, `state`, `reason` and
 * `option` when they are short tokens. The message itself is not written (it is free text).
 */
export function codeLogger(name: string, options: CodeLoggerOptions = {}): Logger {
  const min = RANK[options.level ?? 'warn'];
  if (min === undefined)
    throw new RangeError("codeLogger: level must be 'debug', 'info', 'warn' or 'error'");
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const log = (level: LogLevel) => (_message: string, meta?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const line: Record<string, unknown> = { level, logger: name };
    if (meta && typeof meta === 'object')
      for (const [k, v] of Object.entries(meta)) {
        if (k === 'level' || k === 'logger') continue;
        if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') line[k] = v;
        else if (typeof v === 'string' && KEPT_STRINGS.has(k) && TOKEN.test(v)) line[k] = v;
      }
    try {
      write(JSON.stringify(line));
    } catch {
      // a logger never changes the outcome of the call that logs
    }
  };
  return Object.freeze({
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  });
}

/** True for an object with the four Logger methods. */
export function isLogger(v: unknown): v is Logger {
  if (typeof v !== 'object' || v === null) return false;
  const l = v as Record<string, unknown>;
  return ['debug', 'info', 'warn', 'error'].every((m) => typeof l[m] === 'function');
}

/**
 * The `logger` option resolved: `false` = `noopLogger`, undefined = a `codeLogger(name)`
 * (made once per name), a Logger = itself; anything else is a TypeError naming the option.
 */
export function resolveLogger(owner: string, name: string, option: unknown): Logger {
  if (option === false) return noopLogger;
  if (option === undefined) {
    let l = defaults.get(name);
    if (!l) {
      l = codeLogger(name);
      defaults.set(name, l);
    }
    return l;
  }
  if (isLogger(option)) return option;
  throw new OptionTypeError(
    CORE_ERROR_CODES.OPTION_TYPE,
    'logger',
    `${owner}: logger must have debug, info, warn and error methods, or be false`,
  );
}
const defaults = new Map<string, Logger>();
