/**
 * The JSON line of a redacted record, byte for byte what `winston.format.json()` writes
 * (logform: safe-stable-stringify with its default options — keys sorted by UTF-16 code units,
 * `undefined` fields left out, `undefined` in arrays and non-finite numbers as `null` — and a
 * replacer that writes bigints as strings), without calling a replacer for every value.
 *
 * It handles only what the redaction produces: strings, finite and non-finite numbers, booleans,
 * `null`, `undefined`, arrays and objects whose prototype is `Object.prototype` or `null` without
 * a `toJSON` method. On anything else (a function, symbol, bigint, class instance, proxy-like
 * object with `toJSON`, nesting deeper than 256, which is how a cycle shows) it returns
 * `undefined` and the caller uses logform's serialiser, so the output never differs.
 */

const MAX_DEPTH = 256;
// biome-ignore lint/suspicious/noControlCharactersInRegex: what JSON escapes
const NEEDS_JSON_ESCAPE = /[\u0000-\u001f\u0022\u005c\ud800-\udfff]/;

/** A string as JSON (the same text as JSON.stringify, which escapes lone surrogates too). */
function quote(s: string): string {
  return s.length < 5000 && !NEEDS_JSON_ESCAPE.test(s) ? `"${s}"` : JSON.stringify(s);
}

/**
 * Values repeat too (routes, methods, roles, markers): the quoted form of strings of up to 256
 * characters is kept (at most 4,096, emptied when full). It holds only strings as they are written
 * to the line, after the redaction.
 */
const quotedValues = new Map<string, string>();
function quoteValue(s: string): string {
  if (s.length > 256) return quote(s);
  let q = quotedValues.get(s);
  if (q === undefined) {
    q = quote(s);
    if (quotedValues.size >= 4096) quotedValues.clear();
    quotedValues.set(s, q);
  }
  return q;
}

/**
 * Keys repeat in every record: the text written before each value is kept, `"key":` for the
 * first field of an object and `,"key":` for the others (at most 4,096 keys of up to 64
 * characters, emptied when full). It holds only keys as they are written to the line, after the
 * redaction.
 */
interface KeyText {
  first: string;
  next: string;
}
const keyTexts = new Map<string, KeyText>();
function keyText(k: string): KeyText {
  let t = keyTexts.get(k);
  if (t === undefined) {
    const first = `${quote(k)}:`;
    t = { first, next: `,${first}` };
    if (k.length <= 64) {
      if (keyTexts.size >= 4096) keyTexts.clear();
      keyTexts.set(k, t);
    }
  }
  return t;
}

/** Insertion sort for short key lists (what safe-stable-stringify does: same order as sort()). */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 200) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const current = keys[i] as string;
    let at = i;
    while (at !== 0 && (keys[at - 1] as string) > current) {
      keys[at] = keys[at - 1] as string;
      at--;
    }
    keys[at] = current;
  }
  return keys;
}

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

function value(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case 'string':
      return quoteValue(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return undefined;
    case 'object':
      break;
    default:
      throw UNSUPPORTED;
  }
  if (v === null) return 'null';
  if (depth >= MAX_DEPTH) throw UNSUPPORTED;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) throw UNSUPPORTED;
    if (v.length === 0) return '[]';
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ',';
      out += value(v[i], depth + 1) ?? 'null';
    }
    return `${out}]`;
  }
  return object(v, depth);
}

function object(v: object, depth: number): string {
  const proto = Object.getPrototypeOf(v);
  if (
    (proto !== Object.prototype && proto !== null) ||
    typeof (v as { toJSON?: unknown }).toJSON === 'function'
  )
    throw UNSUPPORTED;
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  sortKeys(keys);
  let out = '{';
  let first = true;
  for (const k of keys) {
    const s = value((v as Record<string, unknown>)[k], depth + 1);
    if (s !== undefined) {
      const t = keyText(k);
      out += (first ? t.first : t.next) + s;
      first = false;
    }
  }
  return `${out}}`;
}

/** The record as winston.format.json() writes it, or undefined when it holds anything else. */
export function recordJson(record: object): string | undefined {
  try {
    return object(record, 0);
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
}
