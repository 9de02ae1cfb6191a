import { createRedactor, redact } from '../../src';
import { NAMES_FILES, readNames } from '../../src/internal/names';

// Defects found by reading the code and the evaluation (issue #17): each test failed before its fix.

describe('maxStringLength below 256', () => {
  it('never cuts at a negative index: a word longer than the limit is dropped whole', () => {
    const r = createRedactor({ maxStringLength: 100 });
    // before: the cut walked back past the start (text[-1] is undefined, "undefined" is a word)
    // and slice(0, negative) kept the head of the word with a count larger than the string
    expect(r.string('x'.repeat(200))).toBe('…[Truncated 200 chars]');
    expect(r.string(`${'a'.repeat(90)} ${'b'.repeat(30)}`)).toBe(
      `${'a'.repeat(90)} …[Truncated 30 chars]`,
    );
    const secret = `id${'7'.repeat(150)}`;
    const out = r.string(secret);
    expect(out).not.toContain('7');
    expect(out).toBe(`…[Truncated ${secret.length} chars]`);
  });

  it('writes at most maxStringLength characters of the input, for every limit from 64 up', () => {
    for (const limit of [64, 65, 100, 255, 256, 257, 300]) {
      const r = createRedactor({ maxStringLength: limit });
      for (const len of [limit + 1, limit + 50, 2 * limit, 1000]) {
        const out = r.string('q'.repeat(len));
        const m = /^(q*)…\[Truncated (\d+) chars\]$/.exec(out);
        expect(m).not.toBeNull();
        const kept = (m?.[1] ?? '').length;
        expect(kept).toBeGreaterThanOrEqual(0);
        expect(kept).toBeLessThanOrEqual(limit);
        expect(kept + Number(m?.[2])).toBe(len);
      }
    }
  });
});

describe('names: initials between a label and the surname', () => {
  it.each([
    ['Patient A. Smith was admitted', ['Smith']],
    ['Patient A. B. Smith was admitted', ['Smith']],
    ['Patient A.B. Smith was admitted', ['Smith']],
    ['Patient A.Smith was admitted', ['Smith']],
    ['Patient A. May was admitted', ['May']],
    ['Patient A. van der Berg was admitted', ['Berg']],
    ['seen by J. R. Okafor today', ['Okafor']],
    ['Dear A. Nguyen,', ['Nguyen']],
  ])('%s', (text, gone) => {
    const out = redact(text) as string;
    for (const g of gone) expect(out).not.toContain(g);
    expect(out).toContain('[REDACTED:name]');
  });

  it('an initial alone, or before an ordinary word, is not a name', () => {
    expect(redact('Patient A. The chart was updated')).toBe('Patient A. The chart was updated');
    expect(redact('Vitamin D. Levels normal')).toBe('Vitamin D. Levels normal');
  });
});

describe('HL7 segment boundaries are not labels', () => {
  it('"mg/dL" at the end of an OBX segment is a unit, not a driver licence label', () => {
    const msg = 'OBX|1|NM|2345-7^Glucose^LN||95|mg/dL\rPV1|1|I';
    expect(redact(msg)).not.toContain('[REDACTED:licence]');
    expect(redact(msg)).toContain('PV1|1|I');
  });

  it('a unit before a number is not a licence label either', () => {
    expect(redact('glucose 95 mg/dL 120 min after meal')).toBe(
      'glucose 95 mg/dL 120 min after meal',
    );
  });

  it('a licence label still takes its number on the same line', () => {
    expect(redact('DL: D1234567')).toBe('DL: [REDACTED:licence]');
    expect(redact("driver's licence D1234567")).toContain('[REDACTED:licence]');
  });
});

describe('MAC and IPv6 addresses without a digit', () => {
  it.each([
    ['device mac ab:cd:ef:ab:cd:ef seen', 'ab:cd:ef'],
    ['mac AB-CD-EF-AB-CD-EF', 'AB-CD-EF'],
    ['client abcd:ef::beef connected', 'beef'],
    ['peer abcd:beef:cafe:dead:face:fade:bead:deaf', 'deaf'],
  ])('%s', (text, gone) => {
    expect(redact(text)).not.toContain(gone);
  });

  it('in a nested object as well', () => {
    expect(JSON.stringify(redact({ note: 'from aa:bb:cc:dd:ee:ff' }))).not.toContain('aa:bb');
  });
});

describe('the names dictionary file', () => {
  it('is read from src/data/names.txt: given names, surnames, places', () => {
    const [given, surnames, places] = readNames();
    expect(given.split(' ')).toContain('aaditya');
    expect(surnames.split(' ').length).toBeGreaterThan(10_000);
    expect(places.split(' ')).toContain('helena');
    expect(NAMES_FILES[0]).toMatch(/src[\\/]data[\\/]names\.txt$/);
  });

  it('a missing file is a typed error, not a silent loss of the name rules', () => {
    expect(() => readNames(['/nonexistent/names.txt'])).toThrow(
      expect.objectContaining({ code: 'ERR_SAFE_LOG_NAMES_MISSING' }),
    );
  });
});
