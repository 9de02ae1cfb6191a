/**
 * Identifiers named together: a log line often names several records at once (`MRNs 1234567,
 * 7654321 and 1111111 flagged`, `Patient ID P-00012345 merged into P-00012346`), and only the
 * first stands after its label. Once a rule has found an identifier in a string, every other
 * token of the same shape in that string is taken for one of the same kind.
 *
 * A shape is the identifier's last token (ASCII letters and digits, `-` `.` `/` between two of
 * them) with each digit as `#` and letters in lower case: `P-00012345` is `p-########`. Only
 * shapes with at least SIBLING_MIN_DIGITS digits count, so `MRN-0048` makes no shape and a
 * `3 of 5` never matches; a token before a unit or count word (`1234567 bytes`, `30000 ms`,
 * `125000 of 400000`) or after `<number> of` is a quantity, not an identifier. A token matches when it is a whole word (no letter, digit or `_` of any
 * script joined to it) with exactly that shape: another length, another prefix or another
 * separator is another shape (`v20.1234567`, `abc-7654321`, `W-00012346` stay beside `1234567` or
 * `P-00012345`). One pass over the string; no regular expression is built from the input.
 */
import { alnum, asciiAlnum } from './chars';
import { re } from './regexps';
import type { Mark } from './structured';

/** The kinds whose shape marks the tokens of that shape (dates, phones, zips: not identifiers). */
export const SIBLING_KINDS: ReadonlySet<string> = new Set([
  'id', // the value of an identifier key in text or JSON (`patientId=8812345`): identifierKey
  'mrn',
  'ssn',
  'nhs',
  'health-plan',
  'account',
  'licence',
  'vehicle',
  'device',
  'biometric',
]);
export const SIBLING_MIN_DIGITS = 6;
/** Longer tokens are not taken as identifiers' shapes. */
export const SIBLING_MAX_LENGTH = 40;
/** At most this many shapes per string (a line naming more kinds of identifier keeps the first). */
export const SIBLING_MAX_SHAPES = 8;

/**
 * A key whose value is an identifier (`patientId`, `mrn`, `memberNumber`, `ssns`), not a phone,
 * a date or an address: its value in text or JSON gives a shape (kind `id`). Compared without
 * case or separators.
 */
const ID_KEY = re(
  '(?:ssn|mrn|nhs|medrec|medicalrecord|healthcard|(?:patient|member|subscriber|policy|chart|account|encounter|visit|case|insurance)(?:id|number|no|num|nbr|nr))(?:s|list)?$',
  '',
);
export function identifierKey(key: string): boolean {
  return ID_KEY.test(key.toLowerCase().replace(NOT_KEY_CHAR, ''));
}
const NOT_KEY_CHAR = re('[^a-z0-9]', 'g');

/** Words after a number that make it a quantity (`1234567 bytes`, `30000 ms`, `125000 of …`). */
const QUANTITY_WORDS: ReadonlySet<string> = new Set(
  (
    'of b byte bytes kb kib mb mib gb gib ms us ns s sec secs second seconds min mins minute minutes ' +
    'h hr hrs hour hours day days row rows record records item items request requests time times ' +
    'token tokens char chars character characters line lines entries entry x'
  ).split(' '),
);
const LETTER = /[a-z]/i;
/** The word after `end` (past at most two blanks), lower case, or `%`. */
function wordAfter(text: string, end: number): string {
  let i = end;
  while (i < end + 2 && (text[i] === ' ' || text[i] === '\t')) i++;
  if (text[i] === '%') return '%';
  let j = i;
  while (j < text.length && j < i + 16 && LETTER.test(text[j] as string)) j++;
  return text.slice(i, j).toLowerCase();
}
/** True when `<number> of ` stands before `start` (`125000 of 400000`: a count, not an id). */
function countBefore(text: string, start: number): boolean {
  let i = start;
  while (i > start - 2 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  if (text.slice(i - 2, i).toLowerCase() !== 'of') return false;
  i -= 2;
  const of = i;
  while (i > of - 2 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  const c = text.charCodeAt(i - 1);
  return i < of && c >= 48 && c <= 57;
}

/** A character of a word: a letter or digit of any script, or `_` (a placeholder is not one). */
const wordChar = (c: number) => c === 95 /* _ */ || alnum(c);
const joiner = (c: number) => c === 45 /* - */ || c === 46 /* . */ || c === 47; /* / */

/** `token` as a shape: digits `#`, ASCII letters lower case; the number of digits in `digits`. */
function shapeOf(token: string): { shape: string; digits: number } {
  let shape = '';
  let digits = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      shape += '#';
      digits++;
    } else shape += String.fromCharCode(c >= 65 && c <= 90 ? c | 0x20 : c);
  }
  return { shape, digits };
}

/** The shape of an identifier a rule found (its last token), or undefined when it makes none. */
export function idShape(value: string): string | undefined {
  let end = value.length;
  while (end > 0 && !asciiAlnum(value.charCodeAt(end - 1))) end--;
  let start = end;
  while (start > 0) {
    const c = value.charCodeAt(start - 1);
    if (asciiAlnum(c)) start--;
    else if (joiner(c) && start < end && start >= 2 && asciiAlnum(value.charCodeAt(start - 2)))
      start--;
    else break;
  }
  if (start === end || end - start > SIBLING_MAX_LENGTH) return undefined;
  // A token joined to a word before it is part of something longer (`id_1234567`).
  if (start > 0 && wordChar(value.charCodeAt(start - 1))) return undefined;
  const { shape, digits } = shapeOf(value.slice(start, end));
  return digits >= SIBLING_MIN_DIGITS ? shape : undefined;
}

/**
 * Every whole token of `text` with one of `shapes` marked as that shape's kind. Tokens are found as
 * idShape finds them: ASCII letters and digits with single `-` `.` `/` between them, and nothing
 * of a word on either side.
 */
export function markSiblings(
  text: string,
  shapes: ReadonlyMap<string, string>,
  mark: Mark,
): string {
  let lengths = 0; // bit n: some shape has length n (all are at most SIBLING_MAX_LENGTH)
  for (const s of shapes.keys()) lengths = s.length < 31 ? lengths | (1 << s.length) : -1;
  let out = '';
  let done = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (!asciiAlnum(c) || (i > 0 && wordChar(text.charCodeAt(i - 1)))) {
      i++;
      continue;
    }
    // A token starts at i: letters and digits, a joiner only between two of them.
    let end = i + 1;
    for (;;) {
      if (end < text.length && asciiAlnum(text.charCodeAt(end))) end++;
      else if (
        end + 1 < text.length &&
        joiner(text.charCodeAt(end)) &&
        asciiAlnum(text.charCodeAt(end + 1))
      )
        end += 2;
      else break;
    }
    const length = end - i;
    const after = end < text.length ? text.charCodeAt(end) : -1;
    if (
      !(after >= 0 && wordChar(after)) &&
      length <= SIBLING_MAX_LENGTH &&
      (lengths === -1 || lengths & (1 << length))
    ) {
      const token = text.slice(i, end);
      const kind = shapes.get(shapeOf(token).shape);
      const unit = kind === undefined ? '' : wordAfter(text, end);
      if (
        kind !== undefined &&
        unit !== '%' &&
        !QUANTITY_WORDS.has(unit) &&
        !countBefore(text, i)
      ) {
        out += text.slice(done, i) + mark(kind, token);
        done = end;
      }
    }
    i = end;
  }
  return done === 0 ? text : out + text.slice(done);
}
