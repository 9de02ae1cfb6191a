/**
 * The one-pass scanner behind `sanitizeInput`. Linear in the length of its input: every code
 * unit is read once, written at most once, and removed at most once; no regular expression runs
 * over the whole string.
 *
 * Its output has none of what it removes, so a second scan changes nothing:
 * - control characters other than tab and LF (CR and CRLF become LF);
 * - invisible format characters (`isInvisible`);
 * - `"` (becomes U+201D);
 * - a tag-like sequence: `<`, then an ASCII letter, `!`, `?` or `-` (or `/` and one of those),
 *   then anything but `<` and `>`, then `>`; removing one can uncover another (`<<b>b>`), which is
 *   removed as well;
 * - a `<` followed by a letter (any script), `/`, `!` or `?` (a markup opener) that is not part of
 *   a tag-like sequence; removing it can join a tag-like sequence (`<-<é>`), which is removed too.
 *
 * How: the output is a buffer; the `<` written since the last `>` are on a stack (pending: each
 * may still start a tag-like sequence). A `>` looks at the innermost pending `<`: a tag-like
 * sequence is cut off the buffer; a markup opener is marked removed (a tombstone, no copying) and
 * the `>` is tried against the next pending `<`; otherwise the `>` is written and every pending
 * `<` is decided for good. The first characters after each pending `<` are carried down the
 * stack, so deciding n of them costs O(n).
 */

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const NONE = -1;
/** Code units per `String.fromCharCode` call (well under the engine's argument limit). */
const CHUNK = 8192;

/** U+201D RIGHT DOUBLE QUOTATION MARK, what `"` becomes. */
export const QUOTE_REPLACEMENT = 0x201d;

const LETTER = /\p{L}/u;

/**
 * Zero-width, bidirectional and other invisible format characters that no name or note needs and
 * that hide or reorder text (Trojan Source, invisible names): soft hyphen, Arabic letter mark,
 * Hangul fillers, Khmer inherent vowels, zero-width space, LRM/RLM, bidi embeddings, overrides
 * and isolates, word joiner and invisible operators, deprecated format controls, BOM /
 * zero-width no-break space, interlinear annotation, shorthand format controls, musical
 * formatting controls and the language tag. Kept, because text needs them: ZWNJ and ZWJ
 * (U+200C/D: Persian, Indic scripts, emoji sequences), variation selectors, emoji tag
 * characters (U+E0020–E007F: subdivision flags), Mongolian free variation selectors.
 */
export function isInvisible(cp: number): boolean {
  if (cp < 0xad) return false;
  if (cp <= 0xffff)
    return (
      cp === 0xad ||
      cp === 0x61c ||
      cp === 0x115f ||
      cp === 0x1160 ||
      cp === 0x17b4 ||
      cp === 0x17b5 ||
      cp === 0x200b ||
      cp === 0x200e ||
      cp === 0x200f ||
      (cp >= 0x202a && cp <= 0x202e) ||
      (cp >= 0x2060 && cp <= 0x2064) ||
      (cp >= 0x2066 && cp <= 0x206f) ||
      cp === 0x3164 ||
      cp === 0xfeff ||
      cp === 0xffa0 ||
      (cp >= 0xfff9 && cp <= 0xfffb)
    );
  return (cp >= 0x1bca0 && cp <= 0x1bca3) || (cp >= 0x1d173 && cp <= 0x1d17a) || cp === 0xe0001;
}

/** `[A-Za-z!?-]`: what may follow `<` (or `</`) in a tag-like sequence. */
function isTagStart(u: number): boolean {
  return (
    (u >= 0x61 && u <= 0x7a) || (u >= 0x41 && u <= 0x5a) || u === 0x21 || u === 0x3f || u === 0x2d
  );
}

/** The content after a `<` (its first two code units) makes it a tag-like sequence's start. */
function startsTag(u1: number, u2: number): boolean {
  return isTagStart(u1) || (u1 === SLASH && isTagStart(u2));
}

/**
 * The content after a `<` (its first two code units) makes it a markup opener. `NONE` (nothing
 * follows) is below every range.
 */
function opensMarkup(u1: number, u2: number): boolean {
  if (u1 < 0x80)
    return (
      (u1 >= 0x61 && u1 <= 0x7a) ||
      (u1 >= 0x41 && u1 <= 0x5a) ||
      u1 === SLASH ||
      u1 === 0x21 ||
      u1 === 0x3f
    );
  let cp = u1;
  if (u1 >= 0xd800 && u1 <= 0xdbff && u2 >= 0xdc00 && u2 <= 0xdfff)
    cp = (u1 - 0xd800) * 0x400 + (u2 - 0xdc00) + 0x10000;
  return LETTER.test(String.fromCodePoint(cp));
}

/** Written over a removed `<` (a tombstone): NUL never reaches the buffer otherwise. */
const TOMBSTONE = 0;

/**
 * Decides pending `<` number `below - 1` down to 0 for good, when what follows the last of
 * them starts at `end` (exclusive end of its segment) with the code units `c1`, `c2`: markup
 * openers become tombstones. Returns whether it set any.
 */
function settle(
  out: Uint16Array,
  pending: Int32Array,
  below: number,
  end: number,
  c1: number,
  c2: number,
): boolean {
  let changed = false;
  let to = end;
  let k1 = c1;
  let k2 = c2;
  for (let k = below - 1; k >= 0; k--) {
    const p = pending[k] ?? 0;
    const width = to - p - 1;
    const u1 = width >= 1 ? (out[p + 1] ?? NONE) : k1;
    const u2 = width >= 2 ? (out[p + 2] ?? NONE) : width === 1 ? k1 : k2;
    if (opensMarkup(u1, u2)) {
      out[p] = TOMBSTONE;
      changed = true;
      k1 = u1;
      k2 = u2;
    } else {
      k1 = LT;
      k2 = NONE;
    }
    to = p;
  }
  return changed;
}

/** One scan; see the module comment. The caller normalises (NFC) before and after. */
export function scan(s: string): string {
  const n = s.length;
  const out = new Uint16Array(n);
  /** Positions in `out` of the pending `<`, innermost last; `top` of them are in use. */
  let pending = new Int32Array(Math.min(n, 1024));
  let top = 0;
  let len = 0;
  /** A code unit was replaced (CR, `"`) or a tombstone was set. */
  let changed = false;

  for (let i = 0; i < n; i++) {
    const u = s.charCodeAt(i);
    if (u < 0x20 || (u >= 0x7f && u <= 0x9f)) {
      if (u === 0x0d) {
        changed = true;
        out[len++] = 0x0a;
        if (s.charCodeAt(i + 1) === 0x0a) i++;
      } else if (u === 0x09 || u === 0x0a) out[len++] = u;
      continue;
    }
    if (u === LT) {
      if (top === pending.length) {
        const grown = new Int32Array(Math.min(n, pending.length * 2));
        grown.set(pending);
        pending = grown;
      }
      pending[top++] = len;
      out[len++] = LT;
    } else if (u === GT) {
      // Try the `>` against the innermost pending `<`, then the next one out while markup
      // openers are removed between them.
      let to = len;
      let c1 = NONE;
      let c2 = NONE;
      let cut = false;
      while (top > 0) {
        const p = pending[top - 1] ?? 0;
        const width = to - p - 1;
        const u1 = width >= 1 ? (out[p + 1] ?? NONE) : c1;
        const u2 = width >= 2 ? (out[p + 2] ?? NONE) : width === 1 ? c1 : c2;
        if (startsTag(u1, u2)) {
          len = p; // cut the tag-like sequence (and any tombstones in it); the `>` is not written
          top--;
          cut = true;
          break;
        }
        if (!opensMarkup(u1, u2)) break;
        out[p] = TOMBSTONE;
        changed = true;
        top--;
        c1 = u1;
        c2 = u2;
        to = p;
      }
      if (cut) continue;
      // The innermost live pending `<` (if any) stays: the ones below it are followed by a `<`.
      // With none pending, `settle` has nothing to decide (`below` is -1).
      if (settle(out, pending, top - 1, pending[top - 1] ?? 0, LT, NONE)) changed = true;
      top = 0;
      out[len++] = GT;
    } else if (u === 0x22) {
      changed = true;
      out[len++] = QUOTE_REPLACEMENT;
    } else if (u >= 0xd800 && u <= 0xdbff) {
      const v = s.charCodeAt(i + 1);
      if (v >= 0xdc00 && v <= 0xdfff) {
        i++;
        if (!isInvisible((u - 0xd800) * 0x400 + (v - 0xdc00) + 0x10000)) {
          out[len++] = u;
          out[len++] = v;
        }
      } else out[len++] = u;
    } else if (!isInvisible(u)) out[len++] = u;
  }
  if (settle(out, pending, top, len, NONE, NONE)) changed = true;

  // Nothing removed or replaced: the input is its own result (the common case for real text).
  if (len === n && !changed) return s;
  let w = 0;
  for (let k = 0; k < len; k++) {
    const u = out[k] ?? TOMBSTONE;
    if (u !== TOMBSTONE) out[w++] = u;
  }
  let result = '';
  for (let a = 0; a < w; a += CHUNK)
    result += String.fromCharCode.apply(null, out.subarray(a, Math.min(w, a + CHUNK)) as never);
  return result;
}
