import { createHmac, randomBytes } from 'node:crypto';
import { alnum, WORD_CHAR } from './internal/chars';
import { redactNames } from './internal/names';
import { re } from './internal/regexps';
import {
  identifierKey,
  idShape,
  markSiblings,
  SIBLING_KINDS,
  SIBLING_MAX_SHAPES,
} from './internal/siblings';
import {
  labelGates,
  type Mark,
  redactAddresses,
  redactCsv,
  redactDrivers,
  redactFhirText,
  redactHl7,
  redactKeyValues,
  redactLabelled,
  redactLabelledPhones,
  redactXml,
} from './internal/structured';
import {
  ASCII_CLASS,
  C_AT,
  C_BRACKET,
  C_COLON,
  C_CONTROL,
  C_DASH,
  C_DIGIT,
  C_DOT,
  C_EQUALS,
  C_HASH,
  C_NONASCII,
  C_PIPE,
  C_PLACEHOLDER,
  C_QUESTION,
  C_SLASH,
  C_UPPER,
  classify,
  DEFAULT_PATTERNS,
  FHIR_PERSON_ELEMENTS,
  FHIR_PERSON_TYPES,
  normaliseKey,
  type PatternRule,
  PERSON_NAME_KEYS,
  PERSON_PARENTS,
  RULE_GATES,
  SENSITIVE_KEYS,
  SENSITIVE_SUFFIXES,
  type TextStats,
  textStats,
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
  /**
   * Most entries (object keys, array items, `Map` and `Set` entries, together) walked in one
   * value, so the cost of one value is bounded whatever its breadth; a log record has at most this
   * many fields and this many entries below them. Past it, an object's remaining keys are dropped and counted in a
   * `"[Truncated]": "<n> more keys"` field, an array's remaining items in a last
   * `"[Truncated <n> items]"` item; nothing past it is written unscanned. @default 2000
   */
  maxItems?: number;
  /**
   * What replaces a found value: `'marker'` writes `[REDACTED:<kind>]` (`[REDACTED]` for a value
   * found by its key name); `{ hmacKey }` writes `[<kind>:<16 hex digits>]`, an HMAC-SHA256 of the
   * value under your key, so one patient's lines correlate without the value being readable;
   * `'last4'` writes `[REDACTED:<kind>…6789]`, the last four letters or digits of values of at least
   * eight (shorter values get the marker); a function gets `(kind, value)` and returns the text.
   * Objects and arrays under a sensitive key are always `[REDACTED]`. @default 'marker'
   */
  censor?: Censor;
  /**
   * Values never redacted when a value rule finds them (a known false positive): exact strings,
   * or regular expressions tested against the found value (keep them simple: they run on every
   * match). Values under sensitive keys are redacted whatever this says. @default []
   */
  allow?: ReadonlyArray<string | RegExp>;
}

/** The `censor` option. */
export type Censor =
  | 'marker'
  | 'last4'
  | { readonly hmacKey: string | Buffer }
  | ((kind: string, value: string) => string);

/** Placeholders stand for marks while a string is scanned: no rule can see or re-mark them. */
const PH_OPEN = '\ue000';
const PH_CLOSE = '\ue001';
const PH_BASE = 0xe100;
const PH_MAX = 0xf8ff - PH_BASE;
const PRIVATE_MARKS = re('[\\ue000\\ue001]', 'g');
/** Name keys of other languages (rules.ts FOREIGN_SUFFIXES): their value may run over words too. */
const FOREIGN_NAME_KEYS: ReadonlySet<string> = new Set(
  'nom nome nombre prenom apellido apellidos cognome vorname nachname'.split(' '),
);
const ALNUM = re('[^\\p{L}\\p{N}]', 'gu');

function censorOf(censor: Censor | undefined): (kind: string, value: string) => string {
  const marker = (kind: string) => (kind ? `[REDACTED:${kind}]` : REDACTED);
  if (censor === undefined || censor === 'marker') return marker;
  if (censor === 'last4')
    return (kind, value) => {
      const chars = value.replace(ALNUM, '');
      return chars.length >= 8 ? `[REDACTED:${kind || 'key'}…${chars.slice(-4)}]` : marker(kind);
    };
  if (typeof censor === 'function') return (kind, value) => String(censor(kind, value));
  if (
    censor &&
    typeof censor === 'object' &&
    (typeof censor.hmacKey === 'string' || Buffer.isBuffer(censor.hmacKey)) &&
    censor.hmacKey.length > 0
  ) {
    const key = censor.hmacKey;
    return (kind, value) =>
      `[${kind || 'redacted'}:${createHmac('sha256', key).update(value).digest('hex').slice(0, 16)}]`;
  }
  throw new TypeError("censor must be 'marker', 'last4', { hmacKey } or a function");
}

/** A compiled redactor: build once with `createRedactor`, call many times. */
export interface Redactor {
  /** A redacted deep copy of `value` (the input is never mutated). */
  value(value: unknown, key?: string): unknown;
  /** One string with every value pattern applied, CR/LF neutralised and `PHI:` handled. */
  string(text: string): string;
  /** True when a value under this key is never written. */
  sensitiveKey(key: string): boolean;
  /**
   * A field name as it may be written: with every identifier in it replaced, as the names of
   * nested objects are (`{"123-45-6789": 1}` -> `{"[REDACTED:ssn]": 1}`). Plain names come back
   * as they are, from a cache.
   */
  key(name: string): string;
  /** The `maxItems` option: most entries walked in one value. */
  readonly maxItems: number;
}

/** The field that counts what `maxItems` dropped from an object. */
export const TRUNCATED_FIELD = '[Truncated]';
/**
 * A redactor's own method (not in the public type): runs `f` as one value for `maxItems`, so the
 * fields of one log record share one budget (format.ts).
 */
export const AS_ONE_VALUE = Symbol('safe-log.asOneValue');

export const REDACTED = '[REDACTED]';
/** What every value pattern needs: a string without any of it skips the pattern scan. */
/** The scheme words of the credential rules (rules.ts, `token`). */
const CREDENTIAL_HINT = re('bearer|basic', 'i');
const MAY_MATCH = re('[\\d@?=]|\\.(?:jpe?g|png|gif|bmp|tiff?|heic|heif|webp|dcm)\\b', 'i');
/**
 * MAC and IPv6 addresses may hold no digit (`ab:cd:ef:ab:cd:ef`, `abcd:ef::beef`): three groups of
 * hex letters joined by `:` or `-`, or a `::` after a group.
 */
const HEX_GROUPS = re('[0-9a-f]{1,4}([:-])[0-9a-f]{1,4}\\1[0-9a-f]{1,4}|[0-9a-f]{1,4}::', 'i');
/**
 * A value under a key that names a person (`patient: 'Wei Zhang'`, `contact: "O'Neil, Mary"`):
 * one to five words of letters (with `'`, `.`, `-`), the first of more than one letter when
 * alone. Identifiers with digits are left to the rules; `patient: 'p-123'` is kept.
 */
const PERSON_VALUE = re(
  "^\\s{0,3}(?:\\p{Lu}[\\p{L}'.-]{1,40}|[\\p{L}][\\p{L}'.-]{0,40}(?:,?[ \\t]{1,3}[\\p{L}][\\p{L}'.-]{0,40}){1,4})\\s{0,3}$",
  'u',
);
/** Value fields of a validation error about one field (see sensitiveFieldValues). */
const FIELD_VALUE_KEYS: ReadonlySet<string> = new Set([
  'value',
  'received',
  'input',
  'actual',
  'rejectedValue',
  'invalidValue',
  'data',
]);

/**
 * The field a validation error names: the last segment of a path that is not an index
 * (`['patient', 'lastNames', 1]`, `lastNames[1]`, `/patient/ssn`), or undefined.
 */
function fieldName(ref: unknown): string | undefined {
  if (Array.isArray(ref)) {
    for (let i = ref.length - 1; i >= 0 && i >= ref.length - 4; i--) {
      const part = ref[i];
      if (typeof part === 'string' && !INDEX.test(part)) return part;
    }
    return undefined;
  }
  if (typeof ref !== 'string' || ref.length > 1_000) return undefined;
  const parts = ref.split(FIELD_PATH_SEPARATOR);
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] as string;
    if (part !== '' && !INDEX.test(part)) return part;
  }
  return undefined;
}
const INDEX = re('^[0-9]{1,10}$', '');
/** Fields of a validation error that name the field it is about (a name, a path or a pointer). */
const FIELD_REF_KEYS: ReadonlySet<string> = new Set([
  'path',
  'param',
  'field',
  'key',
  'label',
  'instancePath',
  'dataPath',
  'property',
  'propertyPath',
  'attribute',
]);
const FIELD_PATH_SEPARATOR = re('[./\\[\\]]', '');
/** Lists of a validation error's details (Joi `details`, zod `issues`, express-validator `errors`). */
const DETAIL_LISTS = ['details', 'issues', 'errors'] as const;
/** Values of a validation error that are the name of a type (zod's `received: 'string'`). */
const TYPE_NAMES: ReadonlySet<string> = new Set([
  'string',
  'number',
  'boolean',
  'object',
  'array',
  'null',
  'undefined',
  'nan',
  'date',
  'bigint',
  'symbol',
  'function',
]);
/** Distinct values taken out of one text, at most. */
const FIELD_MAX_VALUES = 16;
/** Objects with more keys are records, not validation errors: never looked at that way. */
const FIELD_MAX_KEYS = 12;
/** Single words that describe a person's record rather than name them (normalised). */
const NOT_A_NAME: ReadonlySet<string> = new Set(
  'unknown none null undefined anonymous email phone sms mail post active inactive pending deceased discharged admitted transferred male female other self guest admin system yes no true false new existing inpatient outpatient emergency redacted unavailable withheld primary secondary'.split(
    ' ',
  ),
);
const CAPITAL = re('\\p{Lu}', 'u');
/** A string under a key that names a person, that names them (see PERSON_VALUE). */
function personValue(v: string): boolean {
  if (v.length > 200 || !CAPITAL.test(v) || !PERSON_VALUE.test(v)) return false;
  return !NOT_A_NAME.has(v.trim().toLowerCase());
}
/** A FHIR Coverage's elements that identify the insured (normalised): the member id and who holds it. */
const COVERAGE_ELEMENTS: ReadonlySet<string> = new Set([
  'identifier',
  'subscriberid',
  'subscriber',
  'beneficiary',
  'policyholder',
  'dependent',
]);
/** Keys under a person whose values are about an organisation, not the person (normalised). */
const ORGANISATION_KEYS: ReadonlySet<string> = new Set([
  'hospital',
  'organization',
  'organisation',
  'facility',
  'clinic',
  'department',
  'ward',
  'practice',
  'site',
  'location',
  'payer',
  'insurer',
  'managingorganization',
  // what happens to a person, not who they are
  'encounter',
  'visit',
  'appointment',
  'admission',
  'observation',
  'condition',
  'procedure',
  'order',
  'device',
  'service',
  'test',
  'study',
]);

/** JSON document starts inside one string that are tried, at most (the cost stays linear). */
const JSON_TRIES = 32;
/** Characters the bracket matching may look at, as a multiple of the string's length. */
const JSON_SCAN_BUDGET = 8;

/**
 * Where a JSON document may start inside a string at or after `from` (`… failed: {"resourceType":…}`,
 * pretty-printed or not): `{` or `[`, then up to 16 spaces or line breaks, then `"`, `{` or `[`. -1 if none.
 */
function nextJsonStart(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 123 && c !== 91) continue; // { [
    for (let j = i + 1; j < text.length && j <= i + 17; j++) {
      const d = text.charCodeAt(j);
      if (d === 34 || d === 123 || d === 91) return i; // " { [
      if (d !== 32 && d !== 9 && d !== 10 && d !== 13) break;
    }
  }
  return -1;
}

/** Index of the bracket that closes the one at `start` (strings and escapes skipped), or -1. */
function jsonEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
/** Error properties never written: live connections and requests, not data. */
const SKIP_ERROR_KEYS = new Set([
  'request',
  'socket',
  'agent',
  'client',
  'connection',
  'stack',
  'message',
  'name',
  'cause',
  'errors',
  'toJSON',
]);
const AXIOS_PARTS: Record<string, readonly string[]> = {
  config: ['method', 'url', 'baseURL', 'params', 'data', 'timeout'],
  response: ['status', 'statusText', 'data'],
};

function plainish(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return (
    proto === Object.prototype ||
    proto === null ||
    Array.isArray(v) ||
    v instanceof Error ||
    v instanceof Date ||
    v instanceof Map ||
    v instanceof Set
  );
}

/**
 * A whole string that is a canonical lower-case UUID (what `randomUUID()` writes: request, record
 * and trace ids, in nearly every record made while serving a request): no built-in rule matches
 * inside one (test/unit/redact.test.ts checks it over 2,000 digit-heavy UUIDs), so it is returned
 * before the scan, which would cost microseconds for each, since each is new (never in the caches).
 * Only with the built-in rules: a pattern of the user's may look for anything.
 */
const UUID = re('^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', '');

/** Longest string whose "nothing found" verdict is remembered, and how many are remembered. */
const CLEAN_MAX_LENGTH = 256;
const CLEAN_MAX_ENTRIES = 4096;

/** How many strings with a finding are remembered, by a keyed hash (see `createRedactor`). */
const FOUND_MAX_ENTRIES = 4096;

/** Number of capture groups in a pattern source (to find each rule's group in the union). */
function groupCount(source: string): number {
  return (new RegExp(`${source}|`).exec('')?.length ?? 1) - 1;
}
/** A letter or digit in any script: a cut never ends inside a token. */
const SPACE = re('\\s', '');
/** cutOutside: characters scanned before and after a cut, tries, and how far back it can move. */
const CUT_BEFORE = 128;
const CUT_AFTER = 384;
const CUT_TRIES = 12;
const CUT_BACK = 512;
/** What cutOutside's scans mark with (they only compare, nothing they make is written). */
const PROBE: Mark = () => '\u0000';
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

/**
 * A character some rule needs (a digit, A-Z, `@ ? = : / . | { [ # -`, anything from U+0080 on): a
 * string with none of them is returned as it is.
 */
const C_ANY_RULE =
  C_DIGIT |
  C_UPPER |
  C_AT |
  C_QUESTION |
  C_EQUALS |
  C_COLON |
  C_SLASH |
  C_DOT |
  C_PIPE |
  C_BRACKET |
  C_HASH |
  C_DASH |
  C_NONASCII;
/** Classes of the characters `needs` lists, or undefined when one of them has no class of its own. */
function needsClasses(needs: string): number | undefined {
  let bits = 0;
  for (const ch of needs) {
    const c = ch.charCodeAt(0);
    // A class holds the character and maybe others: testing it says "maybe" more often, never
    // "no" for a string that holds the character.
    const bit = c < 128 ? (ASCII_CLASS[c] as number) : 0;
    if (bit === 0) return undefined;
    bits |= bit;
  }
  return bits;
}

export function createRedactor(options: RedactOptions = {}): Redactor {
  const maxDepth = options.maxDepth ?? 12;
  if (!Number.isInteger(maxDepth) || maxDepth < 1)
    throw new RangeError('maxDepth must be a positive integer');
  const stacks = options.stacks ?? true;
  const censor = censorOf(options.censor);
  const allowExact = new Set<string>();
  const allowRegexps: RegExp[] = [];
  for (const a of options.allow ?? []) {
    if (typeof a === 'string') allowExact.add(a);
    else if (a instanceof RegExp)
      allowRegexps.push(new RegExp(a.source, a.flags.replace(/[gy]/g, '')));
    else throw new TypeError('allow must hold strings or regular expressions');
  }
  const allowed = (value: string) =>
    allowExact.size > 0 || allowRegexps.length > 0
      ? allowExact.has(value) || allowRegexps.some((r) => r.test(value))
      : false;
  const maxItems = options.maxItems ?? 2_000;
  if (!Number.isInteger(maxItems) || maxItems < 1)
    throw new RangeError('maxItems must be a positive integer');
  // Entries left to walk in the value being redacted (reset by each outside call: `active`).
  let left = maxItems;
  let active = false;
  /** How many of `count` entries may still be walked; they are taken from the budget. */
  function take(count: number): number {
    const n = Math.min(count, Math.max(0, left));
    left -= n;
    return n;
  }
  /**
   * `f(a, b)` as one value: with the whole budget when called from outside, else within it (no
   * closure per call: the public `value` and `string` run for every field of every record).
   */
  function asOneValue<A, B, R>(f: (a: A, b: B) => R, a: A, b: B): R {
    if (active) return f(a, b);
    active = true;
    left = maxItems;
    try {
      return f(a, b);
    } finally {
      active = false;
    }
  }
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
  /** With patterns of the user's, no first look can rule a string out (they may need anything). */
  const custom = rules.length > DEFAULT_PATTERNS.length;
  for (const r of rules) {
    if (
      typeof r?.name !== 'string' ||
      typeof r.source !== 'string' ||
      (r.needs !== undefined && (typeof r.needs !== 'string' || r.needs === ''))
    ) {
      throw new TypeError('patterns must be { name: string, source: string, check?, needs? }');
    }
  }
  // Rules with the same `needs` are one alternation (each rule one group of it), tried only on
  // strings that hold one of the needed characters; groups run in the order of their first rule.
  const families: Array<{
    needs: RegExp | undefined;
    /** The classes (classify) of the characters in `needs`, when each has one: tested instead. */
    needClasses: number | undefined;
    /** Built-in families only: false when no rule of the family can match (rules.ts RULE_GATES). */
    gate: ((text: string, s: TextStats) => boolean) | undefined;
    regexp: RegExp;
    rules: PatternRule[];
    groupOf: number[];
  }> = [];
  const byNeeds = new Map<string, PatternRule[]>();
  for (const r of rules) {
    const k = r.needs ?? '';
    let list = byNeeds.get(k);
    if (!list) {
      list = [];
      byNeeds.set(k, list);
    }
    list.push(r);
  }
  for (const [needs, list] of byNeeds) {
    const groupOf: number[] = [];
    let groups = 0;
    for (const r of list) {
      groupOf.push(groups);
      groups += 1 + groupCount(r.source);
    }
    const gates = list.map((r) => RULE_GATES.get(r));
    const gate = gates.every((g) => g !== undefined)
      ? (text: string, st: TextStats) => {
          for (const g of gates) if (g?.(text, st)) return true;
          return false;
        }
      : undefined;
    families.push({
      needs: needs ? new RegExp(`[${needs.replace(/[\\\]^-]/g, '\\$&')}]`) : undefined,
      needClasses: needs ? needsClasses(needs) : undefined,
      gate,
      regexp: new RegExp(list.map((r) => `(${r.source})`).join('|'), 'gi'),
      rules: list,
      groupOf,
    });
  }
  const keyCache = new Map<string, boolean>();
  const personCache = new Map<string, boolean>();
  /** True when the key names a person (`patient`, `emergencyContact`): its `name` is a person's. */
  function personKey(key: string): boolean {
    let hit = personCache.get(key);
    if (hit === undefined) {
      hit = PERSON_PARENTS.has(normaliseKey(key));
      if (personCache.size < 10_000) personCache.set(key, hit);
    }
    return hit;
  }

  /**
   * True when the value after this (sensitive) key in text is a person's name, which may run over
   * several words (`patientName: jane doe`, `last name: doe`): internal/structured.ts.
   */
  function nameValueKey(key: string): boolean {
    const n = normaliseKey(key);
    return (
      n.endsWith('name') ||
      n.endsWith('names') ||
      PERSON_NAME_KEYS.has(n) ||
      FOREIGN_NAME_KEYS.has(n)
    );
  }

  /** True when the key is a person's name element (`name`, `given`, `family`). */
  function personNameKey(key: string): boolean {
    return PERSON_NAME_KEYS.has(normaliseKey(key));
  }

  function sensitiveKey(key: string): boolean {
    let hit = keyCache.get(key);
    if (hit !== undefined) return hit;
    const n = normaliseKey(key);
    const builtIn = (k: string) => keySet.has(k) || SENSITIVE_SUFFIXES.some((s) => k.endsWith(s));
    // A list of them is as sensitive (`mrns`, `patientIds`, `emails`, `addresses`, `ssnList`);
    // `tokens` is a count as often as a list (a rate limit's, a retry budget's `maxTokens`).
    hit =
      builtIn(n) ||
      (n.length > 3 && n.endsWith('s') && !n.endsWith('tokens') && builtIn(n.slice(0, -1))) ||
      (n.length > 4 && n.endsWith('es') && builtIn(n.slice(0, -2))) ||
      (n.length > 6 && n.endsWith('list') && builtIn(n.slice(0, -4))) ||
      keyRegexps.some((r) => r.test(key));
    if (keyCache.size < 10_000) keyCache.set(key, hit);
    return hit;
  }

  // Marks of the string being scanned (string() is re-entrant through JSON inside strings: each
  // call owns the tokens from `base` on).
  const tokens: string[] = [];
  let base = 0;
  /**
   * The value of a sensitive key met inside a string being scanned (a JSON document in a message):
   * after an identifier key, its shape marks the rest of that string (internal/siblings.ts).
   */
  function noteKeyValue(key: string, value: unknown): void {
    if (
      shapes !== null &&
      (typeof value === 'string' || typeof value === 'number') &&
      identifierKey(key)
    )
      recordShape('', String(value));
  }
  /** The shape of an identifier found (internal/siblings.ts), kept for the string being scanned. */
  function recordShape(kind: string, value: string): void {
    if (shapes === null || shapes.size >= SIBLING_MAX_SHAPES) return;
    const shape = idShape(value);
    if (shape !== undefined && !shapes.has(shape)) shapes.set(shape, kind);
  }
  // The shapes of the identifiers found in the string being scanned (internal/siblings.ts), each
  // with its kind; `null` while scanString is not running, so a mark made elsewhere keeps none.
  let shapes: Map<string, string> | null = null;
  const mark: Mark = (kind, value, shapeKind) => {
    if (allowed(value)) return value;
    if (SIBLING_KINDS.has(shapeKind ?? kind)) recordShape(kind, value);
    const i = tokens.length - base;
    if (i > PH_MAX) return kind ? `[REDACTED:${kind}]` : REDACTED;
    tokens.push(censor(kind, value));
    return `${PH_OPEN}${String.fromCharCode(PH_BASE + i)}${PH_CLOSE}`;
  };

  // Strings already scanned that came out unchanged (routes, methods, roles, messages repeat in
  // every record): returned at once. Only short strings with no finding are kept, so the set never
  // holds a value a rule found; it is emptied when full, so it stays bounded.
  const clean = new Set<string>();

  // Strings in which a rule found something (the same URL, e-mail or note in many records): their
  // redacted text, found by a 64-bit hash of the string under a random key of this redactor, never
  // by the string itself, so the map holds no value a rule found. Least recently used first out
  // (a hit moves an entry to the end only from the older half of the map).
  // Not with a censor function (it may write another text for the same value each time).
  const found = new Map<number, { check: number; length: number; out: string; moved: number }>();
  /** Insertions and moves to the end of `found`, counted: an entry's `moved` is its last one. */
  let foundMoves = 0;
  const rememberFound = typeof options.censor !== 'function';
  const seeds = randomBytes(8);
  const seedA = seeds.readInt32LE(0);
  const seedB = seeds.readInt32LE(4);
  let hashB = 0;
  /** Two 32-bit hashes of `s` in one pass: the first returned, the second in `hashB`. */
  function hash(s: string): number {
    let a = seedA;
    let b = seedB;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
    a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
    hashB = Math.imul(b ^ (b >>> 16), 0x27d4eb2f) ^ (b >>> 13);
    return a ^ (a >>> 16);
  }

  function string(input: string): string {
    if (input.length === 36 && !custom && UUID.test(input)) return input;
    const cacheable = input.length <= CLEAN_MAX_LENGTH;
    if (!cacheable) return scanString(input);
    if (clean.has(input)) return input;
    let key = 0;
    if (rememberFound) {
      key = hash(input);
      const hit = found.get(key);
      if (hit !== undefined && hit.check === hashB && hit.length === input.length) {
        // Moved to the end (the most recently used) only when it is in the older half: a
        // delete and set on every hit left the map's table full of holes, and past about 2,000
        // entries each hit cost microseconds (README, "Overhead"). An entry in the newer half
        // cannot be the next one out before half the map has been written after it.
        if (foundMoves - hit.moved >= FOUND_MAX_ENTRIES / 2) {
          found.delete(key);
          found.set(key, hit);
          hit.moved = ++foundMoves;
        }
        return hit.out;
      }
    }
    const check = hashB;
    const out = scanString(input);
    if (out === input) {
      if (clean.size >= CLEAN_MAX_ENTRIES) clean.clear();
      clean.add(input);
    } else if (rememberFound) {
      if (found.size >= FOUND_MAX_ENTRIES && !found.has(key))
        found.delete(found.keys().next().value as number);
      found.set(key, { check, length: input.length, out, moved: ++foundMoves });
    }
    return out;
  }

  function scanString(input: string): string {
    if (input.startsWith('PHI:')) return '[REDACTED:phi]';
    let text = input;
    let dropped = 0;
    if (text.length > maxStringLength) {
      // Cut before the last token that crosses the limit, so no part of an identifier is kept.
      // At most 256 characters back, and never before the start: a word that crosses the limit
      // and starts within those 256 is dropped whole.
      const floor = Math.max(0, maxStringLength - 256);
      let end = maxStringLength;
      while (end > floor && WORD_CHAR.test(text[end - 1] as string)) end--;
      end = cutOutside(text, end);
      dropped = text.length - end;
      text = text.slice(0, end);
    }
    let cls = classify(text);
    if (cls & C_PLACEHOLDER) {
      text = text.replace(PRIVATE_MARKS, '');
      cls = classify(text);
    }
    const saved = base;
    const savedShapes = shapes;
    base = tokens.length;
    shapes = new Map();
    let out: string;
    try {
      out = scan(text, mark, cls);
      // The other tokens of an identifier's shape (`MRNs 1234567, 7654321`): internal/siblings.ts.
      if (shapes.size > 0) out = markSiblings(out, shapes, mark);
      if (tokens.length > base) out = unmark(out);
    } finally {
      tokens.length = base;
      base = saved;
      // What a string inside this one found (a JSON document's field) holds for the rest of it.
      const found = shapes;
      shapes = savedShapes;
      if (shapes !== null)
        for (const [shape, kind] of found)
          if (shapes.size < SIBLING_MAX_SHAPES && !shapes.has(shape)) shapes.set(shape, kind);
    }
    // An unchanged string holds a control character only when the classes say so.
    if ((out !== text || cls & C_CONTROL) && NEEDS_ESCAPE.test(out)) out = neutralise(out);
    return dropped > 0 ? `${out}…[Truncated ${dropped} chars]` : out;
  }

  /**
   * Moves a cut back, a token at a time, until nothing the rules find crosses it: an identifier
   * made of several tokens (`(555) 010-4477`, `+44 7700 900123`, `Wei Zhang`) or joined by
   * punctuation (`078-05-1120`, an e-mail address) that starts before the cut and ends after it
   * would otherwise be written in part. Checked by scanning the text around the cut twice, up to
   * the cut and past it: when the rules mark something in the longer text that the shorter one
   * writes as it is, something crosses. Bounded: at most CUT_TRIES scans of CUT_BEFORE +
   * CUT_AFTER characters, and the cut never moves more than CUT_BACK characters.
   */
  function cutOutside(text: string, cut: number): number {
    const lowest = Math.max(0, cut - CUT_BACK);
    let end = cut;
    for (let tries = 0; tries < CUT_TRIES && end > lowest; tries++) {
      const from = Math.max(0, end - CUT_BEFORE);
      const head = scan(text.slice(from, end), PROBE);
      const whole = scan(text.slice(from, Math.min(text.length, end + CUT_AFTER)), PROBE);
      if (whole.startsWith(head)) return end;
      // Drop the last token (and the spaces after it).
      while (end > lowest && SPACE.test(text[end - 1] as string)) end--;
      while (end > lowest && !SPACE.test(text[end - 1] as string)) end--;
    }
    return end;
  }

  /** Each placeholder `\ue000<index>\ue001` of this call's marks becomes its censored text. */
  function unmark(text: string): string {
    let out = '';
    let last = 0;
    for (let at = text.indexOf(PH_OPEN); at >= 0; at = text.indexOf(PH_OPEN, at + 1)) {
      const code = text.charCodeAt(at + 1);
      if (code < PH_BASE || code > 0xf8ff || text[at + 2] !== PH_CLOSE) continue;
      out += text.slice(last, at) + tokens[base + code - PH_BASE];
      last = at + 3;
      at += 2;
    }
    return out + text.slice(last);
  }

  function patterns(text: string, mark: Mark): string {
    let out = text;
    // Counted again only after a family has marked something (marks only remove characters).
    const stats: TextStats = { digits: 0, colons: 0, dashes: 0, longestAlnum: 0 };
    let counted: string | undefined;
    for (const f of families) {
      // Classes and counts of `out` in one pass, taken again only after a family has marked.
      if ((f.needClasses !== undefined || f.gate) && counted !== out) {
        textStats(out, stats);
        counted = out;
      }
      if (f.needClasses !== undefined) {
        if (!((stats.classes as number) & f.needClasses)) continue;
      } else if (f.needs && !f.needs.test(out)) continue;
      if (f.gate && !f.gate(out, stats)) continue;
      // What `out.replace(f.regexp, fn)` does, without building an arguments array per match.
      const re = f.regexp;
      re.lastIndex = 0;
      let m = re.exec(out);
      if (m === null) continue;
      let done = '';
      let last = 0;
      while (m !== null) {
        const match = m[0];
        const next = re.lastIndex; // a user's check or censor may use this redactor again
        let written = match;
        for (let i = 0; i < f.rules.length; i++) {
          if (m[(f.groupOf[i] as number) + 1] !== undefined) {
            const rule = f.rules[i] as PatternRule;
            if (!rule.check || rule.check(match)) written = mark(rule.name, match);
            break;
          }
        }
        done += out.slice(last, m.index) + written;
        last = m.index + match.length;
        re.lastIndex = match.length === 0 ? next + 1 : next;
        m = re.exec(out);
      }
      out = done + out.slice(last);
    }
    return out;
  }

  /** Every rule over one string (already cut to maxStringLength). */
  function scan(text: string, mark: Mark, cls: number = classify(text)): string {
    // Lower-case words without digits or punctuation cannot hold anything a rule looks for.
    if (!custom && !(cls & C_ANY_RULE)) return text;
    // A JSON document written as a JSON string (encoded twice: `"{\\"resourceType\\":…}"`).
    if (text.length > 4 && text[0] === '"' && text[text.length - 1] === '"' && text[1] === '{') {
      let inner: unknown;
      try {
        inner = JSON.parse(text);
      } catch {
        inner = undefined;
      }
      if (typeof inner === 'string') return JSON.stringify(string(inner));
    }
    if (cls & C_BRACKET) {
      // Each JSON document in the text (one, several, NDJSON, pretty-printed) is parsed and walked
      // like an object: a FHIR resource's `family` or `city` is found by its place, not its shape.
      // Driver messages first: a row or key with a JSON column (`Failing row contains (7, {"a":
      // 1}, Okafor)`) is one value, not text around a document.
      text = redactDrivers(text, mark);
      let out = '';
      let done = 0;
      let at = nextJsonStart(text, 0);
      // Brackets looked at, bounded: each start that never closes costs one scan to the end.
      let budget = JSON_SCAN_BUDGET * text.length;
      for (let tries = 0; at >= 0 && tries < JSON_TRIES && budget > 0; tries++) {
        const end = jsonEnd(text, at);
        budget -= (end < 0 ? text.length : end) - at;
        if (end < 0) {
          // A FHIR resource cut short: its inner objects parsed alone would lose the resource
          // around them (`{"system": …, "value": "<SSN>"}`), so the rest is text, where the
          // person elements are found by name (redactFhirText).
          if (text.includes('"resourceType"', at)) break;
          // This start never closes (cut, or not JSON); a later one inside it may.
          at = nextJsonStart(text, at + 1);
          continue;
        }
        let doc: unknown;
        try {
          doc = JSON.parse(text.slice(at, end + 1));
        } catch {
          at = nextJsonStart(text, at + 1);
          continue;
        }
        const inner = JSON.stringify(walk(doc, undefined, 1, [], false));
        out += scanText(text.slice(done, at), mark, undefined, false) + inner;
        done = end + 1;
        at = nextJsonStart(text, done);
      }
      if (done > 0) return out + scanText(text.slice(done), mark, undefined, false);
      return scanText(text, mark, cls, false);
    }
    return scanText(text, mark, cls);
  }

  /**
   * Every rule but the JSON documents over one string; `drivers` false when scan() has already
   * run the driver messages over the whole text (a second pass would mark its own marks).
   */
  function scanText(
    text: string,
    mark: Mark,
    cls: number = classify(text),
    drivers = true,
  ): string {
    if (!custom && !(cls & C_ANY_RULE)) return text;
    // Marks only take characters away (and add spaces, quotes and placeholders), so the classes
    // of `text` still hold every character the later steps look for; they skip only a step that
    // cannot find anything.
    let out = cls & C_PIPE ? redactHl7(text, mark) : text;
    if (drivers) out = redactDrivers(out, mark);
    if (
      cls & C_CONTROL &&
      (out.includes(',') || out.includes('\t') || out.includes(';') || out.includes('|'))
    )
      out = redactCsv(out, sensitiveKey, personNameKey, mark);
    if (cls & C_BRACKET) out = redactFhirText(out, mark);
    const mayMatch =
      custom ||
      ((cls & (C_DIGIT | C_AT | C_QUESTION | C_EQUALS | C_DOT)) !== 0 && MAY_MATCH.test(out)) ||
      ((cls & (C_COLON | C_DASH)) !== 0 && HEX_GROUPS.test(out)) ||
      // a bearer token or Basic credential without a digit, `@`, `?`, `=` or `.`
      CREDENTIAL_HINT.test(out);
    // Shapes first (a whole `123 45 6789` or `MRN-0048`), then what follows a key or label.
    if (mayMatch) out = patterns(out, mark);
    if (cls & (C_COLON | C_EQUALS) && (out.includes(':') || out.includes('=')))
      out = redactKeyValues(out, sensitiveKey, mark, nameValueKey);
    if (cls & C_SLASH) out = redactXml(out, sensitiveKey, personKey, personNameKey, mark);
    // Each of these needs a digit in what it marks.
    if (mayMatch && cls & C_DIGIT) {
      // Both label gates in one pass; the phone gate is taken again if a label marked something.
      const gates = labelGates(out);
      const before = out;
      out = redactLabelled(out, mark, (gates & 1) !== 0);
      out =
        out === before
          ? redactLabelledPhones(out, mark, (gates & 2) !== 0)
          : redactLabelledPhones(out, mark);
      out = redactAddresses(out, mark);
    }
    return cls & (C_UPPER | C_NONASCII) ? redactNames(out, mark) : out;
  }

  function error(err: Error, depth: number, seen: object[]): Record<string, unknown> {
    // `{}` then fields, not a literal with fields (no allocation site to pretenure: safe-logger.ts).
    const out: Record<string, unknown> = {};
    out.name = string(String(err.name));
    // A validation error (Joi's ValidationError, zod's ZodError) repeats its details' values in
    // its own message and stack: those about a sensitive field are taken out of both.
    const echoed = detailValues(err);
    const own = (text: string) => string(echoed ? withoutValues(text, echoed) : text);
    out.message = own(String(err.message));
    const e = err as Error & { code?: unknown; status?: unknown; statusCode?: unknown };
    if (typeof e.code === 'string' || typeof e.code === 'number')
      out.code = typeof e.code === 'string' ? string(e.code) : e.code;
    if (typeof e.status === 'number') out.status = e.status;
    if (typeof e.statusCode === 'number') out.statusCode = e.statusCode;
    // Driver details (`detail`, `sql`, `keyValue`), HTTP clients' request and response data.
    let more = 0;
    for (const k of Object.keys(err)) {
      if (k in out || SKIP_ERROR_KEYS.has(k)) continue;
      if (take(1) === 0) {
        more++;
        continue;
      }
      let v: unknown;
      try {
        v = (err as unknown as Record<string, unknown>)[k];
      } catch {
        continue;
      }
      if (typeof v === 'function' || v === undefined) continue;
      const parts = AXIOS_PARTS[k];
      if (parts && v !== null && typeof v === 'object') {
        const picked: Record<string, unknown> = {};
        for (const p of parts) {
          const pv = (v as Record<string, unknown>)[p];
          if (pv !== undefined) picked[p] = pv;
        }
        v = picked;
      } else if (v !== null && typeof v === 'object' && !plainish(v)) continue;
      out[safeKey(k)] = walk(v, k, depth + 1, seen, false);
    }
    if (more > 0) out[TRUNCATED_FIELD] = `${more} more keys`;
    if (stacks && typeof err.stack === 'string') out.stack = own(err.stack);
    if (err.cause !== undefined) out.cause = walk(err.cause, 'cause', depth + 1, seen, false);
    const errors = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors)) out.errors = walk(errors, 'errors', depth + 1, seen, false);
    return out;
  }

  /** A value under a sensitive key: censored whole (objects and arrays always by the marker). */
  function byKey(v: unknown): string {
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint'
      ? censor('', String(v))
      : REDACTED;
  }

  /** Key names that need no scan (most of them): checked once, then found in this set. */
  const plainKeys = new Set<string>();
  function safeKey(k: string): string {
    if (plainKeys.has(k)) return k;
    if (MAY_MATCH.test(k) || HEX_GROUPS.test(k) || NEEDS_ESCAPE.test(k)) return string(k);
    if (plainKeys.size >= CLEAN_MAX_ENTRIES) plainKeys.clear();
    if (k.length <= CLEAN_MAX_LENGTH) plainKeys.add(k);
    return k;
  }

  /**
   * What the walk needs to know about one key name, looked up once per key (most records repeat
   * their keys): sensitive, names a person, normalised form, and the key as written when it
   * needs no scan (`undefined`: scan it every time, it may hold a value).
   */
  interface KeyInfo {
    sensitive: boolean;
    person: boolean;
    normal: string;
    plain: string | undefined;
  }
  const keyInfos = new Map<string, KeyInfo>();
  function keyInfo(k: string): KeyInfo {
    let info = keyInfos.get(k);
    if (info !== undefined) return info;
    const plain = MAY_MATCH.test(k) || HEX_GROUPS.test(k) || NEEDS_ESCAPE.test(k) ? undefined : k;
    info = { sensitive: sensitiveKey(k), person: personKey(k), normal: normaliseKey(k), plain };
    // Keys that need a scan may hold a value: only their verdicts are cached, never kept here.
    if (plain !== undefined && k.length <= CLEAN_MAX_LENGTH) {
      if (keyInfos.size >= CLEAN_MAX_ENTRIES) keyInfos.clear();
      keyInfos.set(k, info);
    }
    return info;
  }

  /** `person`: the value sits under a key that names a person (`patient`, `contact`, …). */
  function walk(
    value: unknown,
    key: string | undefined,
    depth: number,
    seen: object[],
    person: boolean,
  ): unknown {
    if (key !== undefined && sensitiveKey(key)) {
      noteKeyValue(key, value);
      return value === undefined || value === null ? value : byKey(value);
    }
    if (person && typeof value === 'string' && personValue(value)) return byKey(value);
    return walkValue(value, depth, seen, person);
  }

  /**
   * A validation error about one field (express-validator `{ path, value, msg }`, Joi's
   * `context: { key, value }`, zod's `{ path: [...], received }`, ajv's `instancePath`): when the
   * field it names is sensitive, its value fields are redacted by key, and the values themselves
   * are taken out of its messages (`"ssn" with value "078051120" fails…`). `undefined` when the
   * object is not about a sensitive field; else the values (strings and numbers) to take out.
   */
  function sensitiveFieldValues(
    obj: Record<string, unknown>,
    keys: string[],
  ): string[] | undefined {
    // Only the object's own enumerable fields are read, each at most once, and a getter that
    // throws makes it an ordinary object (the walk writes `[Unreadable]` for that field).
    try {
      let values: string[] | undefined;
      let named = false;
      for (const k of keys) {
        if (FIELD_VALUE_KEYS.has(k)) {
          const v = obj[k];
          values ??= [];
          if (typeof v === 'string' || typeof v === 'number') values.push(String(v));
        } else if (k === 'context') {
          // Joi: `{ message, path, context: { key, value } }`: the message echoes the context's value.
          const context = obj[k];
          if (context !== null && typeof context === 'object' && !Array.isArray(context)) {
            const v = (context as Record<string, unknown>).value;
            if (typeof v === 'string' || typeof v === 'number') {
              values ??= [];
              values.push(String(v));
            }
          }
        } else if (!named && FIELD_REF_KEYS.has(k)) {
          const name = fieldName(obj[k]);
          named = name !== undefined && sensitiveKey(name);
        }
      }
      return values !== undefined && named ? values : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The values of the `details`, `issues` or `errors` items about a sensitive field of an error or
   * of an error written as a plain object: a list, or a map from the field's path to its item
   * (Mongoose's `errors: { ssn: { path, value, message } }`, where the map key names the field).
   */
  function detailValues(err: object): string[] | undefined {
    let found: string[] | undefined;
    try {
      for (const k of DETAIL_LISTS) {
        if (!Object.hasOwn(err, k)) continue;
        const list = (err as Record<string, unknown>)[k];
        // Binary data holds no detail objects (Object.keys of a 5 MB typed array took 2 s).
        if (list === null || typeof list !== 'object' || ArrayBuffer.isView(list)) continue;
        const names = Array.isArray(list) ? undefined : Object.keys(list);
        const count = names ? names.length : (list as unknown[]).length;
        for (let i = 0; i < count && i < 50; i++) {
          const item = names
            ? (list as Record<string, unknown>)[names[i] as string]
            : (list as unknown[])[i];
          if (item === null || typeof item !== 'object' || ArrayBuffer.isView(item)) continue;
          const keys = Object.keys(item);
          if (keys.length > FIELD_MAX_KEYS) continue;
          let values = sensitiveFieldValues(item as Record<string, unknown>, keys);
          // A map's key names the field when the item itself names none that is sensitive.
          if (!values && names && sensitiveKey(names[i] as string))
            for (const f of keys) {
              const v = FIELD_VALUE_KEYS.has(f) ? (item as Record<string, unknown>)[f] : undefined;
              if (typeof v === 'string' || typeof v === 'number') {
                values ??= [];
                values.push(String(v));
              }
            }
          if (values) {
            found ??= [];
            found.push(...values);
          }
        }
      }
    } catch {
      // A getter that throws: nothing more is taken from the details.
    }
    return found;
  }

  /** Removes each value (trimmed, two characters or more) where it stands as a whole token. */
  function withoutValues(text: string, values: string[]): string {
    // Only what string() can write is looked at: the rest is cut there, never written.
    const head = maxStringLength + CUT_BEFORE + CUT_AFTER + CUT_BACK;
    if (text.length > head) return withoutValues(text.slice(0, head), values) + text.slice(head);
    let out = text;
    // Longest first (`Zbig` must not cut `Xochiquetzal Zbig` in two), each once, at most
    // FIELD_MAX_VALUES of them: the cost stays linear in the text.
    const distinct = [...new Set(values.map((v) => v.trim()))]
      .filter((v) => v.length >= 2 && !TYPE_NAMES.has(v))
      .sort((a, b) => b.length - a.length)
      .slice(0, FIELD_MAX_VALUES);
    for (const raw of distinct) {
      // In any case (`ZBIGNIEWSKA` for `Zbigniewska`) when lower-casing keeps the lengths.
      const lower = out.toLowerCase();
      const value = raw.toLowerCase();
      const hay = lower.length === out.length && value.length === raw.length ? lower : out;
      const needle = hay === lower ? value : raw;
      let done = '';
      let from = 0;
      for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) {
        const before = out.charCodeAt(at - 1);
        const after = out.charCodeAt(at + needle.length);
        if (alnum(before) || alnum(after)) continue;
        done += out.slice(from, at) + REDACTED;
        from = at + needle.length;
        at = from - 1;
      }
      out = done + out.slice(from);
    }
    return out;
  }

  /** A plain object's own enumerable fields, each redacted by its key and value. */
  function walkObject(obj: object, depth: number, seen: object[], person: boolean): unknown {
    const out: Record<string, unknown> = {};
    const type = (obj as { resourceType?: unknown }).resourceType;
    const fhirPerson = typeof type === 'string' && FHIR_PERSON_TYPES.has(type);
    const all = Object.keys(obj);
    const n = take(all.length);
    const keys = n < all.length ? all.slice(0, n) : all;
    const dropped = all.length - n;
    const fieldValues =
      keys.length <= FIELD_MAX_KEYS
        ? sensitiveFieldValues(obj as Record<string, unknown>, keys)
        : undefined;
    // An error written as a plain object (`{ message, errors: {…} }`): its strings lose the values
    // its details hold about a sensitive field, as an Error's message and stack do.
    const echoed =
      fieldValues === undefined && DETAIL_LISTS.some((k) => Object.hasOwn(obj, k))
        ? detailValues(obj)
        : undefined;
    for (const k of keys) {
      let v: unknown;
      try {
        v = (obj as Record<string, unknown>)[k];
      } catch {
        v = '[Unreadable]';
      }
      const info = keyInfo(k);
      let written: unknown;
      if (fieldValues !== undefined) {
        if (FIELD_VALUE_KEYS.has(k) && v !== undefined && v !== null) {
          out[k] = byKey(v);
          continue;
        }
        if (typeof v === 'string') v = withoutValues(v, fieldValues);
        // Joi's `context: { value }` (with or without `key` and `label` of its own).
        else if (k === 'context' && v !== null && typeof v === 'object' && !Array.isArray(v))
          try {
            if (Object.hasOwn(v, 'value')) v = { ...(v as object), value: REDACTED };
          } catch {
            v = '[Unreadable]';
          }
      }
      if (echoed !== undefined && typeof v === 'string') v = withoutValues(v, echoed);
      if (info.sensitive) {
        noteKeyValue(k, v);
        written = v === undefined || v === null ? v : byKey(v);
      } else if (
        v !== undefined &&
        v !== null &&
        ((fhirPerson && FHIR_PERSON_ELEMENTS.has(info.normal)) ||
          (type === 'Coverage' && COVERAGE_ELEMENTS.has(info.normal)) ||
          (person && PERSON_NAME_KEYS.has(info.normal)))
      )
        written = byKey(v);
      else if (typeof v === 'string')
        // `patient: 'Wei Zhang'`: words alone under a key that names a person are a name.
        written = info.person && personValue(v) ? byKey(v) : string(v);
      else if (typeof v === 'number' || typeof v === 'boolean') written = v;
      // Below a person (`patient.details.name`), until a key that names an organisation.
      else
        written = walkValue(
          v,
          depth + 1,
          seen,
          info.person || (person && !ORGANISATION_KEYS.has(info.normal)),
        );
      const name = info.plain ?? safeKey(k);
      if (name === '__proto__') {
        Object.defineProperty(out, name, {
          value: written,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        out[name] = written;
      }
    }
    if (dropped > 0) out[TRUNCATED_FIELD] = `${dropped} more keys`;
    return out;
  }

  function walkValue(value: unknown, depth: number, seen: object[], person: boolean): unknown {
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
    // `seen` holds the objects on the path from the root (at most maxDepth): a cycle is one of them.
    if (seen.includes(obj)) return '[Circular]';
    if (depth >= maxDepth) return '[Truncated]';
    const proto = Object.getPrototypeOf(obj);
    // Plain objects and arrays (nearly everything logged) skip the other kinds' checks.
    if (proto === Object.prototype || proto === null) {
      if (typeof (obj as { toJSON?: unknown }).toJSON !== 'function') {
        seen.push(obj);
        try {
          return walkObject(obj, depth, seen, person);
        } finally {
          seen.pop();
        }
      }
    } else if (proto === Array.prototype && Array.isArray(obj)) {
      seen.push(obj);
      try {
        const list = obj as unknown[];
        const n = take(list.length);
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) {
          const v = list[i];
          out[i] = typeof v === 'string' ? string(v) : walkValue(v, depth + 1, seen, person);
        }
        if (n < list.length) out.push(`[Truncated ${list.length - n} items]`);
        return out;
      } finally {
        seen.pop();
      }
    }
    if (obj instanceof Date)
      return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (Buffer.isBuffer(obj) || ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
      return `[Binary ${(obj as ArrayBuffer).byteLength} bytes]`;
    }
    if (obj instanceof RegExp) return string(obj.toString());
    seen.push(obj);
    try {
      if (obj instanceof Error) return error(obj, depth, seen);
      if (Array.isArray(obj)) {
        // An array of another class: mapped (its holes stay holes), at most `left` items.
        const list = obj as unknown[];
        const n = take(list.length);
        const out = (n < list.length ? list.slice(0, n) : list).map((v) =>
          walkValue(v, depth + 1, seen, person),
        );
        if (n < list.length) out.push(`[Truncated ${list.length - n} items]`);
        return out;
      }
      if (obj instanceof Set) {
        const out: unknown[] = [];
        let more = 0;
        for (const v of obj as Iterable<unknown>) {
          if (take(1) === 0) more++;
          else out.push(walkValue(v, depth + 1, seen, person));
        }
        if (more > 0) out.push(`[Truncated ${more} items]`);
        return out;
      }
      if (obj instanceof Map) {
        const out: Record<string, unknown> = {};
        let more = 0;
        for (const [k, v] of obj) {
          if (take(1) === 0) {
            more++;
            continue;
          }
          const name = typeof k === 'string' ? k : String(k);
          out[string(name)] = walk(v, name, depth + 1, seen, personKey(name));
        }
        if (more > 0) out[TRUNCATED_FIELD] = `${more} more keys`;
        return out;
      }
      if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
        let json: unknown;
        try {
          json = (obj as { toJSON(): unknown }).toJSON();
        } catch {
          return '[Unreadable]';
        }
        if (json !== obj) return walkValue(json, depth, seen, person);
      }
      return walkObject(obj, depth, seen, person);
    } finally {
      seen.pop();
    }
  }

  /** The walk from the root of a value the caller gives (`value()`). */
  const walkRoot = (v: unknown, key: string | undefined) =>
    walk(v, key, 0, [], key !== undefined && personKey(key));
  const call = (f: () => unknown) => f();

  return Object.freeze({
    value: (value: unknown, key?: string): unknown => asOneValue(walkRoot, value, key),
    string: (text: string): string => asOneValue(string, text, undefined),
    sensitiveKey,
    key: safeKey,
    maxItems,
    [AS_ONE_VALUE]: <T>(f: () => T): T => asOneValue(call, f, undefined) as T,
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
