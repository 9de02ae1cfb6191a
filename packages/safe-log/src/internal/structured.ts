/**
 * Identifiers found by the structure around them rather than by their own shape: HL7 v2 fields
 * by segment and position, database drivers' duplicate-key messages, SQL literals, `key: value`
 * pairs written into text, and labelled identifiers ("Member ID: XK1234", "VIN …").
 */
import { asciiAlnum } from './chars';
import { knownNameWord } from './names';
import { re } from './regexps';
import { identifierKey } from './siblings';

/** Replaces one found value (`kind` '' for a value found by its key name). */
/**
 * Marks one found value as `kind` and returns its placeholder. `shapeKind`: the kind whose shape
 * rule applies (internal/siblings.ts) when it is not `kind` itself (a sensitive key's value is
 * written as `[REDACTED]`, kind `''`, and is an identifier only after an identifier key: `id`).
 */
export type Mark = (kind: string, value: string, shapeKind?: string) => string;
/** Placeholders of marks start with this character (see redactor.ts): never re-marked. */
export const PLACEHOLDER = '\ue000';

// ----- HL7 v2 ----------------------------------------------------------------------------------

/** A string is treated as HL7 v2 when it holds one of these segments. */
const HL7_HINT = re('(?<![A-Za-z0-9])(?:MSH|PID|NK1|GT1|IN1|IN2|PV1|MRG|PD1)\\|', '');
/**
 * Segment ids of HL7 v2.x (and every `Z..` site segment), for a segment that does not start a line
 * (`hl7=PID|…`, `received PID|…`).
 */
const KNOWN_SEGMENTS =
  'ABS|ACC|ADD|ADJ|AFF|AIG|AIL|AIP|AIS|AL1|APR|ARQ|AUT|BHS|BLC|BLG|BPO|BPX|BTS|BTX|CDM|CER|CM0|CM1|CM2|CNS|CON|CSP|CSR|CSS|CTD|CTI|DB1|DG1|DRG|DSC|DSP|ECD|ECR|EDU|EQP|EQU|ERR|EVN|FAC|FHS|FT1|FTS|GOL|GP1|GP2|GT1|IAM|IIM|ILT|IN1|IN2|IN3|INV|IPC|ISD|ITM|IVC|IVT|LAN|LCC|LCH|LDP|LOC|LRL|MFA|MFE|MFI|MRG|MSA|MSH|NCK|NDS|NK1|NPU|NSC|NST|NTE|OBR|OBX|ODS|ODT|OM1|OM2|OM3|OM4|OM5|OM6|OM7|ORC|ORG|OVR|PCR|PD1|PDA|PDC|PEO|PES|PID|PKG|PMT|PR1|PRA|PRB|PRC|PRD|PSG|PSH|PSL|PSS|PTH|PV1|PV2|PYE|QAK|QID|QPD|QRD|QRF|QRI|RCP|RDF|RDT|REL|RF1|RFI|RGS|RMI|ROL|RQ1|RQD|RXA|RXC|RXD|RXE|RXG|RXO|RXR|SAC|SCD|SCH|SCP|SDD|SFT|SID|SLT|SPM|STF|STZ|TCC|TCD|TQ1|TQ2|TXA|UAC|UB1|UB2|URD|URS|VAR|VND';
/**
 * A segment start: three capitals or digits and the field separator, at the start of the text or
 * of a line (a CR or LF, or those written as `\r` / `\n`); elsewhere only a known segment id after
 * a character that is not part of HL7 content. Never after `|`, `^`, `~` or `&`: a field or
 * component made of three capitals (`ENG`, the identifier type `MRN`) is not a new segment, so
 * the fields after it stay in their person segment.
 */
const HL7_SEGMENT = re(
  `(?:(?<=^|[\\r\\n]|\\\\[rn])[A-Z][A-Z0-9]{2}|(?<![A-Za-z0-9|^~&\\\\])(?:${KNOWN_SEGMENTS}|Z[A-Z0-9]{2}))\\|`,
  'g',
);
const LINE_BREAK = re('[\\r\\n]', '');
/** Splits text into lines, keeping each line break (at odd indexes). */
const LINE_SPLIT = re('(\\r\\n|\\r|\\n)', '');
/** Segments about a person: every field but the set id and short codes is an identifier. */
const PERSON_SEGMENTS = new Set([
  'PID',
  'PD1',
  'NK1',
  'GT1',
  'IN1',
  'IN2',
  'IN3',
  'MRG',
  'PV1',
  'PV2',
  'ROL',
  'ACC',
  'IAM',
  'STF',
  'PRD',
  'CTD',
]);
/** Field values kept in person segments: empty, or a short code (sex `F`, class `I`, relation `SPO`). */
const HL7_CODE = re('^[A-Z]{1,3}$', '');

function redactSegment(segment: string, mark: Mark): string {
  const fields = segment.split('|');
  for (let i = 2; i < fields.length; i++) {
    const f = fields[i] as string;
    if (f !== '' && !HL7_CODE.test(f)) fields[i] = mark('hl7', f);
  }
  return fields.join('|');
}

/** True at the start of the text or of a line (CR, LF, or `\\r` / `\\n` written out). */
function lineStart(text: string, at: number): boolean {
  // Spaces or tabs between the line break and the segment id (`\r\n PID|`) are skipped.
  let i = at;
  while (i > 0 && at - i < 8 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  if (i === 0) return true;
  const c = text[i - 1];
  if (c === '\r' || c === '\n') return true;
  return text[i - 2] === '\\' && (c === 'r' || c === 'n');
}

/** Person segments of HL7 v2 messages inside `text`, redacted by position. */
export function redactHl7(text: string, mark: Mark): string {
  if (!HL7_HINT.test(text)) return text;
  const starts: number[] = [];
  HL7_SEGMENT.lastIndex = 0;
  let lined: boolean | undefined;
  for (let m = HL7_SEGMENT.exec(text); m !== null; m = HL7_SEGMENT.exec(text)) {
    // A known id after other text starts only the first segment (`hl7=PID|…`); in a message
    // whose segments are on lines of their own, later segments start a line, so `12 HIGH ST
    // LOC|` inside a field does not end its segment. A message flattened onto one line
    // (segments joined by spaces, after the first segment) keeps the known-id rule.
    if (starts.length === 0) {
      starts.push(m.index);
      const rest = text.slice(m.index);
      lined = LINE_BREAK.test(rest) || rest.includes('\\r') || rest.includes('\\n');
    } else if (!lined || lineStart(text, m.index)) starts.push(m.index);
  }
  let out = '';
  let done = 0;
  for (let k = 0; k < starts.length; k++) {
    const start = starts[k] as number;
    const next = starts[k + 1] ?? text.length;
    const id = text.slice(start, start + 3);
    // Z segments are a site's own: they often carry the person's data, so they count as one.
    if (!PERSON_SEGMENTS.has(id) && id[0] !== 'Z') continue;
    const rest = text.slice(start, next);
    const br = LINE_BREAK.exec(rest);
    const seg = br ? rest.slice(0, br.index) : rest;
    out += text.slice(done, start) + redactSegment(seg, mark);
    done = start + seg.length;
  }
  return out + text.slice(done);
}

// ----- database drivers ------------------------------------------------------------------------

/** PostgreSQL: `Key (ssn, dob)=(123-45-6789, 1984-03-12) already exists.` */
const PG_KEY = re(
  '(?<=\\bKey \\([^()\\n]{1,200}\\)=\\()(?:[^()\\n]|\\([^()\\n]{0,100}\\)){1,500}(?=\\))',
  'g',
);
/** MySQL: `Duplicate entry 'ana@example.org' for key 'users.email'`. */
const MYSQL_DUP = re("(?<=\\bDuplicate entry ')(?:[^'\\\\\\n]|\\\\.){1,500}(?=' for key)", 'gi');
/** MongoDB: `E11000 duplicate key error … dup key: { email: "ana@example.org" }`. */
const MONGO_DUP = re('(?<=\\bdup key: \\{)[^{}\\n]{1,1000}(?=\\})', 'g');
/** PostgreSQL: `Failing row contains (7, Okafor, Chidi, null, 078051120).`: every column of the row. */
const PG_ROW = 'Failing row contains (';

/**
 * Every `Failing row contains (…)` row, up to its closing parenthesis (nested ones, quotes and
 * line breaks included), or to the end of the text when it never closes: all of it is marked.
 */
function redactPgRows(text: string, mark: Mark): string {
  let out = '';
  let done = 0;
  for (let at = text.indexOf(PG_ROW); at >= 0; at = text.indexOf(PG_ROW, done)) {
    const start = at + PG_ROW.length;
    let depth = 1;
    let end = start;
    for (; end < text.length; end++) {
      const c = text.charCodeAt(end);
      if (c === 40) depth++;
      else if (c === 41 && --depth === 0) break;
    }
    out += text.slice(done, start) + (end > start ? mark('key', text.slice(start, end)) : '');
    done = end;
    if (done >= text.length) break;
  }
  return done === 0 ? text : out + text.slice(done);
}
/** SQL text: quoted literals once the string looks like a statement. */
const SQL_HINT = re(
  '\\b(?:insert\\s{1,3}into|delete\\s{1,3}from|values\\s{0,3}\\(|where\\s{1,3}[\\w."`]{1,64}\\s{0,3}(?:=|like\\b|in\\b))',
  'i',
);
const SQL_LITERAL = re("'(?:[^'\\n]|''){0,500}'", 'g');

/** What SQL_HINT needs (one of its words, any case): a cheap look before the regular expression. */
const SQL_WORDS = re('insert|delete|values|where', 'i');

export function redactDrivers(text: string, mark: Mark): string {
  let out = text;
  if (out.includes('Key (')) out = out.replace(PG_KEY, (v: string) => mark('key', v));
  if (out.includes(PG_ROW)) out = redactPgRows(out, mark);
  if (out.includes('uplicate entry')) out = out.replace(MYSQL_DUP, (v: string) => mark('key', v));
  if (out.includes('dup key'))
    out = out.replace(MONGO_DUP, (v: string) => ` ${mark('key', v.trim())} `);
  if (SQL_WORDS.test(out) && SQL_HINT.test(out))
    out = out.replace(SQL_LITERAL, (v: string) => `'${mark('sql', v.slice(1, -1))}'`);
  return out;
}

// ----- key: value pairs in text ------------------------------------------------------------------

/**
 * `ssn=123`, `"email": "…"`, `{ email: "…" }`, `dob: 1984-03-12` written into a string. After an
 * authorization key, a scheme and its credential are one value (`Authorization: Basic dXNl…`
 * wrote the credential once `Basic` was taken for the value); a Digest header to the line's end.
 */
const KEY_VALUE = re(
  '(?<![A-Za-z0-9_.-])([A-Za-z_][A-Za-z0-9_.-]{0,40}(?:[ ][A-Za-z_][A-Za-z0-9_.-]{0,40})?)["\']?[ \\t]{0,2}[:=][ \\t]{0,2}(?:"((?:[^"\\\\\\n]|\\\\.){0,300})"|\'([^\'\\n]{0,300})\'|((?:[Bb]asic|[Bb]earer|[Tt]oken|[Nn]egotiate|NTLM|DPoP|[Aa]pi[Kk]ey|SSWS)[ ]{1,2}[A-Za-z0-9._~+/-]{1,16384}={0,2}|(?:[Dd]igest|AWS4-HMAC-SHA256)[ ][^\\r\\n]{1,2000}|\\[[^\\[\\]\\r\\n]{0,300}\\]|[^\\s"\',;|&{}\\[\\]()<>]{1,120}))',
  'g',
);

function keyChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 95 ||
    c === 46 ||
    c === 45 // _ . -
  );
}

/**
 * True when some `:` or `=` in `text` follows a token (or two, `first name:`) that is a sensitive
 * key and is not followed by a mark: a superset of the places KEY_VALUE can redact (its key is the whole token before the
 * separator, a quote and two spaces or tabs between; a value that holds a mark is left alone), so
 * when this is false the regular expression would change nothing and is not run.
 */
function sensitiveKeyBefore(text: string, sensitiveKey: (key: string) => boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 58 && c !== 61) continue; // : =
    let after = i + 1;
    while (after < i + 3 && (text[after] === ' ' || text[after] === '\t')) after++;
    if (text[after] === PLACEHOLDER) continue;
    let end = i;
    while (end > i - 2 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
    if (text[end - 1] === '"' || text[end - 1] === "'") end--;
    let start = end;
    while (start > 0 && keyChar(text.charCodeAt(start - 1))) start--;
    if (start === end) continue;
    if (sensitiveKey(text.slice(start, end))) return true;
    // A two-word key (`first name:`): the word before, after one space.
    if (text[start - 1] !== ' ') continue;
    let first = start - 1;
    while (first > 0 && keyChar(text.charCodeAt(first - 1))) first--;
    if (first < start - 1 && sensitiveKey(text.slice(first, end))) return true;
  }
  return false;
}

/** One more word of a name after a name key's value: blanks, then letters (`'`, `’`, `.`, `-` inside). */
const NEXT_NAME_WORD = re("^[ \\t]{1,2}(\\p{L}[\\p{L}'’.-]{0,40})(?![\\p{L}\\p{N}_])", 'u');
/** `Last, First` after a name key (`DOE, JANE`, `okafor, chidi`): a comma, then one word. */
const NEXT_GIVEN_WORD = re("^,[ \\t]{0,2}(\\p{L}[\\p{L}'’.-]{0,40})(?![\\p{L}\\p{N}_])", 'u');
/** At most this many words after the first of a name (`mary ann o’brien-smith`). */
const NAME_WORDS_AFTER = 4;
const CAPITALISED = re('^\\p{Lu}', 'u');
/** Particles of surnames (`van der Berg`, `de la Cruz`, `bin Ali`): taken when a name word follows. */
const NAME_PARTICLES: ReadonlySet<string> = new Set(
  'van der den de del della la le von zu bin binti bint ibn al el da di dos das du ter ten mac st'.split(
    ' ',
  ),
);
/**
 * Given names in the dictionary that are more often words of the sentence after a name (`jane
 * will be notified`, `doe mark as read`): not taken after the first word unless capitalised.
 */
const NAME_STOP_WORDS: ReadonlySet<string> = new Set(
  'will may mark bill said can sue drew chase grant sent read sat'.split(' '),
);
/** A word that continues a name after a name key: a known name (not a stop word) or capitalised. */
function nameWordAfterKey(word: string): boolean {
  if (CAPITALISED.test(word)) return true;
  return !NAME_STOP_WORDS.has(word.toLowerCase()) && knownNameWord(word);
}

/**
 * Where the name that starts at `from` (just after its first word) ends: over the words that
 * continue it (nameWordAfterKey; a particle when a name word follows it), at most
 * NAME_WORDS_AFTER of them, and `, <word>` after a single first word (`DOE, JANE`).
 */
function nameEnd(text: string, from: number): number {
  let end = from;
  let words = 0;
  const wordAt = (at: number) => NEXT_NAME_WORD.exec(text.slice(at, at + 48));
  const comma = NEXT_GIVEN_WORD.exec(text.slice(end, end + 48));
  if (comma !== null && nameWordAfterKey(comma[1] as string)) {
    end += (comma[0] as string).length;
    words++;
  }
  while (words < NAME_WORDS_AFTER) {
    const next = wordAt(end);
    if (next === null) break;
    const word = next[1] as string;
    if (NAME_PARTICLES.has(word.toLowerCase())) {
      // `van der Berg`: the particles and the word after them, or none of them.
      let at = end + (next[0] as string).length;
      let after = wordAt(at);
      for (
        let particles = 1;
        after !== null && particles < 4 && NAME_PARTICLES.has((after[1] as string).toLowerCase());
        particles++
      ) {
        at += (after[0] as string).length;
        after = wordAt(at);
      }
      if (after === null || !nameWordAfterKey(after[1] as string)) break;
      end = at + (after[0] as string).length;
    } else if (nameWordAfterKey(word)) end += (next[0] as string).length;
    else break;
    words++;
  }
  return end;
}

/**
 * Values written after a sensitive key name inside text. A key may be two words (`first name:`,
 * `last name =`); when the two are not a sensitive key, the last alone may be (`admitted ssn:`).
 * After a key that names a person's name (`nameKey`: `patientName`, `last name`), an unquoted
 * value goes on over the words that follow while they are capitalised, or known given names,
 * surnames or initials (`patientName: jane doe admitted`: `jane doe`), with surname particles
 * (`van der Berg`) and `Last, First` (`DOE, JANE`), so a name is not cut after its first word.
 */
export function redactKeyValues(
  text: string,
  sensitiveKey: (key: string) => boolean,
  mark: Mark,
  nameKey: (key: string) => boolean = () => false,
): string {
  if (!sensitiveKeyBefore(text, sensitiveKey)) return text;
  const re = KEY_VALUE;
  re.lastIndex = 0;
  let out = '';
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const [match, written, dq, sq, bare] = m;
    let key = written as string;
    if (!sensitiveKey(key)) {
      const space = key.indexOf(' ');
      if (space < 0 || !sensitiveKey(key.slice(space + 1))) continue;
      key = key.slice(space + 1);
    }
    const value = dq ?? sq ?? bare ?? '';
    if (value === '' || value.includes(PLACEHOLDER)) continue;
    let end = m.index + match.length;
    let marked = value;
    if (bare !== undefined && nameKey(key)) {
      // The words of the name after its first (`jane doe`), up to the first that is not one.
      end = nameEnd(text, end);
      marked = text.slice(m.index + match.length - value.length, end);
    }
    const at = match.lastIndexOf(value);
    const placeholder = mark('', marked, identifierKey(key) ? 'id' : undefined);
    out += `${text.slice(last, m.index)}${match.slice(0, at)}${placeholder}${match.slice(at + value.length)}`;
    last = end;
    re.lastIndex = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * An XML element with text only: `<SSN>078051120</SSN>`, `<ns:PatientName>Okafor, Chidi</ns:PatientName>`.
 * The closing tag is compared in the code (no back-reference).
 */
const XML_ELEMENT = re(
  '<([A-Za-z_][A-Za-z0-9_.:-]{0,60})(?:[ \\t\\r\\n][^<>]{0,300})?>([^<>]{1,300})</([A-Za-z_][A-Za-z0-9_.:-]{0,60})>',
  'g',
);

/** Opening tags: is one of them a person (`<Patient>`, `<ns:NextOfKin id="1">`)? */
const XML_OPEN_TAG = re('<([A-Za-z_][A-Za-z0-9_.:-]{0,60})[ \\t\\r\\n/>]', 'g');

/**
 * Text of XML elements whose tag (without its namespace prefix) is a sensitive key, or a person's
 * name key (`<Name>`, `<Given>`) when an element of the text names a person.
 */
export function redactXml(
  text: string,
  sensitiveKey: (key: string) => boolean,
  personKey: (key: string) => boolean,
  nameKey: (key: string) => boolean,
  mark: Mark,
): string {
  if (!text.includes('</')) return text;
  let person: boolean | undefined;
  const inPerson = (): boolean => {
    if (person === undefined) {
      person = false;
      for (const m of text.matchAll(XML_OPEN_TAG)) {
        const tag = m[1] as string;
        if (personKey(tag.slice(tag.lastIndexOf(':') + 1))) {
          person = true;
          break;
        }
      }
    }
    return person;
  };
  return text.replace(XML_ELEMENT, (match: string, open: string, value: string, close: string) => {
    if (open !== close || value.includes(PLACEHOLDER) || value.trim() === '') return match;
    const local = open.slice(open.lastIndexOf(':') + 1);
    if (!sensitiveKey(local) && !(nameKey(local) && inPerson())) return match;
    const at = match.length - close.length - 3 - value.length;
    return `${match.slice(0, at)}${mark('', value)}${match.slice(at + value.length)}`;
  });
}

// ----- FHIR text that does not parse ----------------------------------------------------------

/** A person resource written as JSON text (`"resourceType": "Patient"`). */
const FHIR_PERSON_TEXT = re(
  '"resourceType"[ \\t\\r\\n]{0,8}:[ \\t\\r\\n]{0,8}"(?:Patient|RelatedPerson|Practitioner|Person)"',
  '',
);
/**
 * The elements of a person resource that hold what identifies them, written as JSON text: a string
 * value, or an array of strings (`"given": ["Robert", "J"]`).
 */
const FHIR_TEXT_VALUE = re(
  '"(?:family|given|prefix|suffix|text|line|city|district|state|postalCode|country|birthDate|value|display)"[ \\t\\r\\n]{0,8}:[ \\t\\r\\n]{0,8}("(?:[^"\\\\\\n]|\\\\.){0,300}"|\\[[^\\[\\]{}]{0,600}\\])',
  'g',
);

/**
 * FHIR person resources in JSON text that did not parse (cut at `maxStringLength`, or broken):
 * their name, address, telecom and identifier values by element name, whatever they hold.
 */
export function redactFhirText(text: string, mark: Mark): string {
  if (!text.includes('"resourceType"') || !FHIR_PERSON_TEXT.test(text)) return text;
  return text.replace(FHIR_TEXT_VALUE, (match: string, value: string) => {
    if (value.includes(PLACEHOLDER)) return match;
    const at = match.length - value.length;
    return `${match.slice(0, at)}"${mark('fhir', value)}"`;
  });
}

// ----- labelled identifiers --------------------------------------------------------------------

const N = '(?:\\s{1,2}(?:number|num|no\\.?|id|#))?';
/** Labels of Safe Harbor kinds, each followed by an identifier that holds a digit. */
export const LABELLED_KINDS: ReadonlyArray<readonly [string, string]> = [
  [
    'mrn',
    // `patient`, `pt`, `encounter`, `visit` alone only before an id of six digits or more (and a
    // check digit: `1234567-8`), after a blank, `#` or `:` (`Patient #12345678`, `Pt#12345678`,
    // `patients 12345678 and …`); `patient 3 of 5`, `patient 125000 of 400000`, `pt 123456 rows`
    // and a UUID stay.
    `mrn|medical\\s{1,2}record${N}|med\\s{1,2}rec${N}|mr#|chart${N}|patient\\s{1,2}(?:id|number|no\\.?|#)|hospital\\s{1,2}(?:number|no\\.?)|case\\s{1,2}(?:number|no\\.?)|(?:patients?|pt|encounters?|visits?)(?=(?:[ \\t]{1,2}#?|#|:)[ \\t]?[a-z]{0,3}-?\\d{6,20}(?:-\\d{1,3})?(?![a-z0-9-])(?![ \\t]{1,2}(?:of|rows?|records?|items?|bytes?|ms)(?![a-z])))|encounter\\s{1,2}(?:id|number|no\\.?|#)|visit\\s{1,2}(?:id|number|no\\.?|#)`,
  ],
  [
    'health-plan',
    `member(?:ship)?\\s{0,2}(?:id|number|no\\.?|#)|member(?=\\s{1,2}[a-z]{1,4}\\d{6})|policy${N}|group\\s{1,2}(?:number|no\\.?|id|#)|subscriber${N}|health\\s{1,2}plan${N}|beneficiary${N}|medicare(?:\\s{1,2}(?:mbi|id|number|no\\.?))?|medicaid${N}|mbi|hicn|insurance${N}|plan\\s{1,2}id`,
  ],
  [
    'account',
    `(?:bank\\s{1,2}|billing\\s{1,2}|patient\\s{1,2})?account${N}|acct\\.?${N}|iban|routing\\s{1,2}(?:number|no\\.?)`,
  ],
  [
    'vehicle',
    `vin|(?:licen[cs]e\\s{1,2})?plate${N}|vehicle(?:\\s{1,2}(?:id|identifier))${N}|registration\\s{1,2}(?:number|no\\.?)`,
  ],
  [
    'licence',
    `driver'?s?\\s{0,2}licen[cs]e${N}|(?:nursing\\s{1,2}|medical\\s{1,2})?licen[cs]e${N}|(?<!/)dl|dea${N}|certificate${N}|cert${N}|passport${N}|state\\s{1,2}id`,
  ],
  [
    'device',
    `device(?:\\s{1,2}(?:id|serial|identifier))?${N}|(?:pacemaker\\s{1,2}|implant\\s{1,2}|pump\\s{1,2})?serial${N}|s/n|sn|imei|mac\\s{1,2}address`,
  ],
  [
    'biometric',
    '(?:fingerprint|biometric|retina(?:l)?(?:\\s{1,2}scan)?|iris(?:\\s{1,2}scan)?|voice\\s{0,2}print|face\\s{1,2}template|facial\\s{1,2}template|palm(?:\\s{1,2}(?:vein|print))?)(?:\\s{1,2}(?:template|scan))?(?:\\s{1,2}(?:id|ref|reference))?',
  ],
  ['ssn', `ssn|social\\s{1,2}security${N}|ss#|sin|nhs${N}|national\\s{1,2}id${N}|tax\\s{1,2}id`],
  ['date', 'dob|date\\s{1,2}of\\s{1,2}birth|birth\\s{0,2}date|born|d\\.o\\.b\\.?'],
];

/**
 * `<label> [:#=] <value>`: the value is a token of letters and digits with `-`, `/`, `.` inside;
 * `is` or `was` may stand between (`SSN is 078051120`). A label may be plural (`MRNs 1234567,
 * 7654321`): the rest of such a list is found by its shape (redactor.ts, `siblings`).
 */
export const LABELLED = re(
  `(?<![a-z0-9])(?:(${LABELLED_KINDS.map(([, l]) => `(?:${l})`).join(')|(')}))(s)?(?:(?<=#)|(?![a-z0-9]))(?:[^\\S\\r\\n\\u2028\\u2029]|[:#=.-]){0,4}((?:is|was)[^\\S\\r\\n\\u2028\\u2029]{1,2})?(?=[a-z0-9/.()-]{0,40}\\d)(\\(?[a-z0-9](?:[-/.()]?[a-z0-9]){1,40}\\)?)`,
  'gi',
);
const HAS_DIGIT = re('\\d', '');
const NOT_DIGITS = re('\\D', 'g');
const LETTER_FIRST = re('^[a-z]', 'i');

/**
 * What every label of LABELLED_KINDS starts with (lower case): its first word, or the part of it
 * before an optional letter. A match of LABELLED starts where no ASCII letter or digit precedes,
 * with one of these (any case), and needs an ASCII digit after the label.
 */
export const LABEL_HEADS: readonly string[] = (
  'mr med chart patient pt encounter visit hospital case member policy group subscriber health beneficiary mbi hicn ' +
  'insurance plan bank billing account acct iban routing vin licen plate vehicle registration ' +
  'driver nursing dl dea cert passport state device pacemaker implant pump serial s/n sn imei mac ' +
  'fingerprint biometric retina iris voice fac palm ss social sin nhs national tax dob date birth ' +
  'born d.o.b'
).split(' ');
/** What every label of LABELLED_PHONE starts with. */
export const PHONE_HEADS: readonly string[] = 'phone tel mobile cell fax call contact'.split(' ');

/** Heads by the char code of their first letter (lower case; ASCII only). */
type Heads = ReadonlyArray<readonly string[] | undefined>;
function byFirstLetter(heads: readonly string[]): Heads {
  const table: Array<string[] | undefined> = new Array(128).fill(undefined);
  for (const h of heads) {
    const c = h.charCodeAt(0);
    let list = table[c];
    if (!list) {
      list = [];
      table[c] = list;
    }
    list.push(h);
  }
  return table;
}
const LABEL_HEAD_INDEX = byFirstLetter(LABEL_HEADS);
const PHONE_HEAD_INDEX = byFirstLetter(PHONE_HEADS);

/** True when `head` (lower case) is written at `at` in `text`, ASCII letters in any case. */
function headAt(text: string, at: number, head: string): boolean {
  if (at + head.length > text.length) return false;
  for (let j = 0; j < head.length; j++) {
    let c = text.charCodeAt(at + j);
    if (c >= 65 && c <= 90) c |= 0x20;
    if (c !== head.charCodeAt(j)) return false;
  }
  return true;
}

/**
 * The cheap look before LABELLED or LABELLED_PHONE runs (a gate: false only when the regular
 * expression cannot match): a word start (no ASCII letter or digit
 * before it; the expressions' `(?<![a-z0-9])` with the `i` flag) that begins with a head, and
 * an ASCII digit after it (both expressions need one after the label).
 */
export function labelCandidate(text: string, heads: Heads): boolean {
  let head = false;
  let prev = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (head) return true;
    } else if (!head && c < 128 && !asciiAlnum(prev)) {
      const list = heads[c >= 65 && c <= 90 ? c | 0x20 : c];
      if (list !== undefined)
        for (const h of list)
          if (headAt(text, i, h)) {
            head = true;
            break;
          }
    }
    prev = c;
  }
  return false;
}
export const labelGate = (text: string): boolean => labelCandidate(text, LABEL_HEAD_INDEX);
/** labelGate (bit 1) and phoneLabelGate (bit 2) in one pass. */
export function labelGates(text: string): number {
  let label = false;
  let phone = false;
  let found = 0;
  let prev = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (label) found |= 1;
      if (phone) found |= 2;
      if (found === 3) return 3;
    } else if (c < 128 && !asciiAlnum(prev)) {
      const lower = c >= 65 && c <= 90 ? c | 0x20 : c;
      if (!label) {
        const list = LABEL_HEAD_INDEX[lower];
        if (list !== undefined)
          for (const h of list)
            if (headAt(text, i, h)) {
              label = true;
              break;
            }
      }
      if (!phone) {
        const list = PHONE_HEAD_INDEX[lower];
        if (list !== undefined)
          for (const h of list)
            if (headAt(text, i, h)) {
              phone = true;
              break;
            }
      }
    }
    prev = c;
  }
  return found;
}
export const phoneLabelGate = (text: string): boolean => labelCandidate(text, PHONE_HEAD_INDEX);

/** Identifiers after a label of their kind. */
export function redactLabelled(text: string, mark: Mark, gate = labelGate(text)): string {
  if (!gate) return text;
  return text.replace(LABELLED, (match: string, ...groups: unknown[]) => {
    const value = groups[LABELLED_KINDS.length + 2] as string;
    if (!HAS_DIGIT.test(value)) return match;
    const digits = value.replace(NOT_DIGITS, '').length;
    // After `is` / `was` (`SSN is 078051120`, `MRN is A1234`) only an identifier: seven digits or
    // more, or a letter then four digits or more; `retention policy is 86400 seconds` stays.
    if (groups[LABELLED_KINDS.length + 1] !== undefined) {
      if (digits < 7 && !(digits >= 4 && LETTER_FIRST.test(value))) return match;
    }
    // After a plural label (`MRNs 1234567, …`) only five digits or more: `Helm charts 1.2.3`,
    // `devices 12 online` stay.
    if (groups[LABELLED_KINDS.length] !== undefined && digits < 5) return match;
    let kind = 'id';
    for (let i = 0; i < LABELLED_KINDS.length; i++)
      if (groups[i] !== undefined) kind = (LABELLED_KINDS[i] as readonly [string, string])[0];
    return `${match.slice(0, match.length - value.length)}${mark(kind, value)}`;
  });
}

/** A phone number after a phone label, in any national format. */
export const LABELLED_PHONE = re(
  '(?<![a-z0-9])(?:phone|tel|telephone|mobile|cell|fax|call\\s{1,2}back(?:\\s{1,2}(?:on|at))?|callback(?:\\s{1,2}(?:on|at))?|contact\\s{1,2}number)(?![a-z0-9])[\\s:#=.-]{0,4}((?:is|was)\\s{1,2})?(?!\\d{4}-\\d\\d-\\d\\d)(\\+?\\(?\\d[\\d ().-]{4,22}\\d)',
  'gi',
);
export function redactLabelledPhones(
  text: string,
  mark: Mark,
  gate = phoneLabelGate(text),
): string {
  if (!gate) return text;
  return text.replace(
    LABELLED_PHONE,
    (match: string, connector: string | undefined, value: string) =>
      // after `is` / `was` only a number of seven digits or more (`tel is 200000` stays)
      connector !== undefined && value.replace(NOT_DIGITS, '').length < 7
        ? match
        : `${match.slice(0, match.length - value.length)}${mark('phone', value)}`,
  );
}

// ----- street addresses ------------------------------------------------------------------------

/** Street types written after the street's name, in English and the languages of many locales. */
const STREET_TYPES =
  'street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|parkway|pkwy|highway|hwy|circle|cir|square|sq|centers?|crossing|heights|hills?|park|point|ridge|route|row|run|trail|view|walk|close|crescent|grove|gardens|mews|loop|pike|plaza|alley|strasse|straße|str|weg|gasse|platz|allee|straat|laan|gatan|gata|vej|katu|tie|utca|ulica|ul';
const STREET_TYPE = re(`(?<![\\p{L}\\p{N}])(?:${STREET_TYPES})(?![\\p{L}\\p{N}])\\.?`, 'giu');
/** A house number: digits (and one letter) standing alone before a space. */
const HOUSE_NUMBER = re('(?<![\\p{L}\\p{N}.,:/-])\\d{1,6}[a-z]?[ ]', 'giu');
/** What may stand between the house number and the street type: at most four words. */
const STREET_WORDS = re("^(?:[\\p{L}\\p{N}.'’-]{1,30} ){0,4}$", 'u');
/** After "lives at", "address:": the rest of the clause when it holds a digit. */
const ADDRESS_LABEL = re(
  '(?<![\\p{L}])(?:lives\\s{1,2}at|resides\\s{1,2}at|residing\\s{1,2}at|home\\s{1,2}address|address|addr\\.?)[\\s:=]{1,3}([^,;|\\n]{3,80})',
  'giu',
);

const ADDRESS_HINT = re('addr|lives|resid', 'i');
const NUMBER_SPACE = re('\\d[a-z]? ', 'i');
const ADDRESS_END = new Set(
  'at in on for to from since by with and was is recorded updated until after before when'.split(
    ' ',
  ),
);

/** Street addresses: a house number, up to four words, a street type; or the clause after "lives at". */
export function redactAddresses(text: string, mark: Mark): string {
  const labelled = !ADDRESS_HINT.test(text)
    ? text
    : text.replace(ADDRESS_LABEL, (match: string, value: string) => {
        if (!HAS_DIGIT.test(value) || value.startsWith(PLACEHOLDER)) return match;
        // The address ends at the first joining word of the sentence ("… Rd at 10:00", "… in 12 ms").
        const words = value.split(' ');
        let n = 0;
        while (n < words.length && n < 8 && !ADDRESS_END.has((words[n] as string).toLowerCase()))
          n++;
        const kept = words.slice(n).join(' ');
        const at = match.length - value.length;
        const address = words.slice(0, n).join(' ');
        return `${match.slice(0, at)}${mark('address', address)}${kept ? ` ${kept}` : ''}`;
      });
  if (!NUMBER_SPACE.test(labelled)) return labelled;
  let out = '';
  let last = 0;
  STREET_TYPE.lastIndex = 0;
  for (let m = STREET_TYPE.exec(labelled); m !== null; m = STREET_TYPE.exec(labelled)) {
    const from = Math.max(last, m.index - 160);
    const before = labelled.slice(from, m.index);
    HOUSE_NUMBER.lastIndex = 0;
    for (let h = HOUSE_NUMBER.exec(before); h !== null; h = HOUSE_NUMBER.exec(before)) {
      if (STREET_WORDS.test(before.slice(h.index + h[0].length))) {
        out += `${labelled.slice(last, from + h.index)}${mark('address', labelled.slice(from + h.index, m.index + m[0].length))}`;
        last = m.index + m[0].length;
        break;
      }
    }
  }
  return out + labelled.slice(last);
}

// ----- CSV and TSV rows under a header ------------------------------------------------------------

/**
 * A header field: a column name (a letter first, then letters, digits, `_ . ( ) / -`; spaces only
 * inside quotes: `SELECT mrn, name` and prose are not headers).
 */
const CSV_HEADER_FIELD = re(
  '^[ \\t]*(?:"[\\p{L}_][\\p{L}\\p{N}_ .()/-]{0,40}"|[\\p{L}_][\\p{L}\\p{N}_.()/-]{0,40})[ \\t]*$',
  'u',
);
const CSV_DELIMITERS = [',', '\t', ';', '|'] as const;
/** Most columns of a header looked at (a wider line is not taken for one). */
const CSV_MAX_COLUMNS = 200;

/**
 * The fields of one line, split at `delimiter` outside double quotes (`""` is a quote inside one),
 * or undefined past CSV_MAX_COLUMNS. Linear in the line.
 */
function csvFields(line: string, delimiter: string): string[] | undefined {
  const fields: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === delimiter && !quoted) {
      fields.push(line.slice(start, i));
      if (fields.length > CSV_MAX_COLUMNS) return undefined;
      start = i + 1;
    }
  }
  fields.push(line.slice(start));
  return fields;
}

/**
 * One line of a table split at `delimiter`. `outer` (a table whose header starts with `|`, as in
 * Markdown: `| a | b |`): blanks and one `|` at each end are kept apart (`pre`, `post`), so the
 * fields are the columns. Without it (psql's ` a | b`) an empty first or last field is a column
 * (a NULL).
 */
function tableRow(
  line: string,
  delimiter: string,
  outer: boolean,
): { pre: string; fields: string[]; post: string } | undefined {
  if (!outer) {
    const fields = csvFields(line, delimiter);
    return fields && { pre: '', fields, post: '' };
  }
  let s = 0;
  while (s < line.length && (line[s] === ' ' || line[s] === '\t')) s++;
  let e = line.length;
  while (e > s && (line[e - 1] === ' ' || line[e - 1] === '\t')) e--;
  if (line[s] === '|') s++;
  if (e > s && line[e - 1] === '|') e--;
  const fields = csvFields(line.slice(s, e), delimiter);
  return fields && { pre: line.slice(0, s), fields, post: line.slice(e) };
}

/**
 * The rule under a table's header: psql's `-----+-----`, Markdown's `|---|:---:|` (only `-`, `=`,
 * `+`, `:`, `|` and blanks, with three dashes or more). A loop: one step per character.
 */
function tableRule(line: string): boolean {
  let dashes = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '-' || c === '=') dashes++;
    else if (c !== '+' && c !== ':' && c !== '|' && c !== ' ' && c !== '\t') return false;
  }
  return dashes >= 3;
}

/** `field` with `value` (its trimmed text) marked and the blanks around it kept. */
function markTrimmed(field: string, value: string, mark: Mark): string {
  const at = field.indexOf(value);
  return field.slice(0, at) + mark('', value) + field.slice(at + value.length);
}

/**
 * psql's expanded output (`\\x`): after a `-[ RECORD n ]` line, each `column | value` line is a
 * field, redacted when the column is sensitive or a person's name; a line without `|` ends the
 * records. `parts` are the lines and line breaks of the text (even indexes: lines), changed in
 * place; true when something was marked.
 */
function redactExpandedRecords(
  parts: string[],
  sensitiveKey: (key: string) => boolean,
  personNameKey: (key: string) => boolean,
  mark: Mark,
): boolean {
  let inRecord = false;
  let changed = false;
  for (let i = 0; i < parts.length; i += 2) {
    const line = parts[i] as string;
    if (line.startsWith('-[ RECORD ')) {
      inRecord = true;
      continue;
    }
    const bar = line.indexOf('|');
    if (!inRecord || bar < 0) {
      inRecord = false;
      continue;
    }
    const key = line.slice(0, bar).trim();
    const field = line.slice(bar + 1);
    const value = field.trim();
    if (value === '' || value.includes(PLACEHOLDER) || !(sensitiveKey(key) || personNameKey(key)))
      continue;
    parts[i] = line.slice(0, bar + 1) + markTrimmed(field, value, mark);
    changed = true;
  }
  return changed;
}

/**
 * Rows under a CSV, TSV, semicolon or `|` header written into text (`ssn,first,last` then
 * `078051120,jane,doe`): the fields of the sensitive columns are redacted in every following row
 * with as many fields, whatever they look like. A plain name column (`name`) counts as a person's
 * when another column is sensitive. A row with another number of fields ends the table.
 */
export function redactCsv(
  text: string,
  sensitiveKey: (key: string) => boolean,
  personNameKey: (key: string) => boolean,
  mark: Mark,
): string {
  const parts = text.split(LINE_SPLIT);
  if (parts.length < 3) return text;
  let columns: boolean[] | undefined;
  let delimiter = '';
  let spaced = false; // the header has a space after a delimiter
  let ruled = false; // the line after the header may be a rule (`----+----`)
  let outer = false; // `|` at both ends of the table's lines (Markdown)
  let changed = false;
  if (text.includes('-[ RECORD '))
    changed = redactExpandedRecords(parts, sensitiveKey, personNameKey, mark);
  for (let i = 0; i < parts.length; i += 2) {
    let line = parts[i] as string;
    if (columns) {
      if (ruled) {
        ruled = false;
        if (tableRule(line)) continue;
      }
      const row = tableRow(line, delimiter, outer);
      const fields = row?.fields;
      // a row of prose under a header written without spaces (`Retrying in 5s, attempt 2`)
      const prose = !spaced && delimiter !== '\t' && fields?.some((f, c) => c > 0 && f[0] === ' ');
      if (row && fields && fields.length === columns.length && !prose) {
        const marked = fields.map((f, c) => {
          const value = f.trim();
          if (!columns?.[c] || value === '' || value === '""' || value.includes(PLACEHOLDER))
            return f;
          return markTrimmed(f, value, mark);
        });
        parts[i] = row.pre + marked.join(delimiter) + row.post;
        changed = true;
        continue;
      }
      columns = undefined;
    }
    // a byte-order mark before the header (Excel's CSV UTF-8)
    if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    for (const d of CSV_DELIMITERS) {
      if (!line.includes(d)) continue;
      const pipes = d === '|' && line.trimStart().startsWith('|');
      const fields = tableRow(line, d, pipes)?.fields;
      if (!fields || fields.length < 2) continue;
      // a trailing delimiter leaves an empty last column (`mrn,name,`)
      const last = fields.length - 1;
      if (!fields.every((f, c) => CSV_HEADER_FIELD.test(f) || (c === last && f.trim() === '')))
        continue;
      const names = fields.map((f) => f.replaceAll('"', '').trim());
      const sensitive = names.map((n) => sensitiveKey(n));
      if (!sensitive.some(Boolean)) break;
      columns = names.map((n, c) => (sensitive[c] as boolean) || personNameKey(n));
      delimiter = d;
      spaced = line.includes(`${d} `);
      ruled = true;
      outer = pipes;
      break;
    }
  }
  return changed ? parts.join('') : text;
}
