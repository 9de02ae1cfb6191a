import { sanitizeInput, sanitizeText } from '../../src/input';
import { scan } from '../../src/internal/scan';

/** The full path, without the plain-ASCII shortcut: NFC, scan, NFC until a fixed point. */
function reference(value: string): string {
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
        expect([u, s, sanitizeText(s)]).toEqual([u, s, reference(s)]);
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
