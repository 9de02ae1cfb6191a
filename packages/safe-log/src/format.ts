import { format as interpolate, types } from 'node:util';
import winston from 'winston';
import {
  AS_ONE_VALUE,
  createRedactor,
  getDefaultRedactor,
  type RedactOptions,
  type Redactor,
  TRUNCATED_FIELD,
} from './redactor';

/** Fields of a winston info object that are ours, not the caller's: never rewritten. */
const OWN_FIELDS: ReadonlySet<string> = new Set(['level', 'timestamp', 'logger']);
const NO_FIELDS: ReadonlySet<string> = new Set();
/** triple-beam's keys: the arguments after the message (for `format.splat()`), the written line. */
const SPLAT = Symbol.for('splat');
const MESSAGE = Symbol.for('message');
const LEVEL = Symbol.for('level');
/** `format.splat()`'s tokens and escapes (logform/splat.js): its arguments are split the same way. */
const TOKENS = /%[scdjifoO%]/g;
const ESCAPED = /%%/g;

type Fields = Record<string | symbol, unknown>;

const isError = (v: unknown): v is Error => v instanceof Error || types.isNativeError(v);
const shown = (o: object, key: string) => Object.prototype.propertyIsEnumerable.call(o, key);

/** The own enumerable fields of `from`, redacted, into `to` (`from` itself: in place). */
function redactFields(from: Fields, to: Fields, r: Redactor, keep: ReadonlySet<string>): void {
  // At most r.maxItems fields of the caller's (a record with 100,000 fields costs what 2,000 do):
  // the rest are dropped, never written unscanned, and counted in a `[Truncated]` field.
  let fields = 0;
  let dropped = 0;
  for (const key of Object.keys(from)) {
    const v = from[key];
    if (!keep.has(key) && key !== 'message' && ++fields > r.maxItems) {
      if (to === from) delete to[key];
      dropped++;
      continue;
    }
    if (keep.has(key)) {
      if (to !== from) to[key] = v;
    } else if (key === 'message') {
      to.message = typeof v === 'string' ? r.string(v) : r.value(v);
    } else if (key === 'stack' && typeof v === 'string') {
      to.stack = r.string(v);
    } else {
      // A name that holds an identifier is renamed, as nested names are; its value is judged by
      // the name as given (a sensitive name stays sensitive).
      const name = r.key(key);
      if (name !== key && to === from) delete to[key];
      to[name] = r.value(v, key);
    }
  }
  if (dropped > 0) to[TRUNCATED_FIELD] = `${dropped} more fields`;
}

/**
 * A redacted copy of an `Error` (same prototype, still an `Error`; the original is not touched):
 * its own enumerable fields redacted, its `message` and `stack` redacted and made enumerable
 * (`enumerable`: for an Error that is the info itself, so `json()` writes them) or left
 * non-enumerable (an argument that `format.splat()` merges: as the original would be merged), a
 * `cause` redacted and non-enumerable.
 */
function errorCopy(
  err: Error,
  r: Redactor,
  enumerable: boolean,
  keep: ReadonlySet<string>,
): Fields {
  const src = err as unknown as Fields;
  const copy = new Error() as unknown as Fields;
  Object.setPrototypeOf(copy, Object.getPrototypeOf(err));
  delete copy.stack;
  redactFields(src, copy, r, keep);
  for (const key of ['message', 'stack']) {
    const v = src[key];
    if (typeof v === 'string' && !shown(err, key)) {
      Object.defineProperty(copy, key, {
        value: r.string(v),
        enumerable,
        writable: true,
        configurable: true,
      });
    }
  }
  if (!shown(err, 'cause') && err.cause !== undefined) {
    Object.defineProperty(copy, 'cause', {
      value: r.value(err.cause, 'cause'),
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/** One argument after the message, redacted: an `Error` stays an `Error` (see errorCopy). */
function splatArg(v: unknown, r: Redactor): unknown {
  return isError(v) ? errorCopy(v, r, false, NO_FIELDS) : r.value(v);
}

/**
 * What `format.splat()` would interpolate into the message, interpolated here (objects redacted
 * first, strings and numbers as given: the whole message is redacted next, so a name or a number
 * is judged in its sentence, not alone). Returns the arguments left for `format.splat()` to merge.
 */
function interpolateSplat(rec: Fields, args: unknown[], r: Redactor): unknown[] {
  const msg = rec.message;
  if (typeof msg !== 'string') return args;
  const tokens = msg.match(TOKENS);
  if (!tokens) return args;
  const expected = tokens.length - (msg.match(ESCAPED)?.length ?? 0);
  if (expected <= 0) return args;
  const used = args.slice(0, expected);
  rec.message = interpolate(
    msg,
    ...used.map((v) => (v !== null && typeof v === 'object' ? splatArg(v, r) : v)),
  );
  return args.slice(used.length);
}

/**
 * Redacts one winston info object and returns it: in place (winston formats work that way),
 * except for an `Error` passed as the info itself (`logger.error(err)`), for which a redacted
 * copy is returned (see errorCopy) and the caller's `Error` is left as it was.
 *
 * Also redacted: the arguments after the message (`info[Symbol.for('splat')]`), those that
 * `%s`-style tokens take interpolated into the message first (what `format.splat()` would do),
 * the rest each redacted for `format.splat()` to merge; and a line an earlier format already wrote
 * (`info[Symbol.for('message')]`).
 */
export function redactInfo(
  info: winston.Logform.TransformableInfo,
  r: Redactor,
): winston.Logform.TransformableInfo {
  // The record's fields share one maxItems budget (redactor.ts AS_ONE_VALUE).
  const asOne = (r as unknown as Record<symbol, unknown>)[AS_ONE_VALUE] as
    | ((f: () => winston.Logform.TransformableInfo) => winston.Logform.TransformableInfo)
    | undefined;
  return asOne ? asOne(() => redactRecord(info, r)) : redactRecord(info, r);
}

function redactRecord(
  info: winston.Logform.TransformableInfo,
  r: Redactor,
): winston.Logform.TransformableInfo {
  let rec = info as unknown as Fields;
  const splat = rec[SPLAT];
  let args = Array.isArray(splat) && splat.length > 0 ? (splat as unknown[]) : undefined;
  if (isError(info)) {
    const copy = errorCopy(info, r, true, OWN_FIELDS);
    for (const s of Object.getOwnPropertySymbols(info)) {
      if (Object.prototype.propertyIsEnumerable.call(info, s)) copy[s] = rec[s];
    }
    rec = copy;
  } else {
    if (args) args = interpolateSplat(rec, args, r);
    redactFields(rec, rec, r, OWN_FIELDS);
  }
  if (args) rec[SPLAT] = args.map((v) => splatArg(v, r));
  const line = rec[MESSAGE];
  if (typeof line === 'string') rec[MESSAGE] = r.string(line);
  return rec as unknown as winston.Logform.TransformableInfo;
}

/**
 * The redaction as a winston format, for a logger you already have:
 *
 *   winston.createLogger({ format: winston.format.combine(safeFormat(), winston.format.json()) })
 *
 * Put it first, before any format that copies fields or prints.
 */
export function safeFormat(options?: RedactOptions): winston.Logform.Format {
  const r = options ? createRedactor(options) : getDefaultRedactor();
  return winston.format((info) => {
    try {
      return redactInfo(info, r);
    } catch {
      // Logging never throws into the caller, and never writes what it could not redact: the
      // record keeps its level and says it was unreadable.
      let level: unknown = 'error';
      try {
        level = (info as unknown as Record<symbol, unknown>)[LEVEL] ?? info.level;
      } catch {
        // keep 'error'
      }
      const out = { level, message: '[Unreadable]' } as winston.Logform.TransformableInfo;
      (out as unknown as Record<symbol, unknown>)[LEVEL] = level;
      return out;
    }
  })();
}
