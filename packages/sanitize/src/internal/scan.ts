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

/** The content after a `<` (its first two code units) makes it a markup opener. */
function opensMarkup(u1: number, u2: number): boolean {
  if (u1 === NONE) return false;
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

/** One scan; see the module comment. The caller normalises (NFC) before and after. */
export function scan(s: string): string {
  const n = s.length;
  const out = new Uint16Array(n);
  const dead = new Uint8Array(n);
  const pending = new Int32Array(n);
  let len = 0;
  let top = 0;
  /** A code unit was replaced (CR, `"`) or a tombstone was set. */
  let changed = false;

  const emit = (u: number): void => {
    dead[len] = 0;
    out[len++] = u;
  };

  /** The first two live code units from `from` (exclusive end `to`), then `c1`, `c2`. */
  let h1 = NONE;
  let h2 = NONE;
  const head = (from: number, to: number, c1: number, c2: number): void => {
    if (to - from >= 2) {
      h1 = out[from] ?? NONE;
      h2 = out[from + 1] ?? NONE;
    } else if (to - from === 1) {
      h1 = out[from] ?? NONE;
      h2 = c1;
    } else {
      h1 = c1;
      h2 = c2;
    }
  };

  /**
   * Decides pending `<` number `below - 1` down to 0 for good, when the one above them (or the
   * end of input) follows: markup openers become tombstones.
   */
  const settle = (below: number, end: number, c1: number, c2: number): void => {
    let to = end;
    let k1 = c1;
    let k2 = c2;
    for (let k = below - 1; k >= 0; k--) {
      const p = pending[k] ?? 0;
      head(p + 1, to, k1, k2);
      if (opensMarkup(h1, h2)) {
        changed = true;
        dead[p] = 1;
        k1 = h1;
        k2 = h2;
      } else {
        k1 = LT;
        k2 = NONE;
      }
      to = p;
    }
  };

  const close = (): void => {
    let to = len;
    let c1 = NONE;
    let c2 = NONE;
    while (top > 0) {
      const p = pending[top - 1] ?? 0;
      head(p + 1, to, c1, c2);
      if (startsTag(h1, h2)) {
        len = p; // cut the tag-like sequence (and any tombstones in it); the `>` is not written
        top--;
        return;
      }
      if (!opensMarkup(h1, h2)) break;
      changed = true;
      dead[p] = 1;
      top--;
      c1 = h1;
      c2 = h2;
      to = p;
    }
    // The innermost live pending `<` (if any) stays: the ones below it are followed by a `<`.
    if (top > 0) settle(top - 1, pending[top - 1] ?? 0, LT, NONE);
    top = 0;
    emit(GT);
  };

  for (let i = 0; i < n; i++) {
    const u = s.charCodeAt(i);
    if (u < 0x20 || (u >= 0x7f && u <= 0x9f)) {
      if (u === 0x0d) {
        changed = true;
        emit(0x0a);
        if (s.charCodeAt(i + 1) === 0x0a) i++;
      } else if (u === 0x09 || u === 0x0a) emit(u);
      continue;
    }
    if (u === LT) {
      pending[top++] = len;
      emit(LT);
    } else if (u === GT) close();
    else if (u === 0x22) {
      changed = true;
      emit(QUOTE_REPLACEMENT);
    } else if (u >= 0xd800 && u <= 0xdbff) {
      const v = s.charCodeAt(i + 1);
      if (v >= 0xdc00 && v <= 0xdfff) {
        i++;
        if (!isInvisible((u - 0xd800) * 0x400 + (v - 0xdc00) + 0x10000)) {
          emit(u);
          emit(v);
        }
      } else emit(u);
    } else if (!isInvisible(u)) emit(u);
  }
  settle(top, len, NONE, NONE);

  // Nothing removed or replaced: the input is its own result (the common case for real text).
  if (len === n && !changed) return s;
  let w = 0;
  for (let k = 0; k < len; k++) if (dead[k] === 0) out[w++] = out[k] ?? 0;
  let result = '';
  for (let a = 0; a < w; a += CHUNK)
    result += String.fromCharCode.apply(null, out.subarray(a, Math.min(w, a + CHUNK)) as never);
  return result;
}
