import { buildCorpus } from '../../eval/corpus';
import { score } from '../../eval/score';

const pct = (t: { hit: number; total: number }) => (100 * t.hit) / t.total;

describe('evaluation corpus (eval/corpus.ts, 2,400 generated records)', () => {
  const s = score(buildCorpus());

  it('holds at least 1,500 records and every identifier kind and record shape', () => {
    expect(s.records).toBeGreaterThanOrEqual(1500);
    expect(s.recallByKind.size).toBeGreaterThanOrEqual(19);
    expect(s.recallByShape.size).toBe(7);
  });

  it('meets the goals of issue #17: recall >= 98 %, names >= 92 %, keep >= 98 %', () => {
    expect(pct(s.recall)).toBeGreaterThanOrEqual(98);
    expect(
      pct({ hit: s.names.hit + s.namesHeldOut.hit, total: s.names.total + s.namesHeldOut.total }),
    ).toBeGreaterThanOrEqual(92);
    expect(pct(s.keep)).toBeGreaterThanOrEqual(98);
  });

  it('removes >= 99 % of every structured kind and >= 95 % in every record shape', () => {
    for (const [kind, t] of s.recallByKind)
      if (kind !== 'name') expect([kind, pct(t) >= 99]).toEqual([kind, true]);
    for (const [shape, t] of s.recallByShape) expect([shape, pct(t) >= 95]).toEqual([shape, true]);
  });

  it('keeps >= 98 % of every kind of string that must survive', () => {
    for (const [kind, t] of s.keepByKind) expect([kind, pct(t) >= 98]).toEqual([kind, true]);
  });
});
