import { allLocales, Faker, type LocaleDefinition } from '@faker-js/faker';
import fc from 'fast-check';
import { NAME_LOCALES } from '../../eval/corpus';
import { redact } from '../../src';
import { AFTER_NAME, NAME_LABELS } from '../name-labels';

function fakerFor(locale: string, seed: number): Faker {
  const f = new Faker({
    locale: [
      (allLocales as unknown as Record<string, LocaleDefinition>)[locale] as LocaleDefinition,
      allLocales.en,
      allLocales.base,
    ],
  });
  f.seed(seed);
  return f;
}

function wordIn(word: string, text: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u').test(text);
}

describe('properties (fast-check)', () => {
  it('a name of any of 45 locales after a label or context word never reaches the output', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAME_LOCALES),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(...NAME_LABELS),
        fc.constantFrom(...AFTER_NAME),
        fc.boolean(),
        (locale, seed, label, after, full) => {
          const f = fakerFor(locale, seed);
          const given = f.person.firstName();
          const family = f.person.lastName();
          const name = full ? `${given} ${family}` : family;
          const out = redact(`${label} ${name}${after}`);
          for (const part of name.split(/\s+/))
            if (part.length >= 2 && !/^\p{Ll}/u.test(part)) expect(wordIn(part, out)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  const field = fc.stringMatching(/^[A-Z][a-z0-9]{5,11}$/).map((s) => `Q${s}`);

  it('every field of an HL7 v2 PID / NK1 / IN1 segment (past the set id) is redacted, whatever it holds and however segments are separated', () => {
    fc.assert(
      fc.property(
        fc.array(field, { minLength: 4, maxLength: 12 }),
        fc.array(field, { minLength: 2, maxLength: 6 }),
        fc.constantFrom('\r', '\n', '\r\n'),
        fc.constantFrom('PID', 'NK1', 'IN1', 'GT1'),
        fc.boolean(),
        (pid, nk1, sep, segment, inMessage) => {
          const msg = [
            'MSH|^~\\&|EPIC|GENHOSP|LAB|LAB|202401010000||ADT^A01|MSG1|P|2.5.1',
            `${segment}|1|${pid.join('|')}`,
            `NK1|1|${nk1.map((v, i) => (i % 2 ? `${v}^${v}` : v)).join('|')}`,
            'OBX|1|NM|2345-7^Glucose^LN||95|mg/dL',
          ].join(sep);
          const out = JSON.stringify(redact(inMessage ? `received ${msg}` : { hl7: msg }));
          for (const v of [...pid, ...nk1]) expect(out).not.toContain(v);
          expect(out).toContain('ADT^A01');
          expect(out).toContain('2345-7^Glucose^LN');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a FHIR Patient, RelatedPerson or Practitioner at any depth, as an object or JSON text, never leaks its identifying elements', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Patient', 'RelatedPerson', 'Practitioner'),
        field,
        field,
        field,
        field,
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom('object', 'array', 'json'),
        (type, family, given, phone, mrn, depth, form) => {
          const resource = {
            resourceType: type,
            name: [{ family, given: [given] }],
            telecom: [{ system: 'phone', value: phone }],
            identifier: [{ value: mrn }],
            birthDate: '1970-01-01',
            gender: 'unknown',
          };
          let value: unknown = resource;
          for (let i = 0; i < depth; i++) value = form === 'array' ? [value] : { entry: value };
          const input = form === 'json' ? `stored: ${JSON.stringify(value)}` : value;
          const out = JSON.stringify(redact(input));
          for (const v of [family, given, phone, mrn, '1970-01-01']) expect(out).not.toContain(v);
          expect(out).toContain(type);
        },
      ),
      { numRuns: 200 },
    );
  });
});
