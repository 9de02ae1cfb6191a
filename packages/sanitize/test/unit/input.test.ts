import fc from 'fast-check';
import {
  createSanitizer,
  DEFAULT_MAX_INPUT_LENGTH,
  DOUBLE_QUOTE_REPLACEMENT,
  hasVisibleText,
  isSanitizeError,
  SanitizeError,
  sanitizeInput,
  sanitizeUrl,
} from '../../src';
import { sanitizeText } from '../../src/input';
import { scan } from '../../src/internal/scan';
import { ATTACKS, BENIGN } from '../attacks';

const OPENS_MARKUP = /<[\p{L}/!?]/u;

/** Cases per property; Stryker caps them per mutant with RESIL_FC_MAX_RUNS (stryker.config.mjs). */
const runs = (n: number) => Math.min(n, Number(process.env.RESIL_FC_MAX_RUNS) || n);

/** One code point of the whole range, U+D800–U+DFFF (lone surrogates) included. */
const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp));

describe('sanitizeInput', () => {
  it.each(BENIGN.map((b) => [b]))('keeps %j unchanged', (input) => {
    expect(sanitizeInput(input)).toBe(input);
  });

  it.each(ATTACKS.map((a) => [a]))(
    'neutralises %j (no markup opener, no double quote)',
    (input) => {
      const out = sanitizeInput(input);
      expect(out).not.toMatch(OPENS_MARKUP);
      expect(out).not.toContain('"');
    },
  );

  it('documents its changes: NFC, CRLF, controls, tags, quotes', () => {
    expect(sanitizeInput('Jose\u0301')).toBe('José'); // NFC
    expect(sanitizeInput('a\r\nb\rc')).toBe('a\nb\nc');
    expect(sanitizeInput('a\u0000b\u0007c\u009fd\u007fe')).toBe('abcde');
    expect(sanitizeInput('<b>Bold</b> name')).toBe('Bold name');
    expect(sanitizeInput('He said "hi"')).toBe(
      `He said ${DOUBLE_QUOTE_REPLACEMENT}hi${DOUBLE_QUOTE_REPLACEMENT}`,
    );
    expect(sanitizeInput('<script>alert(1)</script>')).toBe('alert(1)');
    expect(sanitizeInput('x<y')).toBe('xy');
  });

  it('rejects a non-string with a TypeError', () => {
    expect(() => sanitizeInput(42 as never)).toThrow(TypeError);
  });

  it('properties: no markup opener, no ", idempotent, whatever the input', () => {
    const anyText = fc.oneof(
      // any code point, lone surrogates included: what `unit: 'binary'` gives, without the
      // 10 s that building that arbitrary takes
      fc.string({ unit: anyCodePoint, maxLength: 60 }),
      fc.string({
        unit: fc.constantFrom(
          '<',
          '>',
          '"',
          "'",
          '/',
          '!',
          '?',
          'a',
          'S',
          '&',
          ';',
          '#',
          '\u0000',
          '\u0338',
          ' ',
          '-',
          '=',
        ),
        maxLength: 40,
      }),
    );
    fc.assert(
      fc.property(anyText, (s) => {
        const out = sanitizeInput(s);
        return !OPENS_MARKUP.test(out) && !out.includes('"') && sanitizeInput(out) === out;
      }),
      { numRuns: runs(3000) },
    );
  });
});

describe('sanitizeInput: idempotence, invisible characters, length cap', () => {
  /** Characters that meet at removals: markup, letters of several scripts, combining marks, invisibles. */
  const wideText = fc.string({
    unit: fc.constantFrom(
      '<',
      '>',
      '-',
      '/',
      '!',
      '?',
      '"',
      'a',
      'Z',
      'é',
      'e',
      '\u0301',
      '\u0338',
      '李',
      '\ud835\udc00', // MATHEMATICAL BOLD CAPITAL A, a letter outside the BMP
      '\ud835', // a lone high surrogate
      '\u0000',
      '\r',
      '\n',
      '\u200b',
      '\u202e',
      '\u200d',
      '=',
      ' ',
    ),
    maxLength: 40,
  });

  it('is idempotent and safe on text built from the characters that meet at removals', () => {
    fc.assert(
      fc.property(wideText, (s) => {
        const out = sanitizeInput(s);
        return !OPENS_MARKUP.test(out) && !out.includes('"') && sanitizeInput(out) === out;
      }),
      { numRuns: runs(20_000) },
    );
  });

  it('runs the scan again when the last NFC composes a new tag-like sequence (<-<\\0\u0338>)', () => {
    // The control keeps "<" and U+0338 apart for the first NFC; removing it lets the last NFC
    // compose "<-≮>", a tag-like sequence, which the second scan removes.
    expect(sanitizeInput('<-<\u0000\u0338>')).toBe('');
    expect(sanitizeInput('a<\u0000\u0338b')).toBe('a\u226eb');
  });

  it('falls back to removing every "<" when the rounds run out, and the result is a fixed point', () => {
    const out = sanitizeText('<-<\u0000\u0338> x < 5', 0);
    expect(out).toBe('-\u226e> x  5');
    expect(sanitizeInput(out)).toBe(out);
  });

  it('removes zero-width, bidi and other invisible format characters', () => {
    const invisible = [
      '\u00ad',
      '\u061c',
      '\u115f',
      '\u1160',
      '\u17b4',
      '\u17b5',
      '\u200b',
      '\u200e',
      '\u200f',
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u202e',
      '\u2060',
      '\u2061',
      '\u2062',
      '\u2063',
      '\u2064',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u206a',
      '\u206f',
      '\u3164',
      '\ufeff',
      '\uffa0',
      '\ufff9',
      '\ufffa',
      '\ufffb',
      '\u{1bca0}',
      '\u{1bca3}',
      '\u{1d173}',
      '\u{1d17a}',
      '\u{e0001}',
    ];
    for (const c of invisible) expect([c, sanitizeInput(`A${c}n${c}n`)]).toEqual([c, 'Ann']);
    expect(sanitizeInput('\u200b\u202e')).toBe('');
    // a hidden "<" cannot hide a tag either
    expect(sanitizeInput('<\u200bscript>x')).toBe('x');
  });

  it('keeps the joiners and selectors that text needs (ZWJ emoji, ZWNJ, flags, variation selectors)', () => {
    for (const kept of [
      '👩\u200d⚕\ufe0f', // health worker: ZWJ sequence with VS16
      'می\u200cخواهم', // Persian with ZWNJ
      '🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}', // Scotland: tag characters
      '葛\u{e0100}', // ideographic variation selector
      'ᠠ\u180b', // Mongolian free variation selector
    ])
      expect(sanitizeInput(kept)).toBe(kept);
  });

  it('hasVisibleText: false for empty, whitespace, invisible-only and mark-only text', () => {
    for (const blank of [
      '',
      ' \t\n',
      '\u200d',
      '\u200c\ufe0f',
      '\u0301',
      '\u3000\u00a0',
      '\u2800',
      '\u3164',
    ])
      expect([blank, hasVisibleText(blank)]).toEqual([blank, false]);
    for (const name of ["O'Brien", 'José', '李', '.', '👩\u200d⚕\ufe0f', 'محمد'])
      expect([name, hasVisibleText(name)]).toEqual([name, true]);
    expect(hasVisibleText(42)).toBe(false);
    // what a name made only of U+200B and U+202E becomes: nothing visible
    expect(hasVisibleText(sanitizeInput('\u200b\u202e\u200b'))).toBe(false);
  });

  it(`refuses input longer than ${DEFAULT_MAX_INPUT_LENGTH} code units with RESIL_SANITIZE_TOO_LONG, before any work`, () => {
    expect(sanitizeInput('a'.repeat(DEFAULT_MAX_INPUT_LENGTH))).toHaveLength(
      DEFAULT_MAX_INPUT_LENGTH,
    );
    const secret = `Jane Patient ${'<'.repeat(DEFAULT_MAX_INPUT_LENGTH)}`;
    let caught: unknown;
    try {
      sanitizeInput(secret);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SanitizeError);
    expect(isSanitizeError(caught)).toBe(true);
    expect(caught).toMatchObject({
      name: 'SanitizeError',
      code: 'RESIL_SANITIZE_TOO_LONG',
      limit: DEFAULT_MAX_INPUT_LENGTH,
    });
    expect((caught as Error).message).not.toContain('Jane');
    expect(isSanitizeError(new Error('x'))).toBe(false);
    expect(isSanitizeError({ code: 'RESIL_SANITIZE_TOO_LONG' })).toBe(true); // by code: two copies agree
  });

  it('createSanitizer: another cap, Infinity for none; bad options named', () => {
    expect(() => createSanitizer({ maxLength: 3 })('abcd')).toThrow(SanitizeError);
    expect(() => createSanitizer({ maxLength: 4 })('<b>abcd')).toThrow(SanitizeError); // the cap is on the input
    expect(createSanitizer({ maxLength: 4 })('a<b>')).toBe('a');
    expect(
      createSanitizer({ maxLength: Number.POSITIVE_INFINITY })('x'.repeat(200_000)),
    ).toHaveLength(200_000);
    expect(() => createSanitizer({ maxLength: 0 })).toThrow(RangeError);
    expect(() => createSanitizer({ maxLength: 1.5 })).toThrow(/maxLength/);
    expect(() => createSanitizer({ maxLen: 3 } as never)).toThrow(/unknown option "maxLen"/);
    expect(() => createSanitizer({ maxLength: 3 })(3 as never)).toThrow(TypeError);
  });
});

describe('sanitizeUrl', () => {
  it('keeps http(s), mailto and tel URLs', () => {
    expect(sanitizeUrl('https://example.org/a?b=c')).toBe('https://example.org/a?b=c');
    expect(sanitizeUrl('mailto:jane@example.org')).toBe('mailto:jane@example.org');
    expect(sanitizeUrl('tel:+6421000000')).toBe('tel:+6421000000');
  });
  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'java\tscript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    '&#106;avascript:alert(1)',
    '/relative/path',
    'not a url',
  ])('refuses %j', (u) => {
    expect(sanitizeUrl(u)).toBeUndefined();
  });
});

/** The full path, without the plain-ASCII shortcut: NFC, scan, NFC until a fixed point. */
function fullPath(value: string): string {
  let s = scan(value.normalize('NFC'));
  for (let round = 0; ; round++) {
    const composed = s.normalize('NFC');
    if (composed === s) return s;
    if (round >= 3) return composed.replaceAll('<', '').normalize('NFC');
    s = scan(composed);
  }
}

/**
 * sanitizeText returns plain printable ASCII (no `"`, no `<`, tab and LF the only controls)
 * unchanged without the NFC passes and the scan. It must decide exactly as the full path: every
 * code unit at the shortcut's edges, alone and inside ordinary text, gives the full path's result.
 */
describe('sanitizeText: the plain-ASCII shortcut', () => {
  const units = [...Array(0x100).keys(), 0x300, 0x2028, 0x200b, 0xd800, 0xdc00, 0xfeff, 0xffff];

  it('gives the full path result for every code unit up to U+00FF and the special ones', () => {
    for (const u of units) {
      const c = String.fromCharCode(u);
      for (const s of [c, `a${c}b`, `${c}${c}`, `<b${c}>x`, `Name ${c}`, `${c}\u0301`])
        expect([u, s, sanitizeText(s)]).toEqual([u, s, fullPath(s)]);
    }
  });

  it('changes what it must at the edges: DEL, CR, ", <, C0 controls', () => {
    expect(sanitizeInput('a\u007fb')).toBe('ab');
    expect(sanitizeInput('a\rb')).toBe('a\nb');
    expect(sanitizeInput('a"b')).toBe('a\u201db');
    expect(sanitizeInput('a<b>c')).toBe('ac');
    expect(sanitizeInput('a\u001fb\u0000')).toBe('ab');
    expect(sanitizeInput('\t~ !#&>\n')).toBe('\t~ !#&>\n');
  });

  it('skips the NFC passes for plain ASCII, and only for it', () => {
    const normalize = jest.spyOn(String.prototype, 'normalize');
    try {
      expect(sanitizeInput("St. Mary's General, 6411 Fannin St\t~\n")).toBe(
        "St. Mary's General, 6411 Fannin St\t~\n",
      );
      expect(sanitizeInput('')).toBe('');
      expect(normalize).not.toHaveBeenCalled();
      for (const s of ['a\u007f', 'a"', 'a<', 'a\r', 'a\u001f', '\u00e9']) {
        normalize.mockClear();
        sanitizeInput(s);
        expect([s, normalize.mock.calls.length > 0]).toEqual([s, true]);
      }
    } finally {
      normalize.mockRestore();
    }
  });
});
