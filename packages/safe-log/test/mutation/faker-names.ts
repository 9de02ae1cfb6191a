// @faker-js/faker for mutation runs only (jest.mutation.config.cjs maps `@faker-js/faker` here):
// names-regressions.test.ts reads faker's given names and surnames of NAME_LOCALES, and loading
// faker with all its locales takes about 1 s, once per mutant run. This module gives
// `allLocales[locale].person.{first_name,last_name}` for those locales, as faker has them, from a
// JSON file in the OS temporary folder written by the first run (keyed by faker's version and the
// locales). mutation-stand-ins.test.ts checks it equals faker's. Outside Stryker nothing maps here.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NAME_LOCALES } from './name-locales';

type Person = { first_name?: unknown; last_name?: unknown };
type Locales = Record<string, { person?: Person }>;

// By path, not the package name, so the moduleNameMapper entry does not map it back here
// (node_modules is the root's, symlinked into Stryker's sandbox).
const root = path.join(__dirname, '..', '..', '..', '..', 'node_modules', '@faker-js', 'faker');
const version = (
  JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
const key = createHash('sha256')
  .update(`${version}\n${NAME_LOCALES.join(',')}`)
  .digest('hex');
const file = path.join(os.tmpdir(), `resil-safe-log-faker-names-${key.slice(0, 16)}.json`);

function fromFaker(): Locales {
  const real = require(path.join(root, 'dist', 'index.js')) as { allLocales: Locales };
  const out: Locales = {};
  for (const locale of NAME_LOCALES) {
    const person = real.allLocales[locale]?.person;
    out[locale] = { person: { first_name: person?.first_name, last_name: person?.last_name } };
  }
  return out;
}

function load(): Locales {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Locales;
  } catch {
    const names = fromFaker();
    // Written whole then renamed: two test runners may build it at once.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(names));
    fs.renameSync(tmp, file);
    return names;
  }
}

export const allLocales: Locales = load();
