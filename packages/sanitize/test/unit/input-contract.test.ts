import {
  createSanitizer,
  DEFAULT_MAX_INPUT_LENGTH,
  DOUBLE_QUOTE_REPLACEMENT,
  SanitizeError,
  sanitizeInput,
  sanitizeUrl,
} from '../../src';
import { sanitizeText } from '../../src/input';

describe('createSanitizer', () => {
  it.each([
    [null, TypeError, 'createSanitizer: options must be an object'],
    ['x', TypeError, 'createSanitizer: options must be an object'],
    [{ maxLen: 3 }, TypeError, 'createSanitizer: unknown option "maxLen"'],
    [{ maxLength: '3' }, TypeError, 'createSanitizer: maxLength must be an integer >= 1'],
    [{ maxLength: 0 }, RangeError, 'createSanitizer: maxLength must be an integer >= 1'],
    [{ maxLength: -1 }, RangeError, 'createSanitizer: maxLength must be an integer >= 1'],
    [{ maxLength: 2.5 }, RangeError, 'createSanitizer: maxLength must be an integer >= 1'],
    [
      { maxLength: Number.NEGATIVE_INFINITY },
      RangeError,
      'createSanitizer: maxLength must be an integer >= 1',
    ],
    [{ maxLength: Number.NaN }, RangeError, 'createSanitizer: maxLength must be an integer >= 1'],
  ])('refuses %j: %p %s', (options, kind, message) => {
    expect(() => createSanitizer(options as never)).toThrow(kind);
    expect(() => createSanitizer(options as never)).toThrow(message);
  });

  it('maxLength 1 accepts one code unit and refuses two, naming the limit but not the input', () => {
    const one = createSanitizer({ maxLength: 1 });
    expect(one('a')).toBe('a');
    expect(one('"')).toBe(DOUBLE_QUOTE_REPLACEMENT);
    let caught: unknown;
    try {
      one('Jo');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SanitizeError);
    expect(caught).toMatchObject({
      code: 'RESIL_SANITIZE_TOO_LONG',
      limit: 1,
      message: 'sanitizeInput: input longer than 1 characters is not accepted',
    });
  });

  it('without options, caps at DEFAULT_MAX_INPUT_LENGTH (100,000)', () => {
    expect(DEFAULT_MAX_INPUT_LENGTH).toBe(100_000);
    const dflt = createSanitizer();
    expect(dflt('x'.repeat(100_000))).toHaveLength(100_000);
    expect(() => dflt('x'.repeat(100_001))).toThrow(
      'sanitizeInput: input longer than 100000 characters is not accepted',
    );
    expect(() => createSanitizer({})('x'.repeat(100_001))).toThrow(SanitizeError);
    expect(() => createSanitizer({ maxLength: undefined })('x'.repeat(100_001))).toThrow(
      SanitizeError,
    );
  });

  it('the sanitiser it returns refuses a non-string with a TypeError naming value', () => {
    expect(() => createSanitizer()(undefined as never)).toThrow(
      new TypeError('sanitizeInput: value must be a string'),
    );
    expect(() => sanitizeInput(null as never)).toThrow('sanitizeInput: value must be a string');
  });
});

describe('sanitizeText', () => {
  it('returns at once when the scan leaves an NFC fixed point, and runs again only as needed', () => {
    expect(sanitizeText('e\u0301')).toBe('\u00e9');
    expect(sanitizeText('<-<\u0000\u0338>')).toBe('');
    // with one extra round allowed, the found input still needs only one
    expect(sanitizeText('<-<\u0000\u0338>', 1)).toBe('');
    // with none, the fallback removes every "<" and normalises once more
    expect(sanitizeText('a<\u0000\u0338<b', 0)).toBe('a\u226eb');
    expect(sanitizeText('<e\u0000\u0301>', 0)).toBe('');
    // a text the scan leaves alone is returned as is, even with no extra round allowed
    expect(sanitizeText('a < 5', 0)).toBe('a < 5');
  });

  it('normalises again after the extra scan: "e<-<\\0\u0338>\u0301" needs a second NFC', () => {
    // scan 1 drops the NUL; NFC composes "<" + U+0338 into "≮", which makes "<-≮>" tag-like;
    // scan 2 removes it, which puts U+0301 after "e"; the next NFC composes "é"
    expect(sanitizeText('e<-<\u0000\u0338>\u0301')).toBe('\u00e9');
    // with one extra round allowed, the second NFC change triggers the fallback (the "<" of
    // "a < 5" goes too); with more rounds, the scan would have kept it
    expect(sanitizeText('a < 5 e<-<\u0000\u0338>\u0301', 1)).toBe('a  5 \u00e9');
    expect(sanitizeText('a < 5 e<-<\u0000\u0338>\u0301', 2)).toBe('a < 5 \u00e9');
  });
});

describe('sanitizeUrl', () => {
  it('returns the normalised href', () => {
    expect(sanitizeUrl('HTTPS://Example.ORG')).toBe('https://example.org/');
    expect(sanitizeUrl('https://a.org/"')).toBe('https://a.org/%22');
  });

  it('trims whitespace that the URL parser would not (NBSP, line separator)', () => {
    expect(sanitizeUrl('\u00a0https://example.org/\u2028')).toBe('https://example.org/');
  });

  it('refuses a non-string', () => {
    expect(sanitizeUrl(42 as never)).toBeUndefined();
    expect(sanitizeUrl(undefined as never)).toBeUndefined();
    expect(sanitizeUrl(new String('https://example.org/') as never)).toBeUndefined();
  });

  it('refuses an href that still holds ", <, > or whitespace (opaque mailto: paths)', () => {
    expect(sanitizeUrl('mailto:"x"@a.org')).toBeUndefined();
    expect(sanitizeUrl('mailto:<x>@a.org')).toBeUndefined();
    expect(sanitizeUrl('mailto:x>@a.org')).toBeUndefined();
    expect(sanitizeUrl('mailto:a b@a.org')).toBeUndefined();
    expect(sanitizeUrl('mailto:a\tb@a.org')).toBe('mailto:ab@a.org'); // the parser drops tabs
  });

  it('schemes: names with or without the colon, in any case, replace the defaults', () => {
    expect(sanitizeUrl('ftp://a.org/', ['ftp'])).toBe('ftp://a.org/');
    expect(sanitizeUrl('ftp://a.org/', ['FTP:'])).toBe('ftp://a.org/');
    expect(sanitizeUrl('https://a.org/', ['ftp'])).toBeUndefined();
    expect(sanitizeUrl('ftp://a.org/')).toBeUndefined();
    expect(sanitizeUrl('http://a.org/')).toBe('http://a.org/');
    expect(sanitizeUrl('mailto:a@b.org', new Set(['mailto']))).toBe('mailto:a@b.org');
  });
});
