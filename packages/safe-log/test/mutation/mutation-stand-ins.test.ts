// The stand-ins that jest.mutation.config.cjs maps in for mutation runs give the same data as the
// modules they replace (this file runs in `npx jest`, with nothing mapped).
import { allLocales as fakerLocales } from '@faker-js/faker';
import { NAME_LOCALES as corpusLocales } from '../../eval/corpus';
import { allLocales } from './faker-names';
import { NAME_LOCALES } from './name-locales';

describe('stand-ins of the mutation suite', () => {
  it('name-locales.ts: the NAME_LOCALES of eval/corpus.ts, in order', () => {
    expect(NAME_LOCALES).toEqual([...corpusLocales]);
  });

  it("faker-names.ts: faker's given names and surnames of every one of them", () => {
    const real = fakerLocales as unknown as Record<
      string,
      { person?: { first_name?: unknown; last_name?: unknown } }
    >;
    expect(Object.keys(allLocales)).toEqual([...corpusLocales]);
    for (const locale of corpusLocales) {
      const person = real[locale]?.person;
      expect(allLocales[locale]?.person?.first_name).toEqual(person?.first_name);
      expect(allLocales[locale]?.person?.last_name).toEqual(person?.last_name);
    }
  });
});
