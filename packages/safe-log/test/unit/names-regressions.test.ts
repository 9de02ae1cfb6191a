import { redact } from '../../src';

// Misses found by the fast-check name property (test/unit/properties.test.ts) and by reading the
// label scan: each case failed before the fix in src/internal/names.ts.
describe('names after labels: regressions', () => {
  it.each([
    ['a month used as a given name', 'Patient August Żebrowski admitted', ['August', 'Żebrowski']],
    ['"May" as a given name', 'Patient May Raynor admitted', ['May', 'Raynor']],
    ['a short name that is also a common word', 'Patient An Bình Hoàng admitted', ['An', 'Bình']],
    ['a name with a turned-comma apostrophe', 'Patient To‘lqin Bakhtiyorova admitted', ['To‘lqin']],
    [
      'a label whose words hold no name, then another label',
      'Patient seen by Dr. Smith',
      ['Smith'],
    ],
  ])('%s', (_why, text, parts) => {
    const out = redact(text) as string;
    for (const p of parts) expect(out).not.toContain(p);
    expect(out).toContain('[REDACTED:name]');
  });

  it.each([
    'admitted May 12 to Mercy Hospital',
    'Patient is stable',
    "transferred to St. Mary's General Hospital",
    'Patient The patient refused',
  ])('keeps %j', (text) => {
    expect(redact(text)).toBe(text);
  });
});
