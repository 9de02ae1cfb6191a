// eval/corpus.ts for mutation runs only (jest.mutation.config.cjs maps `../../eval/corpus` here):
// names-regressions.test.ts, the one file of the mutation suite that imports the corpus, takes only
// NAME_LOCALES from it, but loading the corpus loads @faker-js/faker with all its locales (about
// 1 s per mutant run). The same list, read from the text of eval/corpus.ts; mutation-stand-ins.test.ts
// checks it equals the real one. Outside Stryker nothing maps here.
import fs from 'node:fs';
import path from 'node:path';

const text = fs.readFileSync(path.join(__dirname, '..', '..', 'eval', 'corpus.ts'), 'utf8');
const list = /export const NAME_LOCALES = \[([^\]]*)\] as const;/.exec(text)?.[1];
const locales = [...(list ?? '').replace(/\/\/.*$/gm, '').matchAll(/'([A-Za-z_]+)'/g)].map(
  (m) => m[1] as string,
);
// A change of that declaration's form must fail the mutation suite, not run it on fewer locales.
if (locales.length < 10)
  throw new Error('test/mutation/name-locales.ts: NAME_LOCALES not found in eval/corpus.ts');

export const NAME_LOCALES: readonly string[] = locales;
