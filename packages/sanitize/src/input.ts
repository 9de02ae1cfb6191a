import { checkOptions, integerOption } from '@resil/core';
import { SanitizeError } from './errors';
import { scan } from './internal/scan';

/** What replaces `"`: U+201D RIGHT DOUBLE QUOTATION MARK. */
export const DOUBLE_QUOTE_REPLACEMENT = '\u201d';

/** `sanitizeInput`'s length cap, in UTF-16 code units (`value.length`). */
export const DEFAULT_MAX_INPUT_LENGTH = 100_000;

export interface SanitizerOptions {
  /**
   * Longest input accepted, in UTF-16 code units (`value.length`), checked before any work;
   * longer throws `SanitizeError` with code `RESIL_SANITIZE_TOO_LONG`. An integer >= 1, or
   * `Infinity` for no cap. @default 100000
   */
  maxLength?: number;
}

/** Extra scans allowed after the first, before the fallback (see `sanitizeText`). */
const MAX_ROUNDS = 3;

/**
 * Printable ASCII but `"` and `<`, tab and LF only: text that the scan returns as it is and that
 * NFC leaves alone (ASCII is its own NFC), so sanitising it is the identity. Most names and
 * addresses are such text: they skip both NFC passes and the scan's buffers.
 */
function plainAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const u = value.charCodeAt(i);
    if (u >= 0x7f || u === 0x22 || u === 0x3c || (u < 0x20 && u !== 0x09 && u !== 0x0a))
      return false;
  }
  return true;
}

/**
 * The sanitisation itself, without a length cap: NFC, one linear scan, NFC again. Removals can
 * let the last NFC compose a new character (`<` + U+0338 becomes `≮`, which can turn `<-≮>`
 * into the tag-like `<-≮>`), so while the last NFC changed the text, the scan runs again, until
 * the text is a fixed point of both: idempotent by construction. Found inputs need one extra
 * scan at most; to keep the cost linear whatever the input, after `maxRounds` extra scans every
 * remaining `<` is removed (text without `<` is a fixed point of the scan, and NFC cannot create
 * a `<`). `maxRounds` is a parameter for tests only.
 */
export function sanitizeText(value: string, maxRounds = MAX_ROUNDS): string {
  if (plainAscii(value)) return value;
  let s = scan(value.normalize('NFC'));
  for (let round = 0; ; round++) {
    const composed = s.normalize('NFC');
    if (composed === s) return s;
    if (round >= maxRounds) return composed.replaceAll('<', '').normalize('NFC');
    s = scan(composed); // unchanged by the scan: the next round returns it (composed is NFC)
  }
}

/**
 * Returns a `sanitizeInput` with another length cap (`maxLength`, in UTF-16 code units).
 * Throws a `RangeError` (`TypeError` for a non-number) naming `maxLength` when it is not an
 * integer >= 1 or `Infinity` (core's option checks).
 */
export function createSanitizer(options: SanitizerOptions = {}): (value: string) => string {
  const { maxLength: given } = checkOptions('createSanitizer', options, ['maxLength']);
  const maxLength =
    given === Number.POSITIVE_INFINITY
      ? given
      : integerOption('createSanitizer', 'maxLength', given, {
          default: DEFAULT_MAX_INPUT_LENGTH,
          min: 1,
        });
  return function sanitize(value: string): string {
    if (typeof value !== 'string') throw new TypeError('sanitizeInput: value must be a string');
    if (value.length > maxLength)
      throw new SanitizeError(
        'RESIL_SANITIZE_TOO_LONG',
        `sanitizeInput: input longer than ${maxLength} characters is not accepted`,
        maxLength,
      );
    return sanitizeText(value);
  };
}

const defaultSanitizer = createSanitizer();

/**
 * Makes a string safe to place raw into HTML text content or into a double-quoted attribute
 * value, and keeps it text: letters of every script, digits, spaces and ordinary punctuation
 * (including `'` `&` `>` `-` `.` `,` `(` `)` `/` `:` `;` `!` `?` `@` `#` `%` `+`) come out unchanged.
 *
 * In one linear scan between two Unicode NFC passes: CRLF and CR become LF; control characters
 * other than tab and newline are removed; invisible format characters (zero-width space, bidi
 * embeddings, overrides and isolates, BOM, ...) are removed; tag-like sequences (`<b>`,
 * `</script>`, `<img src=x onerror=...>`, `<!-- -->`) are removed (their text content stays),
 * also those that a removal uncovers; any `<` left before a letter, `/`, `!` or `?` is removed;
 * `"` becomes `”`. Idempotent: `sanitizeInput(sanitizeInput(x)) === sanitizeInput(x)`.
 * Not a URL sanitiser: see `sanitizeUrl`.
 *
 * Throws a `TypeError` for a non-string, and a `SanitizeError` (`RESIL_SANITIZE_TOO_LONG`) for
 * input longer than 100,000 UTF-16 code units (`createSanitizer({ maxLength })` for another cap).
 */
export function sanitizeInput(value: string): string {
  return defaultSanitizer(value);
}

/** Neither whitespace, control, format, mark, default-ignorable nor U+2800 BRAILLE PATTERN BLANK. */
const VISIBLE = /[^\s\p{Cc}\p{Cf}\p{M}\p{Default_Ignorable_Code_Point}\u2800]/u;

/**
 * True when `value` has at least one character a reader can see: something other than
 * whitespace, control and format characters, combining marks alone, default-ignorable code
 * points (ZWJ, variation selectors, Hangul fillers, ...) and the blank Braille pattern. Use it
 * after `sanitizeInput` to refuse a name that is empty once sanitised (see the README).
 */
export function hasVisibleText(value: unknown): boolean {
  return typeof value === 'string' && VISIBLE.test(value);
}

const SAFE_SCHEMES = new Set(['http:', 'https:', 'mailto:', 'tel:']);

/**
 * For `href`/`src`: returns the URL (normalised by the WHATWG parser) when it is absolute with
 * one of `schemes` (default http, https, mailto, tel), else undefined. `javascript:`, `data:`,
 * `vbscript:`, relative and malformed URLs, and obfuscated forms (`java\tscript:`, entities,
 * mixed case) are refused. Place the result in a double-quoted attribute.
 */
export function sanitizeUrl(
  value: string,
  schemes: Iterable<string> = SAFE_SCHEMES,
): string | undefined {
  if (typeof value !== 'string') return undefined;
  const allowed = new Set([...schemes].map((s) => (s.endsWith(':') ? s : `${s}:`).toLowerCase()));
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (!allowed.has(url.protocol)) return undefined;
  const out = url.href;
  return out.includes('"') || /[<>\s]/.test(out) ? undefined : out;
}
