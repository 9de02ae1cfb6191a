import winston from 'winston';
import { createRedactor, getDefaultRedactor, type RedactOptions, type Redactor } from './redactor';

/** Fields of a winston info object that are ours, not the caller's: never rewritten. */
const OWN_FIELDS = new Set(['level', 'timestamp', 'logger']);

/** Redacts one winston info object in place (winston formats work that way). */
export function redactInfo(
  info: winston.Logform.TransformableInfo,
  r: Redactor,
): winston.Logform.TransformableInfo {
  const rec = info as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    if (OWN_FIELDS.has(key)) continue;
    const v = rec[key];
    if (key === 'message') {
      rec.message = typeof v === 'string' ? r.string(v) : r.value(v);
    } else if (key === 'stack' && typeof v === 'string') {
      rec.stack = r.string(v);
    } else {
      // A name that holds an identifier is renamed, as nested names are; its value is judged by
      // the name as given (a sensitive name stays sensitive).
      const name = r.key(key);
      if (name !== key) delete rec[key];
      rec[name] = r.value(v, key);
    }
  }
  return info;
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
  return winston.format((info) => redactInfo(info, r))();
}
