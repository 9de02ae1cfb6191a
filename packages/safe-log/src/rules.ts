/**
 * What counts as PHI/PII, compiled once. Two kinds of rule:
 * - key names: a value under a sensitive key is replaced whole, whatever it looks like;
 * - value patterns: identifiers found inside any string (messages, error text, URLs, nested values).
 */

/** A value pattern: every match is replaced by `[REDACTED:<name>]` unless `check` says no. */
export interface PatternRule {
  /** Label in the replacement, e.g. `ssn`. */
  readonly name: string;
  /** A regular expression source (no flags: the rules are compiled together, case-insensitive). */
  readonly source: string;
  /** Optional second look at a match (e.g. the Luhn check of a card number). */
  readonly check?: (match: string) => boolean;
}

/** Key names are compared after lower-casing and removing everything but letters and digits. */
export function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Sensitive key names (normalised): the value under such a key is never written. */
export const SENSITIVE_KEYS: readonly string[] = Object.freeze([
  // identity numbers
  'ssn',
  'socialsecurity',
  'socialsecuritynumber',
  'socialsecurityno',
  'sin',
  'nationalid',
  'nationalidentifier',
  'taxid',
  'tin',
  'passport',
  'passportnumber',
  'driverslicense',
  'driverlicense',
  'licensenumber',
  // health
  'mrn',
  'medicalrecord',
  'medicalrecordnumber',
  'patientid',
  'healthplanid',
  'insuranceid',
  'insurancenumber',
  'policynumber',
  'memberid',
  'beneficiaryid',
  'diagnosis',
  'diagnoses',
  'condition',
  'conditions',
  'medication',
  'medications',
  'allergies',
  'prescription',
  'icd10',
  'icdcode',
  'labresult',
  'labresults',
  'notes',
  'clinicalnotes',
  // birth
  'dob',
  'dateofbirth',
  'birthdate',
  'birthday',
  'birthdt',
  'bday',
  // names of people
  'firstname',
  'lastname',
  'middlename',
  'fullname',
  'givenname',
  'familyname',
  'surname',
  'patientname',
  'maidenname',
  'nickname',
  // contact
  'email',
  'emailaddress',
  'mail',
  'phone',
  'phonenumber',
  'telephone',
  'tel',
  'mobile',
  'mobilephone',
  'cellphone',
  'cell',
  'fax',
  'contactemail',
  'contactphone',
  'address',
  'streetaddress',
  'street',
  'addressline',
  'addressline1',
  'addressline2',
  'homeaddress',
  'mailingaddress',
  'zip',
  'zipcode',
  'postalcode',
  'postcode',
  // network
  'ip',
  'ipaddress',
  'clientip',
  'remoteaddress',
  'remoteaddr',
  'xforwardedfor',
  // money
  'creditcard',
  'creditcardnumber',
  'cardnumber',
  'ccnumber',
  'pan',
  'cvv',
  'cvc',
  'iban',
  'accountnumber',
  'bankaccount',
  'routingnumber',
  // secrets
  'password',
  'passwd',
  'pwd',
  'secret',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'apikey',
  'xapikey',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'session',
  'sessionid',
  'privatekey',
  'clientsecret',
  'idempotencykey',
]);

/** Key endings that are sensitive whatever comes before (`patientSsn`, `userEmail`, `home_phone`). */
export const SENSITIVE_SUFFIXES: readonly string[] = Object.freeze([
  'ssn',
  'dob',
  'email',
  'phone',
  'password',
  'secret',
  'token',
  'apikey',
  'birthdate',
  'dateofbirth',
  'address',
  'zipcode',
  'postalcode',
  'mrn',
  'cardnumber',
]);

/** Luhn checksum, for card numbers (a random 16-digit id is not redacted as a card). */
export function luhn(text: string): boolean {
  const digits = text.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function ipv4(text: string): boolean {
  return text.split('.').every((o) => Number(o) <= 255);
}

const STREET =
  'street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|parkway|pkwy|highway|hwy|circle|cir|square|sq';

/**
 * Every quantifier in these rules is bounded and each rule passes the `recheck` ReDoS analyser
 * (test/unit/redos.test.ts): the cost of a scan grows linearly with the string.
 *
 * Value patterns, in priority order (at one position the first that matches wins). Every rule
 * needs a digit, `@`, `?` or `=` to match, which is what lets strings without any skip the scan.
 */
export const DEFAULT_PATTERNS: readonly PatternRule[] = Object.freeze([
  // Query strings: every value after ?k= or &k= (PHI often travels in URLs: ?dob=, ?ssn=, ?name=).
  { name: 'query', source: '(?<=[?&][^=&#\\s?]{1,64}=)[^&#\\s]{1,256}' },
  {
    name: 'email',
    // The look-behind starts a match only at the beginning of a run of address characters, so
    // a long run without `@` costs one scan, not one per position (issue #23 finding 5).
    source: '(?<![a-z0-9._%+-])[a-z0-9._%+-]{1,64}@(?:[a-z0-9-]{1,63}\\.){1,6}[a-z]{2,24}\\b',
  },
  { name: 'ssn', source: '\\b\\d{3}[- ]\\d{2}[- ]\\d{4}\\b' },
  { name: 'mrn', source: '\\bmrn[\\s:#-]{0,4}[a-z]{0,3}-?\\d{4,20}\\b' },
  { name: 'card', source: '\\b(?:\\d[ -]?){12,18}\\d\\b', check: luhn },
  // Calendar dates without a time (a date of birth), ISO and US forms; timestamps stay.
  {
    name: 'date',
    source: '\\b(?:19|20)\\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])\\b(?!T\\d)',
  },
  { name: 'date', source: '\\b(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\\d|3[01])/(?:19|20)?\\d{2}\\b' },
  {
    name: 'phone',
    source: '(?:\\+\\d{1,3}[\\s.-]?)?(?:\\(\\d{3}\\)\\s?|\\b\\d{3}[\\s.-])\\d{3}[\\s.-]\\d{4}\\b',
  },
  { name: 'phone', source: '\\+\\d{8,15}\\b' },
  { name: 'ip', source: '\\b(?:\\d{1,3}\\.){3}\\d{1,3}\\b', check: ipv4 },
  {
    name: 'ip',
    source:
      '\\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\\b|\\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:?){0,6}[0-9a-f]{0,4}\\b',
  },
  {
    name: 'address',
    source: `\\b\\d{1,6}\\s{1,3}(?:[a-z0-9.'-]{1,30}\\s{1,3}){0,4}(?:${STREET})\\b\\.?`,
  },
  { name: 'zip', source: '\\b[a-z]{2}\\s{1,3}\\d{5}(?:-\\d{4})?\\b|\\b\\d{5}-\\d{4}\\b' },
]);
