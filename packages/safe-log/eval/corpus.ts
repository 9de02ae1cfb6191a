/**
 * The evaluation corpus of @resil/safe-log, generated (never checked in as data): log records of
 * the shapes a hospital backend writes, each labelled with the identifiers it contains (`ids`)
 * and the strings that must survive (`keep`). Names and contact data come from @faker-js/faker
 * across many locales with a fixed seed, so the corpus is the same on every run; HL7 v2, FHIR,
 * driver-error and HTTP-client shapes are written by hand after the public examples and the
 * drivers' real formats.
 *
 * Names from HELD_OUT_LOCALES never enter the shipped name dictionary (scripts/build-names.ts),
 * so the scorer can report how the name rules do on names they have never seen.
 */
import { allLocales, Faker, type LocaleDefinition } from '@faker-js/faker';

export type Shape =
  | 'free text'
  | 'HL7 v2'
  | 'FHIR resource'
  | 'driver error'
  | 'HTTP client error'
  | 'error chain'
  | 'nested object';

export interface Label {
  readonly kind: string;
  readonly text: string;
}

export interface Sample {
  readonly id: number;
  readonly shape: Shape;
  readonly locale: string;
  /** How the record is logged: `logger[level](message, meta)`. */
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string | Error | Record<string, unknown>;
  readonly meta?: Record<string, unknown>;
  /** Identifiers that must not appear in the output. */
  readonly ids: Label[];
  /** Strings that must appear in the output unchanged. */
  readonly keep: Label[];
}

/** Locales with person names in a cased script (the name rules rely on capitals outside labels). */
export const NAME_LOCALES = [
  'en',
  'en_AU',
  'en_GB',
  'en_IN',
  'en_NG',
  'en_GH',
  'en_ZA',
  'de',
  'de_CH',
  'fr',
  'fr_CH',
  'fr_SN',
  'es',
  'es_MX',
  'it',
  'pt_BR',
  'pt_PT',
  'nl',
  'nl_BE',
  'pl',
  'cs_CZ',
  'sk',
  'ro',
  'hr',
  'sr_RS_latin',
  'tr',
  'sv',
  'da',
  'id_ID',
  'vi',
  'ru',
  'uk',
  'el',
  'eo',
  'uz_UZ_latin',
  'ku_kmr_latin',
  'az',
  // held out of the dictionary:
  'hu',
  'fi',
  'lv',
  'sl_SI',
  'nb_NO',
  'af_ZA',
  'yo_NG',
  'zu_ZA',
] as const;

/** Locales whose names are kept out of the shipped dictionary (generalisation check). */
export const HELD_OUT_LOCALES: ReadonlySet<string> = new Set([
  'hu',
  'fi',
  'lv',
  'sl_SI',
  'nb_NO',
  'af_ZA',
  'yo_NG',
  'zu_ZA',
]);

/** Locales whose names are written in scripts without capitals: only labels can find them. */
const UNCASED_LOCALES = ['zh_CN', 'ja', 'ko', 'ar', 'he', 'th'] as const;

const SEED = 20261202;
/** Dates are drawn relative to this day, not today, so the corpus never changes. */
const REF_DATE = new Date('2026-06-01T00:00:00Z');
const fakers = new Map<string, Faker>();
function fakerFor(locale: string): Faker {
  let f = fakers.get(locale);
  if (!f) {
    const defs = allLocales as unknown as Record<string, LocaleDefinition>;
    f = new Faker({
      locale: [defs[locale] as LocaleDefinition, allLocales.en, allLocales.base],
    });
    f.seed(SEED + fakers.size);
    f.setDefaultRefDate(REF_DATE);
    fakers.set(locale, f);
  }
  return f;
}

/** The driver of all random choices (names come from the locale's own faker). */
const rng = new Faker({ locale: [allLocales.en, allLocales.base] });

function pick<T>(items: readonly T[]): T {
  return rng.helpers.arrayElement(items as T[]);
}
function digits(n: number): string {
  return rng.string.numeric({ length: n, allowLeadingZeros: true });
}
function upper(n: number): string {
  return rng.string.alpha({ length: n, casing: 'upper' });
}
function alnum(n: number): string {
  return rng.string.alphanumeric({ length: n, casing: 'upper' });
}

/** A person: name parts become `name` labels (particles like "van" are not identifying alone). */
interface Person {
  given: string;
  family: string;
  full: string;
  labels: Label[];
}
function person(locale: string): Person {
  const f = fakerFor(locale);
  const given = f.person.firstName();
  const family = f.person.lastName();
  const labels: Label[] = [];
  for (const part of `${given} ${family}`.split(/[\s]+/)) {
    if (part.length >= 2 && !/^\p{Ll}/u.test(part)) labels.push({ kind: 'name', text: part });
  }
  return { given, family, full: `${given} ${family}`, labels };
}

// ----- identifiers of each kind, as text written in logs -----------------------------------

type Gen = () => { text: string; value: string; kind: string };

function luhnComplete(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function birthDate(): Date {
  return rng.date.birthdate({ min: 1, max: 95, mode: 'age' });
}
function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export const ID_KINDS: Record<string, Gen> = {
  ssn: () => {
    const v = `${rng.number.int({ min: 100, max: 665 })}-${digits(2).replace(/^00/, '12')}-${digits(4).replace(/^0000/, '1234')}`;
    const plain = v.replace(/-/g, '');
    return pick([
      { text: `SSN ${v}`, value: v, kind: 'ssn' },
      { text: `ssn: ${v}`, value: v, kind: 'ssn' },
      { text: `social security number ${plain}`, value: plain, kind: 'ssn' },
      { text: `SSN#${plain}`, value: plain, kind: 'ssn' },
    ]);
  },
  mrn: () => {
    const v = pick([
      `MRN-${digits(8)}`,
      `${digits(7)}`,
      `${upper(1)}${digits(7)}`,
      `${digits(2)}-${digits(3)}-${digits(3)}`,
    ]);
    const label = pick([
      'MRN',
      'MRN:',
      'mrn=',
      'medical record number',
      'Medical Record No.',
      'MR#',
      'chart no.',
      'chart number',
      'patient id',
      'Patient ID:',
      'hospital number',
    ]);
    return { text: v.startsWith('MRN-') ? v : `${label} ${v}`, value: v, kind: 'mrn' };
  },
  'health plan': () => {
    const v = pick([
      `${upper(3)}${digits(9)}`,
      `${upper(1)}${digits(8)}`,
      `${digits(1)}${upper(2)}${digits(1)}-${upper(2)}${digits(1)}-${upper(2)}${digits(2)}`,
      `${digits(6)}`,
      `${upper(2)}-${digits(7)}`,
    ]);
    const label = pick([
      'Member ID:',
      'member id',
      'policy number',
      'Policy #',
      'group no.',
      'Group Number:',
      'subscriber id',
      'Subscriber ID:',
      'health plan id',
      'beneficiary number',
      'Medicare MBI',
      'insurance id:',
      'Medicaid ID',
    ]);
    return { text: `${label} ${v}`, value: v, kind: 'health plan' };
  },
  account: () => {
    const v = pick([digits(10), `${digits(2)}-${digits(4)}-${digits(2)}`, `A${digits(8)}`]);
    const iban = rng.finance.iban();
    return pick([
      { text: `account number ${v}`, value: v, kind: 'account' },
      { text: `Acct# ${v}`, value: v, kind: 'account' },
      { text: `billing account: ${v}`, value: v, kind: 'account' },
      { text: `Account No. ${v}`, value: v, kind: 'account' },
      { text: `IBAN ${iban}`, value: iban, kind: 'account' },
    ]);
  },
  licence: () => {
    const v = pick([
      `${upper(1)}${digits(7)}`,
      `${upper(1)}${digits(3)}-${digits(4)}-${digits(4)}`,
      `RN-${digits(6)}`,
      `${upper(2)}${digits(7)}`,
      `C-${digits(5)}`,
    ]);
    const label = pick([
      "driver's license",
      'Driver License #',
      'DL#',
      'license no.',
      'licence number',
      'DEA number',
      'certificate number',
      'Certificate No:',
      'nursing license',
      'passport no.',
      'Passport:',
    ]);
    return { text: `${label} ${v}`, value: v, kind: 'licence' };
  },
  device: () => {
    const v = pick([
      `SN-${alnum(3)}-${digits(5)}`,
      `${alnum(8)}`,
      `PM${digits(4)}-${digits(4)}`,
      `DEV-${digits(5)}-${upper(1)}`,
      `${digits(15)}`,
    ]);
    const udi = `(01)${digits(14)}(17)${digits(6)}(10)${alnum(7)}(21)${digits(4)}`;
    return pick([
      { text: `device serial ${v}`, value: v, kind: 'device' },
      { text: `S/N: ${v}`, value: v, kind: 'device' },
      { text: `serial number ${v}`, value: v, kind: 'device' },
      { text: `pacemaker serial no. ${v}`, value: v, kind: 'device' },
      { text: `device id: ${v}`, value: v, kind: 'device' },
      { text: `IMEI ${digits(15)}`, value: '', kind: 'device' },
      { text: `UDI ${udi}`, value: udi, kind: 'device' },
    ]);
  },
  vehicle: () => {
    const vin = rng.vehicle.vin();
    const plate = pick([
      rng.vehicle.vrm(),
      `${digits(1)}${upper(3)}${digits(3)}`,
      `${upper(2)}-${digits(4)}`,
    ]);
    return pick([
      { text: `VIN ${vin}`, value: vin, kind: 'vehicle' },
      { text: `vin: ${vin}`, value: vin, kind: 'vehicle' },
      { text: `license plate ${plate}`, value: plate, kind: 'vehicle' },
      { text: `plate number: ${plate}`, value: plate, kind: 'vehicle' },
      { text: `Plate ${plate}`, value: plate, kind: 'vehicle' },
    ]);
  },
  biometric: () => {
    const v = pick([
      `FP-${digits(5)}-${upper(1)}`,
      `BIO${digits(7)}`,
      `${rng.string.hexadecimal({ length: 16, prefix: '' })}`,
      `VP-${digits(4)}`,
    ]);
    const label = pick([
      'fingerprint id',
      'fingerprint template',
      'biometric id:',
      'Biometric ID',
      'retina scan id',
      'voiceprint id',
      'face template id',
      'palm vein id',
    ]);
    return { text: `${label} ${v}`, value: v, kind: 'biometric' };
  },
  url: () => {
    const id = pick([digits(6), `${upper(1)}${digits(6)}`, rng.string.uuid()]);
    const host = pick(['portal.example.org', 'ehr.example.com', 'api.stmarys.example']);
    return pick([
      { text: `https://${host}/patients/${id}/labs`, value: id, kind: 'url' },
      { text: `GET /api/v1/patients/${id}`, value: id, kind: 'url' },
      { text: `/fhir/Patient/${id}`, value: id, kind: 'url' },
      { text: `https://${host}/members/${id}/claims`, value: id, kind: 'url' },
      { text: `https://${host}/chart?patientId=${id}`, value: id, kind: 'url' },
      { text: `PUT /v2/persons/${id}/address`, value: id, kind: 'url' },
    ]);
  },
  photo: () => {
    const who =
      rng.person
        .lastName()
        .toLowerCase()
        .replace(/[^a-z]/g, '') || 'pt';
    const v = pick([
      `IMG_${digits(8)}_${digits(4)}.jpg`,
      `${who}_headshot.png`,
      `patient-${digits(5)}-face.jpeg`,
      `photo_${digits(6)}.HEIC`,
      `${who}${digits(2)}.jpg`,
      `DSC${digits(5)}.JPG`,
    ]);
    return pick([
      { text: `uploaded photo ${v}`, value: v, kind: 'photo' },
      { text: `photo: ${v}`, value: v, kind: 'photo' },
      { text: `attachment ${v} stored`, value: v, kind: 'photo' },
    ]);
  },
  'birth date': () => {
    const d = birthDate();
    const y = d.getFullYear();
    const m = d.getMonth() + 1;
    const day = d.getDate();
    const v = pick([
      `${y}-${pad(m)}-${pad(day)}`,
      `${m}/${day}/${y}`,
      `${pad(m)}/${pad(day)}/${y}`,
      `${pad(day)}.${pad(m)}.${y}`,
      `${MONTHS[m - 1]} ${day}, ${y}`,
      `${day} ${(MONTHS[m - 1] as string).slice(0, 3)} ${y}`,
      `${y}${pad(m)}${pad(day)}`,
    ]);
    const label = pick(['DOB', 'DOB:', 'dob=', 'date of birth', 'born', 'Birth date:', 'b.']);
    return { text: `${label} ${v}`, value: v, kind: 'birth date' };
  },
  'written date': () => {
    const d = rng.date.past({ years: 40 });
    const y = d.getFullYear();
    const m = d.getMonth() + 1;
    const day = d.getDate();
    const mon = MONTHS[m - 1] as string;
    const v = pick([
      `${mon} ${day}, ${y}`,
      `${day} ${mon.slice(0, 3)} ${y}`,
      `${pad(day)}.${pad(m)}.${y}`,
      `${mon.slice(0, 3)} ${day} ${y}`,
      `${day}-${mon.slice(0, 3)}-${y}`,
      `${day} ${mon} ${y}`,
      `${mon.slice(0, 3)}. ${day}, ${y}`,
    ]);
    const ctx = pick([
      'admitted on',
      'discharged',
      'seen on',
      'surgery scheduled for',
      'last visit',
      'on',
    ]);
    return { text: `${ctx} ${v}`, value: v, kind: 'written date' };
  },
  age: () => {
    const a = rng.number.int({ min: 90, max: 109 });
    return pick([
      { text: `${a}-year-old`, value: `${a}-year-old`, kind: 'age' },
      { text: `age ${a}`, value: `age ${a}`, kind: 'age' },
      { text: `aged ${a}`, value: `aged ${a}`, kind: 'age' },
      { text: `${a} y/o`, value: `${a} y/o`, kind: 'age' },
      { text: `${a} years old`, value: `${a} years old`, kind: 'age' },
      { text: `Age: ${a}`, value: `Age: ${a}`, kind: 'age' },
      { text: `${a}yo`, value: `${a}yo`, kind: 'age' },
    ]);
  },
  email: () => {
    const v = rng.internet.email();
    return { text: pick([v, `<${v}>`, `email ${v}`]), value: v, kind: 'email' };
  },
  phone: () => {
    const f = fakerFor(pick(NAME_LOCALES));
    const v = pick([
      f.phone.number({ style: 'national' }),
      f.phone.number({ style: 'international' }),
      `(${digits(3)}) 555-${digits(4)}`,
      `${digits(3)}-555-${digits(4)}`,
    ]);
    const label = pick(['phone', 'tel:', 'call back on', 'mobile', 'Phone:', 'cell', 'fax']);
    return { text: `${label} ${v}`, value: v, kind: 'phone' };
  },
  address: () => {
    const v = `${rng.number.int({ min: 1, max: 9999 })} ${rng.location.street()}`;
    return { text: `lives at ${v}`, value: v, kind: 'address' };
  },
  ip: () => {
    const v = rng.internet.ipv4();
    return { text: `client ${v}`, value: v, kind: 'ip' };
  },
  card: () => {
    const v = luhnComplete(`4${digits(14)}`);
    return { text: `card ${v}`, value: v, kind: 'card' };
  },
};

/** Strings that must survive, by kind. */
export const KEEP_KINDS: Record<string, () => string> = {
  version: () =>
    pick([
      `${rng.number.int(9)}.${rng.number.int(20)}.${rng.number.int(30)}`,
      `v${rng.number.int(9)}.${rng.number.int(20)}.${rng.number.int(30)}`,
      `${rng.number.int(9)}.${rng.number.int(9)}.${rng.number.int(9)}-beta.${rng.number.int(9)}`,
      `20.${rng.number.int(19)}.${rng.number.int(9)}`,
      `v${rng.number.int(9)}.${rng.number.int(20)}`,
    ]),
  'ICD-10': () =>
    pick([
      'E11.9',
      'I10',
      'J45.909',
      'S72.001A',
      'Z79.4',
      'N18.3',
      'F32.A',
      'C50.911',
      'M54.5',
      'R07.9',
      'K21.0',
      'O80',
    ]),
  CPT: () => pick(['99213', '93000', '36415', '80053', '71046', '99284', '85025', '97110']),
  LOINC: () => pick(['2345-7', '4548-4', '718-7', '8480-6', '2160-0', '6690-2', '789-8', '2093-3']),
  amount: () =>
    pick([
      `$${rng.number.int({ min: 1, max: 9 })},${digits(3)}.${digits(2)}`,
      `$${rng.number.int({ min: 5, max: 999 })}.${digits(2)}`,
      `USD ${rng.number.int({ min: 10, max: 99999 })}.${digits(2)}`,
      `€${rng.number.int({ min: 10, max: 9999 })},${digits(2)}`,
      `${rng.number.int({ min: 100, max: 99999 })}.${digits(2)} EUR`,
    ]),
  duration: () =>
    pick([
      `${rng.number.int({ min: 1, max: 9999 })}ms`,
      `${rng.number.int({ min: 1, max: 99 })}.${rng.number.int(9)} s`,
      `${rng.number.int({ min: 1, max: 48 })}h`,
      `${rng.number.int({ min: 100, max: 99999 })} ms`,
      `PT${rng.number.int({ min: 1, max: 59 })}M`,
    ]),
  UUID: () => rng.string.uuid(),
  'hospital id': () =>
    pick([`h-${digits(6)}`, `HOSP-${digits(4)}`, `fac_${digits(5)}`, `org-${digits(4)}`]),
  timestamp: () => {
    const d = rng.date.recent({ days: 400 }).toISOString();
    return pick([d, d.replace(/\.\d+Z$/, 'Z'), d.replace('T', ' ').replace(/\.\d+Z$/, '')]);
  },
  facility: () =>
    pick([
      "St. Mary's General Hospital",
      'Mount Sinai',
      'Cedars-Sinai Medical Center',
      'Mayo Clinic',
      'Cleveland Clinic',
      "Boston Children's Hospital",
      'Massachusetts General Hospital',
      'Kaiser Permanente',
      'Houston Methodist',
      'St. Jude',
      'Royal London Hospital',
      'Charité',
      'Sunnybrook Health Sciences Centre',
      'Memorial Sloan Kettering',
    ]),
  word: () =>
    pick([
      'Cardiology',
      'Emergency Department',
      'Radiology',
      'Oncology',
      'Pediatrics',
      'Intensive Care Unit',
      'Monday',
      'Redis',
      'PostgreSQL',
      'HospitalApiClient',
      'Discharge Summary',
      'Pharmacy',
      'Registration',
      'Billing',
    ]),
  'request id': () =>
    pick([
      `req-${rng.string.hexadecimal({ length: 8, prefix: '' })}`,
      rng.string.hexadecimal({ length: 32, prefix: '', casing: 'lower' }),
    ]),
};

// ----- record shapes -------------------------------------------------------------------------

interface Parts {
  ids: Label[];
  keep: Label[];
}
function idOf(kind: string, parts: Parts): string {
  const g = (ID_KINDS[kind] as Gen)();
  if (g.value) parts.ids.push({ kind: g.kind, text: g.value });
  else {
    // IMEI-like: the digits are the identifier
    const m = /\d{6,}/.exec(g.text);
    if (m) parts.ids.push({ kind: g.kind, text: m[0] });
  }
  return g.text;
}
function keepOf(kind: string, parts: Parts): string {
  const v = (KEEP_KINDS[kind] as () => string)();
  parts.keep.push({ kind, text: v });
  return v;
}
function nameOf(p: Person, parts: Parts, form: 'full' | 'given' | 'family' = 'full'): string {
  const text = form === 'full' ? p.full : form === 'given' ? p.given : p.family;
  for (const l of p.labels) if (text.includes(l.text)) parts.ids.push(l);
  return text;
}
/** The name as an EHR writes it in capitals: the labels are the capitalised parts. */
function upperName(p: Person, parts: Parts): string {
  for (const l of p.labels) parts.ids.push({ kind: 'name', text: l.text.toUpperCase() });
  return `${p.family.toUpperCase()}, ${p.given.toUpperCase()}`;
}
function pickLocale(): string {
  return rng.number.int(9) === 0 ? pick(UNCASED_LOCALES) : pick(NAME_LOCALES);
}
const STRUCTURED = Object.keys(ID_KINDS);
let structuredTurn = -1;

function freeText(parts: Parts, locale: string): string {
  const p = person(locale);
  const q = person(pick(NAME_LOCALES));
  const uncased = (UNCASED_LOCALES as readonly string[]).includes(locale);
  const N = () => nameOf(p, parts);
  const templates: Array<() => string> = [
    () =>
      `Patient ${N()} (${idOf('mrn', parts)}) admitted to ${keepOf('word', parts)} at ${keepOf('facility', parts)}`,
    () => `Spoke with ${N()} re: discharge; ${idOf('phone', parts)}`,
    () =>
      `Dear ${N()}, your claim of ${keepOf('amount', parts)} was processed (CPT ${keepOf('CPT', parts)})`,
    () =>
      `Seen by Dr. ${nameOf(p, parts, 'family')} in ${keepOf('word', parts)}; ICD-10 ${keepOf('ICD-10', parts)}`,
    () => `note signed by ${N()}, RN at ${keepOf('timestamp', parts)}`,
    () => `Family member ${N()} called about the patient; ${idOf('email', parts)}`,
    () =>
      `${pick(['Mr.', 'Mrs.', 'Ms.', 'Mr', 'Mrs', 'Miss'])} ${nameOf(p, parts, 'family')} reports chest pain, ${idOf('age', parts)}`,
    () => `pt ${N()} ${idOf('birth date', parts)}, LOINC ${keepOf('LOINC', parts)} result pending`,
    () => `Name: ${N()}; ${idOf('ssn', parts)}`,
    () => `Emergency contact: ${N()}, ${idOf('phone', parts)}`,
    () => `Patient: ${N()} | ${idOf('health plan', parts)} | copay ${keepOf('amount', parts)}`,
    () =>
      `${N()} missed the appointment in ${keepOf('word', parts)} (request ${keepOf('request id', parts)})`,
    () => `Referral for ${N()} from ${keepOf('facility', parts)} took ${keepOf('duration', parts)}`,
    () =>
      `Message from ${N()} <${idOf('email', parts)
        .replace(/^<|>$/g, '')
        .replace(/^email /, '')}>`,
    () => `Caller ${nameOf(q, parts)} asked for the records of ${N()}`,
    () =>
      `Discharge summary for ${N()}, ${idOf('written date', parts)}, attending Dr. ${nameOf(q, parts)}`,
    () =>
      `patient name ${N()} did not match ${idOf('mrn', parts)} in service ${keepOf('version', parts)}`,
    () =>
      `${idOf(pick(STRUCTURED), parts)} recorded for ${keepOf('hospital id', parts)} in ${keepOf('duration', parts)}`,
    () =>
      `intake: ${idOf(pick(STRUCTURED), parts)}; ${idOf(pick(STRUCTURED), parts)}; client ${keepOf('version', parts)}`,
    () => `Updated ${idOf(pick(STRUCTURED), parts)} for encounter ${keepOf('UUID', parts)}`,
    // names without a label or context word: only capitals, position and the dictionaries help
    () => `Appointment for ${N()} confirmed for ${keepOf('timestamp', parts)}`,
    () => `${N()}'s lab results are ready in ${keepOf('word', parts)}`,
    () => `Refill requested by ${N()} via the portal (${keepOf('request id', parts)})`,
    () => `transferred ${N()} to ${keepOf('word', parts)} after ${keepOf('duration', parts)}`,
    () => `${upperName(p, parts)} checked in`,
    () =>
      `${nameOf(p, parts, 'family')}, ${nameOf(p, parts, 'given')} checked in at ${keepOf('facility', parts)}`,
    () => `Consent form uploaded by ${N()} (guardian) for ${keepOf('hospital id', parts)}`,
    () => `Insurance verification failed for ${N()}: ${idOf('health plan', parts)}`,
    () => `Re: ${N()} - follow-up in ${keepOf('word', parts)}`,
    () => `Lab phoned ${N()} about results; LOINC ${keepOf('LOINC', parts)}`,
    () =>
      `${keepOf('word', parts)}: ${idOf(pick(STRUCTURED), parts)}, code ${keepOf('ICD-10', parts)}, charge ${keepOf('amount', parts)}`,
  ];
  if (rng.number.int(2) > 0) {
    // Every Safe Harbor kind with a label, in turn, so each kind is measured on enough records.
    structuredTurn = (structuredTurn + 1) % STRUCTURED.length;
    const kind = STRUCTURED[structuredTurn] as string;
    return pick([
      () =>
        `${idOf(kind, parts)} recorded for ${keepOf('hospital id', parts)} in ${keepOf('duration', parts)}`,
      () =>
        `intake ${keepOf('UUID', parts)}: ${idOf(kind, parts)}; client ${keepOf('version', parts)}`,
      () =>
        `${keepOf('word', parts)}: ${idOf(kind, parts)}, code ${keepOf('ICD-10', parts)}, charge ${keepOf('amount', parts)}`,
      () => `Updated ${idOf(kind, parts)} at ${keepOf('timestamp', parts)}`,
    ])();
  }
  if (uncased) {
    const label = pick(['Patient:', 'Name:', 'patient', 'Spoke with', 'Family member']);
    return `${label} ${N()} ${pick(['admitted', 'called', 'discharged'])} at ${keepOf('timestamp', parts)}`;
  }
  return pick(templates)();
}

function hl7(parts: Parts, locale: string): string {
  const p = person(locale);
  const k = person(pick(NAME_LOCALES));
  const f = fakerFor(locale);
  const mrn = digits(rng.number.int({ min: 6, max: 9 }));
  const bd = birthDate();
  const dob = `${bd.getFullYear()}${pad(bd.getMonth() + 1)}${pad(bd.getDate())}`;
  const street = f.location.streetAddress();
  const city = f.location.city();
  const zip = f.location.zipCode();
  const phone = `(${digits(3)})${digits(3)}-${digits(4)}`;
  const ssn = `${rng.number.int({ min: 100, max: 665 })}-${digits(2).replace(/^00/, '21')}-${digits(4).replace(/^0000/, '4321')}`;
  const kphone = `${digits(3)}-${digits(3)}-${digits(4)}`;
  const policy = `${upper(3)}${digits(8)}`;
  const version = pick(['2.3', '2.4', '2.5', '2.5.1', '2.7']);
  const ts = `2024${pad(rng.number.int({ min: 1, max: 12 }))}${pad(rng.number.int({ min: 1, max: 28 }))}${digits(4)}`;
  const ctrl = `MSG${digits(6)}`;
  const loinc = keepOf('LOINC', parts);
  const icd = keepOf('ICD-10', parts);
  for (const l of [...p.labels, ...k.labels]) parts.ids.push(l);
  parts.ids.push(
    { kind: 'mrn', text: mrn },
    { kind: 'birth date', text: dob },
    { kind: 'address', text: street },
    { kind: 'phone', text: phone },
    { kind: 'ssn', text: ssn },
    { kind: 'phone', text: kphone },
    { kind: 'health plan', text: policy },
  );
  if (city.length > 3) parts.ids.push({ kind: 'address', text: city });
  parts.keep.push(
    { kind: 'version', text: version },
    { kind: 'timestamp', text: ts },
    { kind: 'request id', text: ctrl },
  );
  const type = pick(['ADT^A01', 'ADT^A04', 'ADT^A08', 'ORU^R01']);
  parts.keep.push({ kind: 'word', text: type });
  const segs = [
    `MSH|^~\\&|EPIC|${pick(['STMARYS', 'MOUNTSINAI', 'GENHOSP'])}|LAB|LAB|${ts}||${type}|${ctrl}|P|${version}`,
    `EVN|A01|${ts}`,
    `PID|1||${mrn}^^^HOSP^MR||${p.family}^${p.given}^^^${pick(['Mr', 'Mrs', 'Ms', ''])}||${dob}|${pick(['M', 'F'])}|||${street}^^${city}^${pick(['TX', 'NY', 'CA'])}^${zip}||${phone}|||${pick(['S', 'M'])}||${digits(3)}|${ssn}`,
    `NK1|1|${k.family}^${k.given}|${pick(['SPO', 'MTH', 'FTH', 'CHD'])}||${kphone}`,
    `PV1|1|${pick(['I', 'O', 'E'])}|${pick(['ICU', '4W', 'ER'])}^${digits(3)}^1|||||||${pick(['MED', 'CAR', 'SUR'])}`,
    `IN1|1|${pick(['BCBS', 'AETNA', 'MEDICARE'])}|${digits(5)}|${pick(['Blue Cross', 'Aetna'])}|||${policy}||||||||${p.family}^${p.given}`,
    `DG1|1||${icd}^${pick(['Type 2 diabetes', 'Hypertension', 'Asthma'])}^I10`,
    `OBX|1|NM|${loinc}^${pick(['Glucose', 'Hemoglobin', 'Systolic BP'])}^LN||${rng.number.int({ min: 50, max: 200 })}|mg/dL|||||F|||${ts}`,
  ];
  const sep = pick(['\r', '\r', '\n', '\r\n']);
  return segs.join(sep);
}

function fhir(parts: Parts, locale: string): Record<string, unknown> {
  const p = person(locale);
  const f = fakerFor(locale);
  const type = pick(['Patient', 'Patient', 'RelatedPerson', 'Practitioner']);
  const mrn = digits(8);
  const bd = birthDate();
  const birth = `${bd.getFullYear()}-${pad(bd.getMonth() + 1)}-${pad(bd.getDate())}`;
  const phone = f.phone.number({ style: 'national' });
  const email = f.internet.email();
  const line = f.location.streetAddress();
  const city = f.location.city();
  const zip = f.location.zipCode();
  const photo = `${p.family.toLowerCase().replace(/[^a-z]/g, '') || 'p'}-${digits(4)}.jpg`;
  const updated = keepOf('timestamp', parts);
  for (const l of p.labels) parts.ids.push(l);
  parts.ids.push(
    { kind: type === 'Practitioner' ? 'licence' : 'mrn', text: mrn },
    { kind: 'birth date', text: birth },
    { kind: 'phone', text: phone },
    { kind: 'email', text: email },
    { kind: 'address', text: line },
    { kind: 'photo', text: photo },
  );
  if (zip.length >= 4) parts.ids.push({ kind: 'address', text: zip });
  const resource: Record<string, unknown> = {
    resourceType: type,
    id: rng.string.uuid(),
    meta: { versionId: String(rng.number.int({ min: 1, max: 9 })), lastUpdated: updated },
    identifier: [
      { use: 'usual', system: 'http://hospital.example.org/identifiers/mrn', value: mrn },
    ],
    active: true,
    name: [
      rng.datatype.boolean()
        ? { use: 'official', family: p.family, given: [p.given] }
        : { use: 'official', text: p.full, family: p.family, given: [p.given] },
    ],
    telecom: [
      { system: 'phone', value: phone, use: 'home' },
      { system: 'email', value: email },
    ],
    gender: pick(['male', 'female', 'other']),
    birthDate: birth,
    address: [{ use: 'home', line: [line], city, postalCode: zip, country: 'US' }],
    photo: [{ contentType: 'image/jpeg', title: photo }],
  };
  if (type === 'RelatedPerson') resource.patient = { reference: `Patient/${mrn}` };
  if (rng.datatype.boolean()) {
    const c = person(pick(NAME_LOCALES));
    for (const l of c.labels) parts.ids.push(l);
    resource.contact = [
      { relationship: [{ text: 'mother' }], name: { family: c.family, given: [c.given] } },
    ];
  }
  return resource;
}

function driverError(parts: Parts, locale: string): Error {
  const p = person(locale);
  const kind = rng.number.int(5);
  if (kind === 0) {
    const ssnGen = (ID_KINDS.ssn as Gen)();
    const ssn = ssnGen.value;
    parts.ids.push({ kind: 'ssn', text: ssn });
    const e = Object.assign(
      new Error('duplicate key value violates unique constraint "patients_ssn_key"'),
      {
        code: '23505',
        detail: `Key (ssn)=(${ssn}) already exists.`,
        table: 'patients',
        constraint: 'patients_ssn_key',
      },
    );
    parts.keep.push({ kind: 'word', text: 'patients_ssn_key' });
    return e;
  }
  if (kind === 1) {
    const email = fakerFor(locale).internet.email();
    parts.ids.push({ kind: 'email', text: email });
    for (const l of p.labels) parts.ids.push(l);
    const e = Object.assign(
      new Error(
        `Key (last_name, first_name, email)=(${p.family}, ${p.given}, ${email}) already exists.`,
      ),
      { code: '23505', severity: 'ERROR' },
    );
    return e;
  }
  if (kind === 2) {
    const mrn = digits(8);
    parts.ids.push({ kind: 'mrn', text: mrn });
    const e = Object.assign(
      new Error(`ER_DUP_ENTRY: Duplicate entry '${mrn}' for key 'patients.mrn_unique'`),
      { code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' },
    );
    parts.keep.push({ kind: 'word', text: 'ER_DUP_ENTRY' });
    return e;
  }
  if (kind === 3) {
    const bd = birthDate();
    const dob = `${bd.getFullYear()}-${pad(bd.getMonth() + 1)}-${pad(bd.getDate())}`;
    for (const l of p.labels) parts.ids.push(l);
    parts.ids.push({ kind: 'birth date', text: dob });
    return Object.assign(
      new Error(`Duplicate entry '${p.family}-${p.given}-${dob}' for key 'patients.uniq_person'`),
      {
        code: 'ER_DUP_ENTRY',
        sql: `INSERT INTO patients (last_name, first_name, dob) VALUES ('${p.family}', '${p.given}', '${dob}')`,
      },
    );
  }
  const email = fakerFor(locale).internet.email();
  parts.ids.push({ kind: 'email', text: email });
  const e = Object.assign(
    new Error(
      `E11000 duplicate key error collection: ehr.patients index: email_1 dup key: { email: "${email}" }`,
    ),
    { code: 11000, keyValue: { email } },
  );
  e.name = 'MongoServerError';
  parts.keep.push({ kind: 'word', text: 'MongoServerError' });
  return e;
}

function httpError(parts: Parts, locale: string): Error {
  const p = person(locale);
  const id = digits(7);
  const host = pick(['registry.example.org', 'api.payer.example', 'fhir.example.com']);
  const url = `https://${host}/v1/patients/${id}`;
  const dob = `${birthDate().getFullYear()}-0${rng.number.int({ min: 1, max: 9 })}-1${rng.number.int(9)}`;
  const member = `${upper(3)}${digits(9)}`;
  const status = pick([400, 404, 409, 422, 500, 503]);
  for (const l of p.labels) parts.ids.push(l);
  parts.ids.push(
    { kind: 'url', text: id },
    { kind: 'birth date', text: dob },
    { kind: 'health plan', text: member },
  );
  parts.keep.push({ kind: 'word', text: host });
  const e = Object.assign(new Error(`Request failed with status code ${status}`), {
    name: 'AxiosError',
    code: 'ERR_BAD_RESPONSE',
    config: {
      url,
      method: 'post',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${alnum(24)}` },
      data: JSON.stringify({
        firstName: p.given,
        lastName: p.family,
        birthDate: dob,
        memberId: member,
      }),
    },
    response: {
      status,
      statusText: 'Unprocessable Entity',
      data: rng.datatype.boolean()
        ? { error: 'conflict', detail: `patient ${p.full} already registered` }
        : `<html><body>Patient ${p.full} not found</body></html>`,
    },
  });
  return e;
}

function errorChain(parts: Parts, locale: string): Error {
  const inner = rng.datatype.boolean() ? driverError(parts, locale) : httpError(parts, locale);
  if (rng.datatype.boolean()) {
    const other = driverError(parts, pick(NAME_LOCALES));
    return new AggregateError([inner, other], `all ${keepOf('word', parts)} retries failed`);
  }
  const mid = new Error(`could not register patient for ${keepOf('hospital id', parts)}`, {
    cause: inner,
  });
  return new Error(`POST /hospitals/:id/patients failed after ${keepOf('duration', parts)}`, {
    cause: mid,
  });
}

function nested(parts: Parts, locale: string): Record<string, unknown> {
  const p = person(locale);
  const c = person(pick(NAME_LOCALES));
  const f = fakerFor(locale);
  const email = f.internet.email();
  const phone = f.phone.number({ style: 'national' });
  const mrn = `${upper(1)}${digits(7)}`;
  const policy = `${upper(2)}${digits(8)}`;
  const vin = rng.vehicle.vin();
  const serial = `SN${alnum(10)}`;
  for (const l of [...p.labels, ...c.labels]) parts.ids.push(l);
  parts.ids.push(
    { kind: 'email', text: email },
    { kind: 'phone', text: phone },
    { kind: 'mrn', text: mrn },
    { kind: 'health plan', text: policy },
  );
  const patientKey = pick(['patient', 'subject', 'member', 'person']);
  const rec: Record<string, unknown> = {
    requestId: keepOf('request id', parts),
    route: '/hospitals/:id/admissions',
    took: keepOf('duration', parts),
    hospital: {
      id: keepOf('hospital id', parts),
      name: keepOf('facility', parts),
      department: keepOf('word', parts),
    },
    [patientKey]: {
      name: pick([p.full, `${p.family}, ${p.given}`]),
      [pick(['mrn', 'medicalRecordNo', 'chart_number', 'patientId'])]: mrn,
      contact: {
        [pick(['email', 'emailAddress', 'mail'])]: email,
        [pick(['phone', 'mobile', 'tel'])]: phone,
      },
      insurance: {
        [pick(['policyNo', 'memberNumber', 'subscriber_id', 'groupNumber'])]: policy,
        plan: 'PPO',
      },
    },
    emergencyContact: { name: c.full, relation: 'sibling' },
    billing: {
      total: keepOf('amount', parts),
      codes: [keepOf('CPT', parts), keepOf('ICD-10', parts)],
    },
    client: { version: keepOf('version', parts), encounter: keepOf('UUID', parts) },
  };
  if (rng.datatype.boolean()) {
    parts.ids.push({ kind: 'vehicle', text: vin });
    rec.parking = { [pick(['vin', 'vehicleId', 'VIN'])]: vin };
  }
  if (rng.datatype.boolean()) {
    parts.ids.push({ kind: 'device', text: serial });
    rec.device = {
      [pick(['serialNumber', 'serial_no', 'deviceSerial', 'udi'])]: serial,
      model: 'X200',
    };
  }
  if (rng.datatype.boolean()) {
    const photo = `IMG_${digits(8)}.jpg`;
    parts.ids.push({ kind: 'photo', text: photo });
    rec.attachments = [photo];
  }
  if (rng.datatype.boolean()) rec.note = freeText(parts, pick(NAME_LOCALES));
  return rec;
}

/** The corpus: `count` records, the same on every run. */
export function buildCorpus(count = 2400): Sample[] {
  rng.seed(SEED);
  rng.setDefaultRefDate(REF_DATE);
  structuredTurn = -1;
  for (const f of fakers.values()) f.seed(SEED);
  fakers.clear();
  const out: Sample[] = [];
  const shapes: Shape[] = [
    'free text',
    'free text',
    'free text',
    'free text',
    'HL7 v2',
    'FHIR resource',
    'driver error',
    'HTTP client error',
    'error chain',
    'nested object',
  ];
  for (let i = 0; i < count; i++) {
    const shape = shapes[i % shapes.length] as Shape;
    const locale = shape === 'free text' ? pickLocale() : pick(NAME_LOCALES);
    const parts: Parts = { ids: [], keep: [] };
    let message: Sample['message'];
    let meta: Record<string, unknown> | undefined;
    let level: Sample['level'] = 'info';
    switch (shape) {
      case 'free text':
        message = freeText(parts, locale);
        break;
      case 'HL7 v2': {
        const msg = hl7(parts, locale);
        if (rng.datatype.boolean()) message = `inbound HL7 message: ${msg}`;
        else {
          message = 'HL7 message rejected';
          meta = { hl7: msg, ack: 'AE' };
        }
        break;
      }
      case 'FHIR resource': {
        const res = fhir(parts, locale);
        const form = rng.number.int(2);
        if (form === 0) {
          message = 'FHIR resource stored';
          meta = { resource: res };
        } else if (form === 1) {
          message = `FHIR create failed: ${JSON.stringify(res)}`;
          level = 'warn';
        } else {
          message = 'FHIR bundle received';
          meta = {
            bundle: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: res }] },
          };
        }
        break;
      }
      case 'driver error':
        message = driverError(parts, locale);
        level = 'error';
        break;
      case 'HTTP client error':
        message = httpError(parts, locale);
        level = 'error';
        break;
      case 'error chain':
        message = errorChain(parts, locale);
        level = 'error';
        break;
      case 'nested object':
        message = 'admission recorded';
        meta = nested(parts, locale);
        break;
    }
    out.push({ id: i, shape, locale, level, message, meta, ids: parts.ids, keep: parts.keep });
  }
  return out;
}
