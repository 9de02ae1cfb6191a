import { isInvisible, scan } from '../../src/internal/scan';

/**
 * The scanner behind sanitizeInput, pinned at the edges of each rule: the code-unit ranges of
 * controls, tag starts, markup openers, surrogate pairs and invisible characters, and the
 * decisions a `>` or the end of the text makes about the pending `<`.
 */
describe('scan', () => {
  it('removes C0 controls, DEL and C1, keeps tab, LF, space, ~ and NBSP', () => {
    expect(scan('a\u0000\u0008\u000b\u001f\u007f\u0080\u009fb')).toBe('ab');
    expect(scan('\t\n \u007e\u00a0')).toBe('\t\n \u007e\u00a0');
  });

  it('turns CR and CRLF into one LF each', () => {
    expect(scan('\r')).toBe('\n');
    expect(scan('\r\r\n')).toBe('\n\n');
    expect(scan('a\r\n\nb')).toBe('a\n\nb');
  });

  it.each([
    ['<ax>'],
    ['<zx>'],
    ['<Ax>'],
    ['<Zx>'],
    ['<!x>'],
    ['<?x>'],
    ['<-x>'],
    ['<->'],
    ['</a>'],
    ['</Z>'],
    ['</!>'],
    ['</?>'],
    ['</->'],
    ['<a\r\nb>'],
  ])('removes the tag-like sequence %j whole', (s) => {
    expect(scan(s)).toBe('');
  });

  it.each([
    ['<@x>', '<@x>'],
    ['<[x>', '<[x>'],
    ['<`x>', '<`x>'],
    ['<{x>', '<{x>'],
    ['<1a>', '<1a>'],
    ['< a>', '< a>'],
    ['<>', '<>'],
    ['</@>', '/@>'],
    ['</[>', '/[>'],
    ['</`>', '/`>'],
    ['</{>', '/{>'],
    ['</>', '/>'],
    ['</1>', '/1>'],
  ])('keeps %j as text (only a markup opener "<" goes): %j', (s, out) => {
    expect(scan(s)).toBe(out);
  });

  it.each([
    ['<', '<'],
    ['a<', 'a<'],
    ['<a', 'a'],
    ['</', '/'],
    ['<!', '!'],
    ['<?', '?'],
    ['<-', '<-'],
    ['<1', '<1'],
    ['<é', 'é'],
    ['<ª>', 'ª>'],
    ['<é>', 'é>'],
    ['<\u00a0x>', '<\u00a0x>'],
    ['<\u0301', '<\u0301'],
  ])('at the end of the text, decides the pending "<" of %j: %j', (s, out) => {
    expect(scan(s)).toBe(out);
  });

  it('reads a letter outside the BMP from its surrogate pair, also at the edges of the ranges', () => {
    expect(scan('<\ud800\udc00')).toBe('\ud800\udc00'); // U+10000 LINEAR B SYLLABLE B008 A
    expect(scan('<\ud840\udfff')).toBe('\ud840\udfff'); // U+203FF, a CJK ideograph
    expect(scan('<\ud835\udc00x>')).toBe('\ud835\udc00x>'); // U+1D400, opener removed
    expect(scan('<\ud835\udfff')).toBe('<\ud835\udfff'); // U+1D7FF, a digit: not an opener
  });

  it('a lone surrogate after "<" is not a letter, and lone surrogates are kept', () => {
    expect(scan('<\ud835x>')).toBe('<\ud835x>');
    expect(scan('<\udc00x>')).toBe('<\udc00x>');
    expect(scan('a\ud835')).toBe('a\ud835');
    expect(scan('a\ud835b\udc00')).toBe('a\ud835b\udc00');
  });

  it('removes invisible characters outside the BMP, keeps their neighbours', () => {
    expect(scan('a\u{e0001}b\u{1bca0}c\u{1d173}d')).toBe('abcd');
    expect(scan('\u{e0000}\u{e0002}\u{1bc9f}\u{1bca4}\u{1d172}\u{1d17b}')).toBe(
      '\u{e0000}\u{e0002}\u{1bc9f}\u{1bca4}\u{1d172}\u{1d17b}',
    );
  });

  it('replaces every " with U+201D', () => {
    expect(scan('"a""')).toBe('\u201da\u201d\u201d');
  });

  it('a ">" cuts the innermost tag-like sequence, and removal can uncover another', () => {
    expect(scan('<<b>b>')).toBe('');
    expect(scan('<<b>')).toBe('<');
    expect(scan('x<<<a>')).toBe('x<<');
    expect(scan('<a<b')).toBe('ab');
    expect(scan('<<a')).toBe('a');
  });

  it('openers removed between a ">" and a tag start let the tag-like sequence be cut', () => {
    expect(scan('<-<é>')).toBe('');
    expect(scan('<-<a')).toBe('<-a');
    expect(scan('<--<a>')).toBe('<--');
    expect(scan('<a-<é>>')).toBe('>');
    expect(scan('<-1<é>>')).toBe('>');
    expect(scan('x<-<é>>y')).toBe('x>y');
    expect(scan('<é-<a>')).toBe('é-');
    expect(scan('<1<a>>')).toBe('<1>');
  });

  it('a ">" that is not a tag end decides the pending "<" below the innermost', () => {
    expect(scan('<é<é>')).toBe('éé>');
    expect(scan('<<é>')).toBe('é>');
    expect(scan('<1<é>')).toBe('<1é>');
    expect(scan('<é<1>')).toBe('é<1>');
    expect(scan('<é<1>x<é')).toBe('é<1>xé');
  });

  it('decides every "<" of a run longer than the pending stack starts with', () => {
    const n = 5000; // beyond the initial 1024 slots of the pending stack
    // each removed opener makes the "<" before it an opener in turn
    expect(scan(`${'<'.repeat(n)}a`)).toBe('a');
    expect(scan(`${'<'.repeat(n)}1`)).toBe(`${'<'.repeat(n)}1`);
    expect(scan(`${'<'.repeat(n)}a>`)).toBe('<'.repeat(n - 1));
    expect(scan(`${'<é'.repeat(n)}>`)).toBe(`${'é'.repeat(n)}>`);
  });

  it('rebuilds long outputs exactly (several chunks of code units)', () => {
    const n = 20_000;
    expect(scan('"'.repeat(n))).toBe('\u201d'.repeat(n));
    const mixed = 'ab<b>c"\u0000'.repeat(3000);
    expect(scan(mixed)).toBe('abc\u201d'.repeat(3000));
  });

  it('returns its input when nothing is removed or replaced', () => {
    const s = 'x'.repeat(100);
    expect(scan(s)).toBe(s);
    expect(scan('')).toBe('');
  });
});

describe('isInvisible', () => {
  it.each([
    0xac, 0xae, 0x61b, 0x61d, 0x115e, 0x1161, 0x17b3, 0x17b6, 0x200a, 0x200c, 0x200d, 0x2010,
    0x2029, 0x202f, 0x205f, 0x2065, 0x2070, 0x3163, 0x3165, 0xfefe, 0xff9f, 0xffa1, 0xfff8, 0xfffc,
    0xffff, 0x10000, 0x1bc9f, 0x1bca4, 0x1d172, 0x1d17b, 0xe0000, 0xe0002,
  ])('U+%s next to an invisible range is visible', (cp) => {
    expect(isInvisible(cp)).toBe(false);
  });

  it.each([
    0xad, 0x61c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x200b, 0x200e, 0x200f, 0x202a, 0x202e, 0x2060,
    0x2064, 0x2066, 0x206f, 0x3164, 0xfeff, 0xffa0, 0xfff9, 0xfffb, 0x1bca0, 0x1bca3, 0x1d173,
    0x1d17a, 0xe0001,
  ])('U+%s is invisible', (cp) => {
    expect(isInvisible(cp)).toBe(true);
  });
});

describe('scan, surrogates after "<"', () => {
  it('combines only a high surrogate followed by a low one into a code point', () => {
    // a letter, or a low surrogate, before a low surrogate is not the start of a pair
    expect(scan('<é\udc00')).toBe('é\udc00');
    expect(scan('<\uf900\udc00>')).toBe('\uf900\udc00>'); // U+F900, a CJK compatibility ideograph
    expect(scan('<\udc00\udc00')).toBe('<\udc00\udc00');
    expect(scan('<\udbff\udfff')).toBe('<\udbff\udfff'); // U+10FFFF, a noncharacter
  });
});

describe('scan, memory of the pending "<" stack', () => {
  /** The sizes of the Int32Array stacks one scan allocates. */
  function stackSizes(s: string): number[] {
    const sizes: number[] = [];
    const Real = globalThis.Int32Array;
    class Counting extends Real {
      constructor(size: number) {
        super(size);
        sizes.push(size);
      }
    }
    globalThis.Int32Array = Counting as Int32ArrayConstructor;
    try {
      scan(s);
    } finally {
      globalThis.Int32Array = Real;
    }
    return sizes;
  }

  it('starts with at most 1024 slots, whatever the length of the text', () => {
    expect(stackSizes('x'.repeat(100_000))).toEqual([1024]);
    expect(stackSizes('<a<')).toEqual([3]);
  });

  it('doubles when full, capped at the length of the text (linear total work)', () => {
    expect(stackSizes('<'.repeat(5000))).toEqual([1024, 2048, 4096, 5000]);
    expect(stackSizes(`${'<'.repeat(2049)}a>`)).toEqual([1024, 2048, 2051]);
  });
});

describe('scan, what a decided "<" passes to the one before it', () => {
  it('a "<" kept as text is what follows the "<" before it, not what followed a removed one', () => {
    // "<a" goes (an opener), "<1" stays, so the first "<" is followed by a "<" and stays
    expect(scan('<<1<a')).toBe('<<1a');
    expect(scan('<<1<a>')).toBe('<<1');
  });

  it('a ">" reads what follows a removed opener as the next unit after the "<" before it', () => {
    // "</" then a removed "<é": "/" is followed by "é", not by the "a" after it
    expect(scan('</<éa>')).toBe('/éa>');
    // "<" then a removed "<" + a letter outside the BMP: the pair is read whole
    expect(scan('<<\ud835\udc00>')).toBe('\ud835\udc00>');
  });

  it('a ">" ends every pending "<": the stack does not grow across tags', () => {
    const sizes: number[] = [];
    const Real = globalThis.Int32Array;
    globalThis.Int32Array = class extends Real {
      constructor(size: number) {
        super(size);
        sizes.push(size);
      }
    } as Int32ArrayConstructor;
    try {
      expect(scan('<1>'.repeat(2000))).toBe('<1>'.repeat(2000));
    } finally {
      globalThis.Int32Array = Real;
    }
    expect(sizes).toEqual([1024]);
  });
});
