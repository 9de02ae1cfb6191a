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
  /**
   * Characters of which a string must hold at least one for the rule to be tried (a cheap
   * first look; rules with the same `needs` are compiled together). @default always tried
   */
  readonly needs?: string;
}

const NON_ASCII = /[\u0080-\uffff]/;
const COMBINING = /[\u0300-\u036f]/g;
/**
 * Key names are compared after lower-casing, taking accents off letters (`prénom` is `prenom`,
 * `téléphone` is `telephone`) and removing everything but letters and digits.
 */
export function normaliseKey(key: string): string {
  const lower = key.toLowerCase();
  const plain = NON_ASCII.test(lower) ? lower.normalize('NFD').replace(COMBINING, '') : lower;
  return plain.replace(/[^a-z0-9]/g, '');
}

/**
 * Key names of other languages that are sensitive as written (see FOREIGN_SUFFIXES for those that
 * are sensitive after a prefix too). `nom`, `nome`, `nombre` (name) only alone: as endings they are
 * parts of other words.
 */
const FOREIGN_SUFFIXES = [
  // names of people
  'prenom',
  'prenoms',
  'nomdefamille',
  'nomdenaissance',
  'nomdusage',
  'apellido',
  'apellidos',
  'nachname',
  'vorname',
  'vornamen',
  'familienname',
  'geburtsname',
  'cognome',
  'sobrenome',
  'achternaam',
  'voornaam',
  'voornamen',
  // birth
  'geburtsdatum',
  'geburtstag',
  'fechanacimiento',
  'fechadenacimiento',
  'datenaissance',
  'datedenaissance',
  'datanascita',
  'datadinascita',
  'datadenascimento',
  'datanascimento',
  'geboortedatum',
  // contact
  'telefono',
  'telefone',
  'telefon',
  'telefoon',
  'telephone',
  'handynummer',
  'celular',
  'movil',
  'cellulare',
  'courriel',
  'correoelectronico',
  'direccion',
  'domicilio',
  'indirizzo',
  'endereco',
  'anschrift',
  'codepostal',
  'codigopostal',
  'postleitzahl',
  // identity and insurance numbers
  'codicefiscale',
  'numerosecuritesociale',
  'numerodesecuritesociale',
  'securitesociale',
  'sozialversicherungsnummer',
  'versichertennummer',
  'krankenversichertennummer',
  'steueridentifikationsnummer',
  'numeroseguridadsocial',
  'numerodeseguridadsocial',
  'tesserasanitaria',
];
const FOREIGN_KEYS = [
  ...FOREIGN_SUFFIXES,
  // alone only: `ipAdresse`, `macAdresse` are a network's addresses
  'adresse',
  'nom',
  'noms',
  'nome',
  'nombre',
  'nombres',
  'nomcomplet',
  'nombrecompleto',
  'nomecompleto',
  'naam',
  'correo',
  'tlf',
  'nir',
  'dni',
  'nie',
  'nif',
  'curp',
  'nss',
  'cpf',
  'bsn',
  'plz',
];

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
  // Safe Harbor kinds added for issue #17
  'chartnumber',
  'chartno',
  'medicalrecordno',
  'membernumber',
  'memberno',
  'subscriberid',
  'subscribernumber',
  'groupnumber',
  'groupno',
  'policyno',
  'policyid',
  'mbi',
  'medicareid',
  'medicaidid',
  'hicn',
  'accountno',
  'acct',
  'acctno',
  'licenseno',
  'licenceno',
  'licencenumber',
  'certificatenumber',
  'deanumber',
  'vin',
  'vehicleid',
  'licenseplate',
  'licenceplate',
  'plate',
  'platenumber',
  'serial',
  'serialno',
  'serialnumber',
  'deviceserial',
  'deviceid',
  'udi',
  'imei',
  'macaddress',
  'fingerprint',
  'biometric',
  'biometricid',
  'photo',
  'photos',
  'photourl',
  'telecom',
  'given',
  'nextofkin',
  'emergencycontactname',
  // Review of realistic logs: name parts alone (`{ first, last }`, FHIR-style `family` beside
  // `given`) and short forms. At any depth: `{ first: 0, last: 9 }` (paging) is redacted too, the
  // price of never writing `{ first: 'Wei', last: 'Zhang' }`.
  'first',
  'last',
  'middle',
  'family',
  'forename',
  'forenames',
  'givennames',
  'lname',
  // The same in the languages of other hospitals' systems (French, Spanish, Italian, Portuguese,
  // German, Dutch), compared without accents (`prénom` is `prenom`): names, birth dates,
  // telephones, addresses, national identity and insurance numbers.
  ...FOREIGN_KEYS,
  // abbreviations of "patient" before a name part or an identifier (`ptName`, `pat_nm`, `ptId`)
  ...['pt', 'pat'].flatMap((p) =>
    [
      'name',
      'nm',
      'fullname',
      'firstname',
      'lastname',
      'first',
      'last',
      'fname',
      'lname',
      'dob',
      'id',
      'no',
      'num',
      'number',
    ].map((part) => p + part),
  ),
]);

/**
 * Identifier stems: a key ending in one, bare or followed by an identifier word (`nhsNumber`,
 * `MRN_NO`, `medRecNum`, `chartId`, `patientNumber`, `healthCardNumber`), is sensitive. Stems that
 * also name a container (`patient`, `chart`, `insurance`) count only with the identifier word.
 */
const ID_STEMS = ['ssn', 'mrn', 'nhs', 'medrec', 'medicalrecord', 'healthcard'];
const ID_STEMS_WITH_WORD = ['patient', 'chart', 'insurance', 'member', 'subscriber', 'policy'];
const ID_WORDS = ['number', 'no', 'num', 'nbr', 'nr', 'id', 'digits'];

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
  'firstname',
  'lastname',
  'fullname',
  'membernumber',
  'memberid',
  'policynumber',
  'accountnumber',
  'licensenumber',
  'serialnumber',
  'subscriberid',
  'vin',
  // name parts and postal codes with a prefix (`patientSurname`, `homePostal`, `mailPostcode`)
  'surname',
  'forename',
  'givenname',
  'familyname',
  'middlename',
  'maidenname',
  'postal',
  'postcode',
  ...FOREIGN_SUFFIXES,
  ...ID_STEMS,
  ...[...ID_STEMS, ...ID_STEMS_WITH_WORD].flatMap((stem) => ID_WORDS.map((w) => stem + w)),
]);

/** Words after a person word that make a container of that person (`patientInfo`, `userDetails`). */
const PERSON_CONTAINERS = [
  'info',
  'details',
  'detail',
  'data',
  'record',
  'records',
  'profile',
  'demographics',
];

/**
 * The person words, matched as written and also in the plural (`patients`, `guarantors`,
 * `beneficiaries`) and before a container word (`patientInfo`, `contactDetails`, `ptData`).
 * Only `has` looks further: iterating gives the words as listed.
 */
class PersonWords extends Set<string> {
  override has(key: string): boolean {
    if (super.has(key)) return true;
    let k = key;
    for (const c of PERSON_CONTAINERS)
      if (k.length > c.length && k.endsWith(c)) {
        k = k.slice(0, -c.length);
        if (super.has(k)) return true;
        break;
      }
    if (k.endsWith('ies') && super.has(`${k.slice(0, -3)}y`)) return true;
    if (k.endsWith('es') && super.has(k.slice(0, -2))) return true;
    return k.endsWith('s') && super.has(k.slice(0, -1));
  }
}

/**
 * Parents whose `name` (and `display`, `text`, `given`, `family`) is a person's name: a plain
 * `name` is usually a hospital's, `patient.name` never is. Plurals and container words are
 * matched too (see `PersonWords`).
 */
export const PERSON_PARENTS: ReadonlySet<string> = new PersonWords([
  'patient',
  'pt',
  'pat',
  'subject',
  'member',
  'person',
  'people',
  'persons',
  'contact',
  'contacts',
  'emergencycontact',
  'nextofkin',
  'nok',
  'guarantor',
  'subscriber',
  'insured',
  'guardian',
  'caller',
  'requester',
  'user',
  'employee',
  'provider',
  'practitioner',
  'doctor',
  'physician',
  'nurse',
  'relatedperson',
  'spouse',
  'parent',
  'mother',
  'father',
  'child',
  'relative',
  'recipient',
  'sender',
  'beneficiary',
  'dependent',
  'author',
  'signer',
  'attending',
  'performer',
  'owner',
  'visitor',
  'customer',
  'individual',
  'participant',
  'resident',
  'applicant',
  'claimant',
  'children',
  'attendee',
  'traveler',
  'traveller',
  'passenger',
]);

/** Keys under a person-like parent that hold the person's name. */
export const PERSON_NAME_KEYS: ReadonlySet<string> = new Set([
  'name',
  'names',
  'display',
  'text',
  'given',
  'family',
  'first',
  'last',
  'full',
  'prefix',
  'suffix',
  'city',
]);

/** FHIR resources about a person: these elements identify them. */
export const FHIR_PERSON_TYPES: ReadonlySet<string> = new Set([
  'Patient',
  'RelatedPerson',
  'Practitioner',
  'Person',
]);
export const FHIR_PERSON_ELEMENTS: ReadonlySet<string> = new Set([
  'name',
  'telecom',
  'address',
  'birthdate',
  'identifier',
  'photo',
  'contact',
  'text',
  'qualification',
  'link',
]);

/** Luhn checksum, for card numbers (a random 16-digit id is not redacted as a card). */
export function luhn(text: string): boolean {
  const digits = text.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  return luhnDigits(digits);
}

/** The Luhn sum of a run of digits, whatever its length. */
function luhnDigits(digits: string): boolean {
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

/**
 * Card issuer ranges (IIN prefix, lengths): a run of digits that passes Luhn is a card only when
 * it also starts like one and has that issuer's length. Epoch milliseconds (13 digits from 1)
 * and HL7 timestamps (14 digits from 19 or 20) pass Luhn once in ten but match no issuer.
 */
const CARD_RANGES: ReadonlyArray<readonly [from: number, to: number, lengths: readonly number[]]> =
  [
    [4, 4, [13, 16, 19]], // Visa
    [51, 55, [16]], // Mastercard
    [2221, 2720, [16]], // Mastercard 2-series
    [34, 34, [15]], // American Express
    [37, 37, [15]],
    [6011, 6011, [16, 17, 18, 19]], // Discover
    [644, 649, [16, 17, 18, 19]],
    [65, 65, [16, 17, 18, 19]],
    [36, 36, [14, 15, 16, 17, 18, 19]], // Diners Club
    [38, 39, [16, 17, 18, 19]],
    [300, 305, [14, 15, 16, 17, 18, 19]],
    [3095, 3095, [14, 15, 16, 17, 18, 19]],
    [3528, 3589, [16, 17, 18, 19]], // JCB
    [62, 62, [16, 17, 18, 19]], // UnionPay
    [2200, 2204, [16, 17, 18, 19]], // Mir
    [50, 50, [13, 14, 15, 16, 17, 18, 19]], // Maestro
    [56, 58, [13, 14, 15, 16, 17, 18, 19]],
    [639, 639, [13, 14, 15, 16, 17, 18, 19]],
    [67, 67, [13, 14, 15, 16, 17, 18, 19]],
    [60, 60, [16]], // RuPay
    [81, 82, [16]],
  ];

/** True when the digits of `text` start like a card of some issuer and have its length. */
export function cardIssuer(text: string): boolean {
  const digits = text.replace(/\D/g, '');
  for (const [from, to, lengths] of CARD_RANGES) {
    const prefix = Number(digits.slice(0, String(from).length));
    if (prefix >= from && prefix <= to && lengths.includes(digits.length)) return true;
  }
  return false;
}

/** A card number: an issuer's prefix and length, and a valid Luhn checksum. */
function card(text: string): boolean {
  return cardIssuer(text) && luhn(text);
}

/** A phone number written with a country code: 8 or more digits in all (E.164 allows 8 to 15). */
function internationalPhone(text: string): boolean {
  return text.replace(/\D/g, '').length >= 8;
}

const DIGITS = '0123456789';

/**
 * A Basic credential: base64 of `user:password` in UTF-8 without control characters (`jdoe:pässwört`
 * too), not a word after `basic` (`Basic metabolic panel` decodes to bytes that are not UTF-8).
 */
function basicCredential(text: string): boolean {
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  return decoded.length >= 3 && decoded.includes(':') && !hasControlOrReplacement(decoded);
}
// control characters, or U+FFFD where the bytes were not UTF-8
function hasControlOrReplacement(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0xfffd) return true;
  }
  return false;
}

/** A bearer token: holds a digit, or is long (not `token` or `authentication` after `bearer`). */
function bearerToken(text: string): boolean {
  return text.length >= 20 || /\d/.test(text);
}

/**
 * An NHS number (England, Wales, Isle of Man): 10 digits whose last is the modulus-11 check digit
 * of the nine before it (weights 10 down to 2; a remainder giving 10 is never issued).
 */
export function nhsNumber(text: string): boolean {
  const digits = text.replace(/\D/g, '');
  if (digits.length !== 10) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
  const check = (11 - (sum % 11)) % 11;
  return check !== 10 && check === digits.charCodeAt(9) - 48;
}

/** A UK number written nationally: 11 digits from its leading 0 (`07700 900123`, `020 7946 0958`). */
function ukPhone(text: string): boolean {
  return text.replace(/\D/g, '').length === 11;
}

/** Written in capitals, as issued (the rules are compiled without case). */
function capitals(text: string): boolean {
  return text === text.toUpperCase();
}

/**
 * A Canadian provincial health card written 4-3-3 (Ontario's): with its two-letter version code
 * in capitals, or without it and a valid Luhn check digit.
 */
function healthCard(text: string): boolean {
  return /[A-Z]{2}$/.test(text) || (!/[a-z]/i.test(text) && luhnDigits(text.replace(/\D/g, '')));
}

/** A UK postcode in capitals, not a size (`EC2 4GB` is an instance and its memory). */
function ukPostcode(text: string): boolean {
  return capitals(text) && !/\d[GMT]B$/.test(text);
}

/** Age shorthand with the sex in capitals (`91F`, `91 yo M`): `95m` is minutes. */
function ageSex(text: string): boolean {
  return /[FM]$/.test(text);
}

/** Letters of a Medicare Beneficiary Identifier (no S, L, O, I, B or Z). */
const MBI_L = '[ac-hjkmnp-rt-y]';
const MBI_A = '[ac-hjkmnp-rt-y0-9]';

/** Outward codes of UK postcode areas (one or two letters). */
const UK_AREAS =
  'AB|AL|BA|BB|BD|BH|BL|BN|BR|BS|BT|CA|CB|CF|CH|CM|CO|CR|CT|CV|CW|DA|DD|DE|DG|DH|DL|DN|DT|DY|EC|EH|EN|EX|FK|FY|GL|GU|GY|HA|HD|HG|HP|HR|HS|HU|HX|IG|IM|IP|IV|JE|KA|KT|KW|KY|LA|LD|LE|LL|LN|LS|LU|ME|MK|ML|NE|NG|NN|NP|NR|NW|OL|OX|PA|PE|PH|PL|PO|PR|RG|RH|RM|SA|SE|SG|SK|SL|SM|SN|SO|SP|SR|SS|ST|SW|SY|TA|TD|TF|TN|TQ|TR|TS|TW|UB|WA|WC|WD|WF|WN|WR|WS|WV|YO|ZE|B|E|G|L|M|N|S|W';

function ipv4(text: string): boolean {
  return text.split('.').every((o) => Number(o) <= 255);
}

function vin(text: string): boolean {
  return /\d/.test(text) && /[A-Z]/.test(text) && text === text.toUpperCase();
}

/** A patient-style URL id holds a digit (`/patients/12345`, `Patient/P-881`), not a word. */
function hasDigit(text: string): boolean {
  return /\d/.test(text);
}

const MONTH =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';

const STATES =
  'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI';
function stateInCapitals(text: string): boolean {
  return /^(?:\d|[A-Z]{2}\s)/.test(text);
}

/**
 * Every quantifier in these rules is bounded and each rule passes the `recheck` ReDoS analyser
 * (test/unit/redos.test.ts): the cost of a scan grows linearly with the string.
 *
 * Value patterns, in priority order (at one position the first that matches wins). Every rule
 * names in `needs` the characters it cannot match without; a string without any of them skips it.
 */
export const DEFAULT_PATTERNS: readonly PatternRule[] = Object.freeze([
  // Query strings: every value after ?k= or &k= (PHI often travels in URLs: ?dob=, ?ssn=, ?name=).
  { name: 'query', source: '(?<=[?&][^=&#\\s?]{1,64}=)[^&#\\s]{1,256}', needs: '?' },
  // Credentials in text (a header line, a message): a JSON Web Token anywhere (its claims often
  // name the user or the patient), the token after `Bearer`, the base64 `user:password` after
  // `Basic`. The look-behind starts a JWT only at the beginning of a run of token characters.
  {
    name: 'token',
    needs: '.',
    source:
      '(?<![a-z0-9_-])eyj[a-z0-9_-]{4,16384}\\.eyj[a-z0-9_-]{4,16384}\\.[a-z0-9_-]{0,16384}(?![a-z0-9_-])',
  },
  {
    name: 'token',
    needs: 'Bb',
    source: '(?<=\\bbearer(?:[ \\t]{1,4}|[ \\t]{0,2}[:=][ \\t]{0,2}))[a-z0-9._~+/-]{8,16384}={0,2}',
    check: bearerToken,
  },
  {
    name: 'token',
    needs: 'Bb',
    source:
      '(?<=\\bbasic(?:[ \\t]{1,4}|[ \\t]{0,2}[:=][ \\t]{0,2}))[a-z0-9+/]{4,4096}={0,2}(?![a-z0-9+/=])',
    check: basicCredential,
  },
  {
    name: 'email',
    needs: '@%',
    // The look-behind starts a match only at the beginning of a run of address characters, so
    // a long run without `@` costs one scan, not one per position (issue #23 finding 5). The `@`
    // may be percent-encoded (`/users/jane.doe%40example.org`): then the local part holds no `%`.
    source:
      '(?<![a-z0-9._%+-])(?:[a-z0-9._%+-]{1,64}@|[a-z0-9._+-]{1,64}%40)(?:[a-z0-9-]{1,63}\\.){1,6}[a-z]{2,24}\\b',
  },
  // also with dots (`078.05.1120`), but not inside a longer dotted run (an OID, a version)
  {
    name: 'ssn',
    source: '\\b\\d{3}[- ]\\d{2}[- ]\\d{4}\\b|\\b(?<!\\d\\.)\\d{3}\\.\\d{2}\\.\\d{4}\\b(?!\\.\\d)',
    needs: DIGITS,
  },
  { name: 'mrn', source: '\\bmrn[\\s:#-]{0,4}[a-z]{0,3}-?\\d{4,20}\\b', needs: DIGITS },
  // Never inside a UUID (8-4-4-4-12 hex): its groups 1-3 or 4-5, when all digits, are 16 digits
  // that pass Luhn once in ten (a generated request id was cut in CI). No other run of groups
  // holds 13 to 19 digits, so a UUID is never a card; the same digits outside one still are.
  {
    name: 'card',
    source:
      '\\b(?!\\d{8}-\\d{4}-\\d{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b)(?!(?<=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-)\\d{4}-\\d{12}\\b)(?:\\d[ -]?){12,18}\\d\\b',
    check: card,
    needs: DIGITS,
  },
  // Calendar dates without a time (a date of birth), ISO and US forms; timestamps stay.
  {
    name: 'date',
    needs: DIGITS,
    source:
      '\\b(?:19|20)\\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])\\b(?![T ]\\d{2}:\\d{2}|T\\d)',
  },
  // Written dates: `March 12, 1984`, `the 4th of March 1984`, `Mar. 12 1984`, `12 Mar 1984`, `12-Mar-1984`, `03.12.1984`, `03-12-1984`.
  {
    name: 'date',
    needs: DIGITS,
    source: `\\b(?:${MONTH})\\.?\\s{1,3}(?:0?[1-9]|[12]\\d|3[01])(?:st|nd|rd|th)?,?\\s{1,3}(?:1[89]|20)\\d{2}\\b`,
  },
  {
    name: 'date',
    needs: DIGITS,
    source: `\\b(?:0?[1-9]|[12]\\d|3[01])(?:st|nd|rd|th)?(?:\\s{1,3}of)?(?:\\s{1,3}|-)(?:${MONTH})\\.?,?(?:\\s{1,3}|-)(?:1[89]|20)\\d{2}\\b`,
  },
  {
    name: 'date',
    needs: DIGITS,
    source:
      '\\b(?:0?[1-9]|[12]\\d|3[01])\\.(?:0?[1-9]|[12]\\d|3[01])\\.(?:1[89]|20)\\d{2}\\b|\\b(?:0?[1-9]|[12]\\d|3[01])-(?:0?[1-9]|[12]\\d|3[01])-(?:1[89]|20)\\d{2}\\b',
  },
  // Any d/m/yyyy with a four-digit year (`24/03/1961`: day first; month first is below).
  {
    name: 'date',
    needs: DIGITS,
    source: '\\b(?:0?[1-9]|[12]\\d|3[01])/(?:0?[1-9]|[12]\\d|3[01])/(?:1[89]|20)\\d{2}\\b',
  },
  // A month and year after a birth label (`DOB March 1961`, `born in 03/1961`): the day is missing,
  // the rest of the date of birth is still written.
  {
    name: 'date',
    needs: DIGITS,
    source: `(?<=\\b(?:dob|d\\.o\\.b|date\\s{1,2}of\\s{1,2}birth|birth\\s{0,2}date|birthday|born)(?:\\s{1,2}(?:is|was|on|in))?[\\s.:=,#-]{1,4})(?:(?:${MONTH})\\.?,?\\s{1,3}|(?:0?[1-9]|1[0-2])[/.-])(?:1[89]|20)\\d{2}\\b`,
  },
  // Ages over 89 (Safe Harbor): `92-year-old`, `age 94`, `aged 101`, `95 y/o`, `93yo`.
  {
    name: 'age',
    needs: DIGITS,
    source:
      '\\bage[d]?[\\s:=]{1,3}(?:9\\d|1[0-4]\\d)[fm]?\\b|\\b(?:9\\d|1[0-4]\\d)(?:[\\s-]{0,2}(?:years?|yrs?)(?:[\\s-]{1,2}old)?|\\s?(?:y/o|y\\.o\\.|yo)\\b)',
    // `age 91F` is an age and a sex; `max-age 95m` and `cache age 90m` are durations
    check: (m: string) => !/[fm]$/.test(m),
  },
  // Clinical shorthand: an age over 89 and the sex in capitals (`91F`, `91 yo M`, `102M`) at the
  // start of a sentence or after `a`, `an`, `pt`, `patient`, `is`, and before the words of a
  // presentation (`presents`, `with`, `c/o`, `s/p`…): `heap 95M with gc` (a size) and
  // `temp 99F with chills` (a temperature) stay.
  {
    name: 'age',
    needs: DIGITS,
    source:
      '(?<=^\\s{0,3}|[.;!?(]\\s{0,3}|(?<![a-z])(?:an?|pt|patient|is|was)\\s{1,2})(?:9\\d|1[0-4]\\d)\\s?(?:(?:yo|y/o|y\\.o\\.)\\s?)?[fm]\\b(?=,?\\s{1,3}(?:(?:presents?|presenting|presented|with|who|admitted|complaining|brought|seen|referred|here|pt|patient|arrived|reports?|reporting|found|transferred|hx|pmh|cc|bib|history|s/p|c/o|h/o|w/)(?![a-z])|[hcswn]/))',
    check: ageSex,
  },
  // A Medicare Beneficiary Identifier (CMS format, 11 characters: digit, letter, letter or digit,
  // digit, letter, letter or digit, digit, letter, letter, digit, digit; no S L O I B Z), written
  // in capitals, with or without its dashes (`1EG4-TE5-MK73`).
  {
    name: 'health-plan',
    needs: DIGITS,
    source: `\\b[1-9]${MBI_L}${MBI_A}\\d-?${MBI_L}${MBI_A}\\d-?${MBI_L}{2}\\d{2}\\b`,
    check: capitals,
  },
  // A Canadian health card written 4-3-3 (`1234-567-890-AB`, `1234 567 890AB`; without the
  // version code, only with a Luhn check digit).
  {
    name: 'health-plan',
    needs: DIGITS,
    source: '\\b\\d{4}[- ]\\d{3}[- ]\\d{3}(?:-?[a-z]{2})?\\b',
    check: healthCard,
  },
  // VINs need a digit too, but are a family of their own (same characters, another key): an
  // alternative of 17 letters or digits would be tried at every letter of every string with a
  // digit; alone, its gate (a run of 17 letters and digits) skips it on nearly every string. No
  // other digit rule can match where a VIN starts or inside one, so the order is unchanged.
  { name: 'vin', source: '\\b[a-hj-npr-z0-9]{17}\\b', check: vin, needs: '9876543210' },
  // Identifiers in URL paths: `/patients/12345`, `Patient/881` (FHIR references).
  {
    name: 'url',
    needs: '/',
    source:
      '(?<=\\b(?:patients?|members?|persons?|people|subscribers?|beneficiar(?:y|ies)|guarantors?|charts?|mrns?|relatedperson|practitioners?)/)[^/?#\\s"\'<>]{1,64}',
    check: hasDigit,
  },
  // Photo and image file names (a full-face photograph is an identifier).
  {
    name: 'photo',
    needs: '.',
    source: '(?<![\\w.-])[\\w.-]{1,80}\\.(?:jpe?g|png|gif|bmp|tiff?|heic|heif|webp|dcm)\\b',
  },
  {
    name: 'device',
    source: '\\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\\b|\\b[0-9a-f]{2}(?:-[0-9a-f]{2}){5}\\b',
    needs: ':-',
  },
  { name: 'device', source: '\\(01\\)\\d{14}(?:\\(\\d{2}\\)[a-z0-9]{1,20}){0,6}', needs: DIGITS },
  {
    name: 'date',
    source: '\\b(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\\d|3[01])/(?:19|20)?\\d{2}\\b',
    needs: DIGITS,
  },
  {
    name: 'phone',
    needs: DIGITS,
    source: '(?:\\+\\d{1,3}[\\s.-]?)?(?:\\(\\d{3}\\)\\s?|\\b\\d{3}[\\s.-])\\d{3}[\\s.-]\\d{4}\\b',
  },
  { name: 'phone', source: '\\+\\d{8,15}\\b', needs: DIGITS },
  // International numbers as written: `+36 55 123 4567`, `+49 (30) 1234-567`, `+44 7700 900123`,
  // `+44 (0)20 7946 0958`: the whole number, every group (up to 12 digits each) up to the first
  // non-digit that does not separate two groups. The check wants 8 digits or more; it sets no
  // upper bound, because a match whose check fails is skipped whole (nothing inside it is looked
  // at again), so a phone number followed by more digits is redacted with them rather than kept.
  {
    name: 'phone',
    needs: DIGITS,
    source:
      '\\+\\d{1,12}(?:[\\s.-]{0,2}\\(\\d{1,4}\\))?(?:[\\s.-]{1,2}\\d{1,12}|(?<=\\))\\d{1,12}){1,6}\\b',
    check: internationalPhone,
  },
  // National numbers of the UK (11 digits from the leading 0, in groups: `07700 900123`,
  // `020 7946 0958`, `0161 496 0000`; a mobile also unspaced) and of France (`06 12 34 56 78`).
  {
    name: 'phone',
    needs: DIGITS,
    source: '\\b0[1-9]\\d{1,3}[ -]\\d{3,4}(?:[ -]?\\d{3,4})?\\b|\\b07\\d{9}\\b',
    check: ukPhone,
  },
  {
    name: 'phone',
    needs: DIGITS,
    source: '(?<![\\w.-]|\\d )0[1-9](?:[ .-]\\d{2}){4}(?![\\w.-]| \\d)',
  },
  // An NHS number (`943 476 5919`, `9434765919`): 10 digits from 4 to 9 (numbers issued in
  // England and Wales and the test range; epoch seconds start with 1), with the check digit.
  {
    name: 'nhs',
    needs: DIGITS,
    // Ten bare digits pass the check once in eleven, so about one 10-digit id in eleven starting
    // 4-9 is taken too: the rules prefer that to writing an NHS number (README).
    source: '\\b[4-9]\\d{2}[ -]?\\d{3}[ -]?\\d{4}\\b',
    check: nhsNumber,
  },
  // Not right after a product token (`Chrome/120.0.0.0`, `Version/17.1.2.3` in a user agent);
  // after a path or URL (`http://10.1.2.3/`, `/hosts/10.1.2.3`) or a word it is still an address.
  {
    name: 'ip',
    source: '(?<!(?:^|[\\s(;,])[a-z][a-z0-9._-]{0,30}/)\\b(?:\\d{1,3}\\.){3}\\d{1,3}\\b',
    check: ipv4,
    needs: DIGITS,
  },
  {
    name: 'ip',
    source:
      '\\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\\b|\\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:?){0,6}[0-9a-f]{0,4}\\b',
    needs: ':',
  },
  // A ZIP after a US state code written in capitals (`TX 77006`), and any ZIP+4; "to 99213" is a CPT code.
  {
    name: 'zip',
    needs: DIGITS,
    source: `\\b(?:${STATES})\\s{1,3}\\d{5}(?:-\\d{4})?\\b|\\b\\d{5}-\\d{4}\\b`,
    check: stateInCapitals,
  },
  // A ZIP or postal code after its label (`zip 02139`, `postal code: 62704`).
  {
    name: 'zip',
    needs: DIGITS,
    source:
      '(?<=\\b(?:zip|zip\\s{0,2}code|postal\\s{0,2}code|post\\s{0,2}code|postcode)[\\s:#=]{1,3})\\d{5}(?:-\\d{4})?\\b',
  },
  // A UK postcode in capitals: a postcode area, its district, a space and the inward code
  // (`NW1 6XE`, `SW1A 1AA`; the inward letters never C I K M O V).
  {
    name: 'zip',
    needs: DIGITS,
    source: `\\b(?:${UK_AREAS})\\d[a-z\\d]?\\s\\d[abd-hjlnp-uw-z]{2}\\b`,
    check: ukPostcode,
  },
]);

/** What one pass over a string counts, for the gates below (see `textStats`). */
export interface TextStats {
  /** ASCII digits. */
  digits: number;
  colons: number;
  dashes: number;
  /** The longest run of ASCII letters and digits. */
  longestAlnum: number;
  /** The character classes of the string (`classify`), found in the same pass. */
  classes?: number;
}

/** Character classes of a string, found in one pass (see `classify`). */
export const C_DIGIT = 1;
export const C_UPPER = 2; // A-Z
export const C_NONASCII = 4; // any code unit from 0x80 on (placeholders included)
export const C_PLACEHOLDER = 8; // \ue000 or \ue001
export const C_CONTROL = 16; // what NEEDS_ESCAPE finds
export const C_AT = 32;
export const C_QUESTION = 64;
export const C_EQUALS = 128;
export const C_COLON = 256;
export const C_SLASH = 512;
export const C_DOT = 1024;
export const C_PIPE = 2048;
export const C_BRACKET = 4096; // { or [
export const C_HASH = 8192;
export const C_DASH = 16384;
/** ASCII code unit -> its class bits. */
export const ASCII_CLASS = new Uint16Array(128);
for (let c = 48; c <= 57; c++) ASCII_CLASS[c] = C_DIGIT;
for (let c = 65; c <= 90; c++) ASCII_CLASS[c] = C_UPPER;
for (const [ch, bit] of [
  ['@', C_AT],
  ['?', C_QUESTION],
  ['=', C_EQUALS],
  [':', C_COLON],
  ['/', C_SLASH],
  ['.', C_DOT],
  ['|', C_PIPE],
  ['{', C_BRACKET],
  ['[', C_BRACKET],
  ['#', C_HASH],
  ['-', C_DASH],
] as const)
  ASCII_CLASS[ch.charCodeAt(0)] = bit;
for (let c = 0; c <= 0x1f; c++) if (c !== 9) ASCII_CLASS[c] = C_CONTROL; // \t is kept
ASCII_CLASS[0x7f] = C_CONTROL;
/** The character classes `text` holds (one pass, no allocation). */
export function classify(text: string): number {
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) bits |= ASCII_CLASS[c] as number;
    else {
      bits |= C_NONASCII;
      if (c === 0xe000 || c === 0xe001) bits |= C_PLACEHOLDER;
      else if (c === 0x2028 || c === 0x2029) bits |= C_CONTROL;
    }
  }
  return bits;
}

/** Counts in one pass what the gates of the default rules look at. */
export function textStats(text: string, into: TextStats): TextStats {
  let digits = 0;
  let colons = 0;
  let dashes = 0;
  let run = 0;
  let longest = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) bits |= ASCII_CLASS[c] as number;
    else {
      bits |= C_NONASCII;
      if (c === 0xe000 || c === 0xe001) bits |= C_PLACEHOLDER;
      else if (c === 0x2028 || c === 0x2029) bits |= C_CONTROL;
    }
    if (c >= 48 && c <= 57) {
      digits++;
      run++;
    } else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) run++;
    else {
      if (run > longest) longest = run;
      run = 0;
      if (c === 58) colons++;
      else if (c === 45) dashes++;
    }
  }
  into.classes = bits;
  into.digits = digits;
  into.colons = colons;
  into.dashes = dashes;
  into.longestAlnum = Math.max(run, longest);
  return into;
}

const IMAGE_EXTENSIONS = new Set([
  'jpg',
  'jpeg',
  'png',
  'gif',
  'bmp',
  'tif',
  'tiff',
  'heic',
  'heif',
  'webp',
  'dcm',
]);
function wordChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 // _
  );
}
/** True when `.jpg`, `.png`… (any case) ends a word somewhere in `text` (what the photo rule needs). */
export function hasImageExtension(text: string): boolean {
  for (let dot = text.indexOf('.'); dot >= 0; dot = text.indexOf('.', dot + 1)) {
    let end = dot + 1;
    while (end < text.length && end - dot <= 5 && wordChar(text.charCodeAt(end))) end++;
    if (end - dot < 4 || (end < text.length && wordChar(text.charCodeAt(end)))) continue;
    if (IMAGE_EXTENSIONS.has(text.slice(dot + 1, end).toLowerCase())) return true;
  }
  return false;
}

/** The path segments after which the url rule looks (its look-behind, as whole words). */
const PERSON_PATHS = new Set(
  (
    'patient patients member members person persons people subscriber subscribers beneficiary ' +
    'beneficiaries guarantor guarantors chart charts mrn mrns relatedperson practitioner practitioners'
  ).split(' '),
);
/** True when some `/` follows one of those words (any case) standing alone: what the url rule needs. */
export function hasPersonPath(text: string): boolean {
  for (let slash = text.indexOf('/'); slash >= 0; slash = text.indexOf('/', slash + 1)) {
    let start = slash;
    while (start > 0 && slash - start <= 14 && wordChar(text.charCodeAt(start - 1))) start--;
    if (slash - start < 3 || (start > 0 && wordChar(text.charCodeAt(start - 1)))) continue;
    if (PERSON_PATHS.has(text.slice(start, slash).toLowerCase())) return true;
  }
  return false;
}

/**
 * Necessary conditions of the default value patterns, checked before a family's regular
 * expression runs: each returns false only when the rule cannot match the string (fewer digits
 * than its shortest match holds, no image extension, too few colons…). Marks made by earlier
 * families only remove characters, so counts taken before the patterns stay upper bounds.
 * A family whose rules all have a gate is skipped when no gate passes.
 */
const JWT_START = /eyj/i;
const BEARER_WORD = /bearer/i;
const BASIC_WORD = /basic/i;
/** The token rules' gates: the word or the start each rule's match needs (any case). */
function tokenGate(source: string): (text: string) => boolean {
  const word = source.includes('bearer')
    ? BEARER_WORD
    : source.includes('basic')
      ? BASIC_WORD
      : JWT_START;
  return (text) => word.test(text);
}

export const RULE_GATES: WeakMap<PatternRule, (text: string, s: TextStats) => boolean> =
  new WeakMap();
{
  const minDigits: Record<string, number> = {
    ssn: 9,
    mrn: 4,
    card: 13,
    date: 3,
    age: 2,
    phone: 4,
    ip: 4,
    zip: 5,
    nhs: 10,
    'health-plan': 5,
  };
  for (const rule of DEFAULT_PATTERNS) {
    const min = minDigits[rule.name];
    if (rule.check === ukPostcode)
      RULE_GATES.set(rule, (_t, s) => s.digits >= 2 && ((s.classes ?? C_UPPER) & C_UPPER) !== 0);
    else if (rule.name === 'query') RULE_GATES.set(rule, (t) => t.includes('='));
    else if (rule.name === 'photo') RULE_GATES.set(rule, hasImageExtension);
    else if (rule.name === 'token') RULE_GATES.set(rule, tokenGate(rule.source));
    else if (rule.name === 'url') RULE_GATES.set(rule, hasPersonPath);
    else if (rule.name === 'vin')
      RULE_GATES.set(rule, (_t, s) => s.digits >= 1 && s.longestAlnum >= 17);
    else if (rule.name === 'device' && rule.needs === ':-')
      RULE_GATES.set(rule, (_t, s) => s.colons >= 5 || s.dashes >= 5);
    else if (rule.name === 'device') RULE_GATES.set(rule, (_t, s) => s.digits >= 14);
    else if (rule.name === 'ip' && rule.needs === ':')
      RULE_GATES.set(rule, (t, s) => s.colons >= 7 || (s.colons >= 2 && t.includes('::')));
    else if (min !== undefined && rule.needs === DIGITS)
      RULE_GATES.set(rule, (_t, s) => s.digits >= min);
  }
}
