import fc from 'fast-check';
import { DOUBLE_QUOTE_REPLACEMENT, sanitizeInput, sanitizeUrl } from '../../src';
import { ATTACKS, BENIGN } from '../attacks';

const OPENS_MARKUP = /<[\p{L}/!?]/u;

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
      fc.string({ unit: 'binary', maxLength: 60 }),
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
        expect(out).not.toMatch(OPENS_MARKUP);
        expect(out).not.toContain('"');
        expect(sanitizeInput(out)).toBe(out);
      }),
      { numRuns: 3000 },
    );
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
