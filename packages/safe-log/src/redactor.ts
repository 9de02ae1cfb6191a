import { re } from './internal/regexps';
import {
  DEFAULT_PATTERNS,
  normaliseKey,
  type PatternRule,
  SENSITIVE_KEYS,
  SENSITIVE_SUFFIXES,
} from './rules';

/** Extra rules on top of the defaults (they can only add redaction, never remove a default). */
export interface RedactOptions {
  /** More sensitive key names (compared like the defaults: case and separators ignored), or patterns on the raw key. @default [] */
  keys?: ReadonlyArray<string | RegExp>;
  /** More value patterns (`source` without flags; matched case-insensitively). @default [] */
  patterns?: readonly PatternRule[];
  /** Deeper values are replaced by `[Truncated]`. @default 12 */
  maxDepth?: number;
  /** Keep `Error` stacks (redacted, with CR/LF neutralised). @default true */
  stacks?: boolean;
  /**
   * Longest part of one string that is scanned and written; the rest is dropped (never written
   * unscanned) and replaced by `…[Truncated N chars]`, so the cost of one string is bounded.
   * @default 32768
   */
  maxStringLength?: number;
}

/** A compiled redactor: build once with `createRedactor`, call many times. */
export interface Redactor {
  /** A redacted deep copy of `value` (the input is never mutated). */
  value(value: unknown, key?: string): unknown;
  /** One string with every value pattern applied, CR/LF neutralised and `PHI:` handled. */
  string(text: string): string;
  /** True when a value under this key is never written. */
  sensitiveKey(key: string): boolean;
}

export const REDACTED = '[REDACTED]';
/** Characters every value pattern needs: a string without any of them skips the scan. */
const MAY_MATCH = re('[\\d@?=]', '');
/** A letter or digit in any script: a cut never ends inside a token. */
const WORD_CHAR = re('[\\p{L}\\p{N}]', 'u');
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const NEEDS_ESCAPE = /[\r\n\u2028\u2029\u001b\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Neutralises log injection: CR/LF become visible `\r` `\n`; other control characters go. */
function neutralise(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
    /[\r\n\u2028\u2029\u001b\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g,
    (c) => {
      if (c === '\r') return '\\r';
      if (c === '\n' || c === '\u2028' || c === '\u2029') return '\\n';
      return '';
    },
  );
}

export function createRedactor(options: RedactOptions = {}): Redactor {
  const maxDepth = options.maxDepth ?? 12;
  if (!Number.isInteger(maxDepth) || maxDepth < 1)
    throw new RangeError('maxDepth must be a positive integer');
  const stacks = options.stacks ?? true;
  const maxStringLength = options.maxStringLength ?? 32_768;
  if (!Number.isInteger(maxStringLength) || maxStringLength < 64)
    throw new RangeError('maxStringLength must be an integer of at least 64');
  const keySet = new Set(SENSITIVE_KEYS);
  const keyRegexps: RegExp[] = [];
  for (const k of options.keys ?? []) {
    if (typeof k === 'string') keySet.add(normaliseKey(k));
    else if (k instanceof RegExp) keyRegexps.push(k);
    else throw new TypeError('keys must hold strings or regular expressions');
  }
  const rules: PatternRule[] = [...DEFAULT_PATTERNS, ...(options.patterns ?? [])];
  for (const r of rules) {
    if (typeof r?.name !== 'string' || typeof r.source !== 'string') {
      throw new TypeError('patterns must be { name: string, source: string, check? }');
    }
  }
  // One pass over each string: every rule is a group of one alternation.
  const combined = new RegExp(rules.map((r) => `(${r.source})`).join('|'), 'gi');
  const keyCache = new Map<string, boolean>();

  function sensitiveKey(key: string): boolean {
    let hit = keyCache.get(key);
    if (hit !== undefined) return hit;
    const n = normaliseKey(key);
    hit =
      keySet.has(n) ||
      SENSITIVE_SUFFIXES.some((s) => n.endsWith(s)) ||
      keyRegexps.some((r) => r.test(key));
    if (keyCache.size < 10_000) keyCache.set(key, hit);
    return hit;
  }

  function string(input: string): string {
    if (input.startsWith('PHI:')) return '[REDACTED:phi]';
    let text = input;
    let dropped = 0;
    if (text.length > maxStringLength) {
      // Cut before the last token that crosses the limit, so no part of an identifier is kept.
      let end = maxStringLength;
      while (end > maxStringLength - 256 && WORD_CHAR.test(text[end - 1] as string)) end--;
      dropped = text.length - end;
      text = text.slice(0, end);
    }
    let out = text;
    if (MAY_MATCH.test(out)) {
      out = out.replace(combined, (match: string, ...groups: unknown[]) => {
        for (let i = 0; i < rules.length; i++) {
          if (groups[i] !== undefined) {
            const rule = rules[i] as PatternRule;
            return rule.check && !rule.check(match) ? match : `[REDACTED:${rule.name}]`;
          }
        }
        return match;
      });
    }
    if (NEEDS_ESCAPE.test(out)) out = neutralise(out);
    return dropped > 0 ? `${out}…[Truncated ${dropped} chars]` : out;
  }

  function error(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: string(String(err.name)),
      message: string(String(err.message)),
    };
    const e = err as Error & { code?: unknown; status?: unknown; statusCode?: unknown };
    if (typeof e.code === 'string' || typeof e.code === 'number')
      out.code = typeof e.code === 'string' ? string(e.code) : e.code;
    if (typeof e.status === 'number') out.status = e.status;
    if (typeof e.statusCode === 'number') out.statusCode = e.statusCode;
    if (stacks && typeof err.stack === 'string') out.stack = string(err.stack);
    if (err.cause !== undefined) out.cause = walk(err.cause, 'cause', depth + 1, seen);
    return out;
  }

  function walk(
    value: unknown,
    key: string | undefined,
    depth: number,
    seen: WeakSet<object>,
  ): unknown {
    if (key !== undefined && sensitiveKey(key))
      return value === undefined || value === null ? value : REDACTED;
    switch (typeof value) {
      case 'string':
        return string(value);
      case 'number':
      case 'boolean':
      case 'undefined':
        return value;
      case 'bigint':
        return string(value.toString());
      case 'symbol':
        return '[Symbol]';
      case 'function':
        return '[Function]';
    }
    if (value === null) return null;
    const obj = value as object;
    if (seen.has(obj)) return '[Circular]';
    if (depth >= maxDepth) return '[Truncated]';
    if (obj instanceof Date)
      return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (Buffer.isBuffer(obj) || ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
      return `[Binary ${(obj as ArrayBuffer).byteLength} bytes]`;
    }
    if (obj instanceof RegExp) return string(obj.toString());
    seen.add(obj);
    try {
      if (obj instanceof Error) return error(obj, depth, seen);
      if (Array.isArray(obj)) return obj.map((v) => walk(v, undefined, depth + 1, seen));
      if (obj instanceof Map) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of obj) {
          const name = typeof k === 'string' ? k : String(k);
          out[string(name)] = walk(v, name, depth + 1, seen);
        }
        return out;
      }
      if (obj instanceof Set) return [...obj].map((v) => walk(v, undefined, depth + 1, seen));
      if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
        let json: unknown;
        try {
          json = (obj as { toJSON(): unknown }).toJSON();
        } catch {
          return '[Unreadable]';
        }
        if (json !== obj) return walk(json, undefined, depth, seen);
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(obj)) {
        let v: unknown;
        try {
          v = (obj as Record<string, unknown>)[k];
        } catch {
          v = '[Unreadable]';
        }
        const safeKey = MAY_MATCH.test(k) || NEEDS_ESCAPE.test(k) ? string(k) : k;
        if (safeKey === '__proto__') {
          Object.defineProperty(out, safeKey, {
            value: walk(v, k, depth + 1, seen),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          out[safeKey] = walk(v, k, depth + 1, seen);
        }
      }
      return out;
    } finally {
      seen.delete(obj);
    }
  }

  return Object.freeze({
    value: (value: unknown, key?: string) => walk(value, key, 0, new WeakSet()),
    string,
    sensitiveKey,
  });
}

let defaultRedactor: Redactor | undefined;

/** The redactor with the default rules (compiled on first use, then shared). */
export function getDefaultRedactor(): Redactor {
  defaultRedactor ??= createRedactor();
  return defaultRedactor;
}

/**
 * Redacts PHI/PII from any value and returns a deep copy: sensitive keys (any casing or
 * separator) are replaced whole, identifiers inside strings are replaced by `[REDACTED:<kind>]`,
 * `Error`s become plain objects with redacted message and stack, a string starting with `PHI:` is
 * replaced whole, CR/LF are neutralised. Never mutates `value`; circular references, `Map`, `Set`,
 * `Buffer`, `Date`, class instances and throwing getters are handled.
 */
export function redact(value: string, options?: RedactOptions): string;
export function redact(value: unknown, options?: RedactOptions): unknown;
export function redact(value: unknown, options?: RedactOptions): unknown {
  const r = options ? createRedactor(options) : getDefaultRedactor();
  return r.value(value);
}
