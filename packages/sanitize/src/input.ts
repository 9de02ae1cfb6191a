// C0 controls except tab and newline, DEL, and C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** Something that looks like a tag, end tag, comment or declaration: `<x ...>`, `</x>`, `<!...>`, `<?...>`. */
const TAG = /<[/!?]?[A-Za-z!?-][^<>]*>/g;
/** A `<` that would open markup in HTML text: before a letter, `/`, `!` or `?`. */
const MARKUP_OPEN = /<+(?=[\p{L}/!?])/gu;
/** What replaces `"`: U+201D RIGHT DOUBLE QUOTATION MARK. */
export const DOUBLE_QUOTE_REPLACEMENT = '\u201d';

/**
 * Makes a string safe to place raw into HTML text content or into a double-quoted attribute
 * value, and keeps it text: letters of every script, digits, spaces and ordinary punctuation
 * (including `'` `&` `>` `-` `.` `,` `(` `)` `/` `:` `;` `!` `?` `@` `#` `%` `+`) come out unchanged.
 *
 * In order: Unicode NFC; CRLF and CR become LF; control characters other than tab and newline
 * are removed; tag-like sequences (`<b>`, `</script>`, `<img src=x onerror=...>`, `<!-- -->`)
 * are removed (their text content stays); any `<` left before a letter, `/`, `!` or `?` is
 * removed; `"` becomes `”`; NFC again. Not a URL sanitiser: see `sanitizeUrl`.
 */
export function sanitizeInput(value: string): string {
  if (typeof value !== 'string') throw new TypeError('sanitizeInput: value must be a string');
  let s = value.normalize('NFC').replace(/\r\n?/g, '\n').replace(CONTROL, '');
  for (let previous = ''; previous !== s; ) {
    previous = s;
    s = s.replace(TAG, '');
  }
  s = s.replace(MARKUP_OPEN, '').replaceAll('"', DOUBLE_QUOTE_REPLACEMENT).normalize('NFC');
  // NFC cannot create '<' or '"', but removals can leave a new "<" + letter pair only through
  // the steps above, which run to a fixed point; check once more for safety.
  return s.replace(MARKUP_OPEN, '');
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
