/**
 * People's names in free text. Two rules, both generalising beyond any list:
 * 1. after a label or context word ("Patient", "Mr.", "Dear", "spoke with", "Name:", "signed by",
 *    a relation such as "daughter"), the following capitalised words (or words in a script without
 *    capitals) are a name, up to six of them, particles ("van", "de", "bin") included;
 * 2. anywhere, a run of two to four capitalised words of which one is a known given name (and none
 *    a facility word), or one capitalised word that is a known given name, is a name.
 * The dictionaries (src/data/names.txt, read once on first use) hold given names and surnames of many cultures, lower-cased,
 * without ordinary English words; they are split into sets on first use only.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { re } from './regexps';
import type { Mark } from './structured';

/**
 * Where the dictionary file is: `src/data/names.txt`, found from this module in the sources
 * (`src/internal/`) and in the build (`dist/`, one file for both the CommonJS and the ES module
 * build, so the package ships the dictionary once).
 */
export const NAMES_FILES: readonly string[] = [
  path.join(__dirname, '..', 'data', 'names.txt'),
  path.join(__dirname, '..', 'src', 'data', 'names.txt'),
];

/** The three lines of the dictionary file: given names, surnames, given names that are places. */
export function readNames(files: readonly string[] = NAMES_FILES): [string, string, string] {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const [g = '', s = '', p = ''] = text.split('\n');
    return [g, s, p];
  }
  const err = new Error(
    '@resil/safe-log: the names dictionary (src/data/names.txt) is missing from the package',
  );
  (err as Error & { code: string }).code = 'ERR_SAFE_LOG_NAMES_MISSING';
  throw err;
}

let dicts: { given: Set<string>; surnames: Set<string>; places: Set<string> } | undefined;
function dictionaries(): { given: Set<string>; surnames: Set<string>; places: Set<string> } {
  if (dicts === undefined) {
    const [g, s, p] = readNames();
    dicts = {
      given: new Set(g.split(' ')),
      surnames: new Set(s.split(' ')),
      places: new Set(p.split(' ')),
    };
  }
  return dicts;
}

/**
 * Words that make a run of capitalised words a place or an organisation, not a person: head nouns
 * ("Hospital", "Clinic") always do; the others ("General", "Mercy", "Kaiser", "Ward", "Santa") are
 * also people's names, so after a label they mark a facility only next to another facility word,
 * before a number ("Ward 5"), or after a place prefix ("St.", "Mount").
 */
const FACILITY_HEADS = new Set(
  (
    'hospital hospitals clinic clinics center centre medical health healthcare institute ' +
    'university college school infirmary hospice pharmacy laboratory laboratories lab labs ' +
    'foundation trust nhs sciences care unit department street avenue road inc llc ltd corp ' +
    'group services system systems network partners associates practice surgery diagnostics ' +
    'imaging rehabilitation rehab'
  ).split(' '),
);
const FACILITY_WORDS = new Set(
  (
    'general memorial children childrens county regional community methodist baptist ' +
    'presbyterian lutheran adventist catholic mercy sinai san santa kaiser permanente ward'
  ).split(' '),
);
/** Place prefixes: the capitalised words after them are a place ("St. Mary's", "Mount Sinai"). */
const PLACE_PREFIXES = new Set(['st', 'mt', 'saint', 'mount']);
const FACILITY = new Set([...FACILITY_HEADS, ...FACILITY_WORDS, ...PLACE_PREFIXES]);

/** Lower-case joining words inside a name. */
const PARTICLES = new Set(
  'van von der den de del della dei degli di da do dos das du la las los le bin ibn al el ter ten zu af av y e'.split(
    ' ',
  ),
);

/** Capitalised words that follow a label but are not names (roles, places, clinical words). */
const NOT_NAME = new Set(
  (
    'patient patients pt family member name names unknown none null undefined anonymous test ' +
    'admitted discharged called reported the a an this that who with was is has had and or for ' +
    'from at in on of to by re regarding about id mrn dob ssn no number record records chart ' +
    'phone email address room bed icu er ed or unit department doctor nurse rn md do np pa ' +
    'dr mr mrs ms miss mx prof sir madam team staff on-call oncall caller family spouse ' +
    'january february march april may june july august september october november december ' +
    'monday tuesday wednesday thursday friday saturday sunday'
  ).split(' '),
);

/**
 * Labels and context words after which a name follows (matched without case; the words after
 * them must still be capitalised, or in a script without capitals, to count as a name).
 */
const LABELS = [
  'patient',
  'pt\\.?',
  'mrs?\\.?',
  'ms\\.?',
  'miss',
  'mx\\.?',
  'dr\\.?',
  'prof\\.?',
  'dear',
  'spoke\\s{1,2}(?:with|to)',
  'talked\\s{1,2}(?:with|to)',
  'caller',
  'family\\s{1,2}member',
  'seen\\s{1,2}by',
  'signed(?:\\s{1,2}by)?',
  'attending',
  'referred\\s{1,2}by',
  'referral\\s{1,2}for',
  'ordered\\s{1,2}by',
  'reviewed\\s{1,2}by',
  'discharge\\s{1,2}summary\\s{1,2}for',
  'records\\s{1,2}of',
  'message\\s{1,2}from',
  'name',
  'full\\s{1,2}name',
  'nok',
  'next\\s{1,2}of\\s{1,2}kin',
  'emergency\\s{1,2}contact',
  'contact',
  'guardian',
  'guarantor',
  'subscriber',
  'insured',
  'mother',
  'father',
  'wife',
  'husband',
  'daughter',
  'son',
  'spouse',
  'sister',
  'brother',
  'parent',
  'relative',
  'visitor',
  'nurse',
  'rn',
  'physician',
  'provider',
  'doctor',
  'surgeon',
];

// C1 controls inside a word are mojibake (UTF-8 read as Latin-1: "Ã\u0096mer" for "Ömer")
const WORD = "[\\p{L}\\p{M}](?:[\\p{L}\\p{M}\\u0080-\\u009f]|['’‘ʻʼ-](?=\\p{L})){0,30}";
/** Between an initial and the next word there may be no space ("A.B. Smith", "A.Smith"). */
const AFTER_INITIAL = '(?<=(?<![\\p{L}\\p{N}])\\p{Lu}\\.)(?=\\p{L})';
/** A label, a separator, then up to eight words (checked one by one in code). */
const LABELLED = re(
  `(?<![\\p{L}\\p{N}])(?:${LABELS.join('|')})(?![\\p{L}\\p{N}])[\\s:,=#"'“‘-]{1,4}(${WORD}\\.?(?:(?:,\\s|\\s{1,2}|${AFTER_INITIAL})${WORD}\\.?){0,7})`,
  'giu',
);
/**
 * A run of capitalised words (at most five), for the dictionary rule. An apostrophe before it is
 * an opening quote when no letter precedes it (`'Hiroshi Tanaka'`), part of the name otherwise
 * (`O'Neil`).
 */
const CAPITAL_RUN = re(
  `(?<![\\p{L}\\p{M}\\p{N}.-]|[\\p{L}\\p{M}\\p{N}]['’‘ʻʼ])\\p{Lu}[\\p{Ll}\\p{M}](?:[\\p{L}\\p{M}]|['’‘ʻʼ-](?=\\p{L})){0,30}(?:\\s(?:(?:${[...PARTICLES].join('|')})\\s)?\\p{Lu}[\\p{Ll}\\p{M}](?:[\\p{L}\\p{M}]|['’‘ʻʼ-](?=\\p{L})){0,30}){0,4}(?![\\p{L}\\p{M}\\p{N}])`,
  'gu',
);
/** Names as EHRs print them: `SMITH, JOHN`, `JOHN SMITH` (two or three words in capitals). */
const UPPER_RUN = re(
  '(?<![\\p{L}\\p{N}])\\p{Lu}{2,30}(?:, ?| )\\p{Lu}{2,30}(?: \\p{Lu}{2,30})?(?![\\p{L}\\p{N}])',
  'gu',
);
const TWO_CAPITALS = re('\\p{Lu}{2}', 'u');
const CASED_START = re('^\\p{Lu}', 'u');
const UPPER_SEP = re(', ?| ', '');
const HAS_LOWER = re('\\p{Ll}', 'u');
const UNCASED = re('^\\p{Lo}', 'u');
const SPLIT = re(`(,\\s|\\s{1,2}|${AFTER_INITIAL})`, 'u');
const CAPITAL = re('^\\p{Lu}$', 'u');
const PLACE_BEFORE = re('(?<![\\p{L}])(?:st|mt|saint|mount)\\.?\\s$', 'iu');
const TITLES = new Set([
  'dr',
  'mr',
  'mrs',
  'ms',
  'miss',
  'mx',
  'prof',
  'pt',
  'patient',
  'rn',
  'nurse',
]);

const CALENDAR = new Set(
  (
    'january february march april may june july august september october november december ' +
    'monday tuesday wednesday thursday friday saturday sunday'
  ).split(' '),
);

/** A capitalised word that could be part of a name on its own (not a role, place or month). */
function nameWord(raw: string): boolean {
  const w = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  const lower = w.toLowerCase();
  return (
    (UNCASED.test(w) || (CASED_START.test(w) && HAS_LOWER.test(w))) &&
    !NOT_NAME.has(lower) &&
    !FACILITY.has(lower)
  );
}

/** Words after a label that never stand alone for a name: roles, record fields, placeholders. */
const ROLE_WORDS = new Set(
  (
    'patient patients pt family member name names unknown none null undefined anonymous test ' +
    'id mrn dob ssn no number record records chart phone email address room bed icu er ed unit ' +
    'department doctor nurse rn md do np pa sir madam team staff on-call oncall caller spouse'
  ).split(' '),
);
/** Short words between a name and a place, not in NOT_NAME. */
const VIA = new Set('via per into onto than then when but nor so as vs'.split(' '));
const STARTS_WITH_DIGIT = re('^\\p{N}', 'u');
const STARTS_LOWER = re('^\\p{Ll}', 'u');
/** What may follow a lone common word after a label for it to be a name ("daughter May called"). */
const LONE_NAME_AFTER = re('^(?:$|[.,;!?)]|\\s{1,2}(?:$|[(\\p{Ll}]))', 'u');
const LONE_END = re('^(?:$|[.,;!?)]|\\s{1,2}(?:$|\\())', 'u');
/** A role word ("ED", "Name") is a name only written as one and known as one ("Ed", "Name"). */
function roleOk(w: string, lower: string): boolean {
  return !ROLE_WORDS.has(lower) || (HAS_LOWER.test(w) && knownName(lower));
}
function knownName(lower: string): boolean {
  const { given: g, surnames: s } = dictionaries();
  return g.has(lower) || s.has(lower);
}

/** What may follow an initial for the initial to be part of a name. */
function initialBefore(next: string): boolean {
  const w = next.endsWith('.') ? next.slice(0, -1) : next;
  const lower = w.toLowerCase();
  return (
    (w.length === 1 && CAPITAL.test(w)) ||
    nameWord(next) ||
    PARTICLES.has(lower) ||
    (CASED_START.test(w) &&
      HAS_LOWER.test(w) &&
      !ROLE_WORDS.has(lower) &&
      (knownName(lower) || CALENDAR.has(lower)))
  );
}

/**
 * Do the capitalised words of `parts` name a facility ("Mercy General Hospital", "Kaiser
 * Permanente", "St. Mary's", "Ward 5")? Then their facility words are not names.
 */
function facilityRun(parts: string[], rest: string): boolean {
  let previousWeak = false;
  for (let i = 0; i < parts.length; i += 2) {
    const raw = parts[i] as string;
    const lower = (raw.endsWith('.') ? raw.slice(0, -1) : raw).toLowerCase();
    if (!CASED_START.test(raw)) return false; // the run of capitalised words ends here
    if (FACILITY_HEADS.has(lower) || (i === 0 && PLACE_PREFIXES.has(lower))) return true;
    const weak = FACILITY_WORDS.has(lower);
    const next = i + 2 < parts.length ? (parts[i + 2] as string) : rest.trimStart();
    if (weak && (previousWeak || STARTS_WITH_DIGIT.test(next))) return true;
    previousWeak = weak;
  }
  return false;
}

/**
 * The words after a label that form a name: capitalised (or uncased-script) words, particles
 * between. `rest` is (the start of) the text after `words`.
 */
function takeName(words: string, rest: string): [number, number] | undefined {
  const parts = words.split(SPLIT);
  const facility = facilityRun(parts, rest);
  let start = -1; // characters of `words` that belong to the name: [start, end)
  let end = 0;
  let taken = 0;
  let pos = 0;
  let particleStart = -1; // "van den Velde": particles before the first capitalised word
  let previous = '';
  for (let i = 0; i < parts.length; i += 2) {
    const raw = parts[i] as string;
    const w = raw.endsWith('.') ? raw.slice(0, -1) : raw;
    const lower = w.toLowerCase();
    const sep = i > 0 ? (parts[i - 1] as string) : '';
    if (i > 0 && sep.startsWith(',') && taken > 1) break;
    const next = parts[i + 2];
    const after = next === undefined ? rest : `${parts[i + 1]}${next}`;
    const shaped =
      UNCASED.test(w) || (CASED_START.test(w) && (HAS_LOWER.test(w) || w.length <= 12));
    const common = NOT_NAME.has(lower) && !TITLES.has(lower);
    // "A. Smith", "J. R. Okafor", "A. van der Berg", "A. May": an initial before a name word,
    // another initial or a particle is part of the name
    const initial = w.length === 1 && CAPITAL.test(w) && next !== undefined && initialBefore(next);
    const isName =
      initial ||
      (shaped &&
        (!NOT_NAME.has(lower) ||
          // "Patient August Żebrowski", "daughter Name Abbott", "Patient An Bình Hoàng": a common
          // word used as a name, known by the capitalised name word after it ("admitted May 12"
          // has a number there)
          (common && next !== undefined && nameWord(next)) ||
          // "daughter May called twice", "Dear Re,": a common word alone right after the label is
          // the name before the end or punctuation ("Contact: Has."), and before lower-case words
          // when it is a month or day or a known name ("Contact: Has called"; "Patient The
          // patient refused" keeps "The")
          (common &&
            taken === 0 &&
            i === 0 &&
            roleOk(w, lower) &&
            LONE_NAME_AFTER.test(after) &&
            (LONE_END.test(after) || CALENDAR.has(lower) || knownName(lower))) ||
          // "Jasna Has", "Alessia Re", "Hoài An": a known name or a short word, capitalised, that is
          // also a common word, after a name word
          (common &&
            taken > 0 &&
            roleOk(w, lower) &&
            HAS_LOWER.test(w) &&
            (knownName(lower) || w.length <= 3))) &&
        (!FACILITY.has(lower) || (!facility && FACILITY_WORDS.has(lower))));
    if (!isName && taken === 0 && TITLES.has(lower)) {
      // "seen by Dr. Smith": a title between the label and the name
    } else if (isName) {
      if (taken === 0) start = particleStart >= 0 ? particleStart : pos;
      taken++;
      end = pos + raw.length;
      previous = lower;
      if (raw.endsWith('.') && w.length > 1) break; // end of a sentence
    } else if (PARTICLES.has(lower) && i + 2 < parts.length) {
      if (taken === 0 && particleStart < 0) particleStart = pos;
    } else if (
      // "Xuân xanh Bùi", "Kranz sans Cornejo", "Quintero cruz de Valle": a lower-case word
      // inside a name: a short one, a known name written in lower case, or one between two
      // known names (particles may follow it)
      taken > 0 &&
      STARTS_LOWER.test(w) &&
      next !== undefined &&
      (nameWord(next) || PARTICLES.has(next.toLowerCase())) &&
      !NOT_NAME.has(lower) && // "Dr. Smith in Cardiology", "Smith and Jones"
      !VIA.has(lower) &&
      (w.length <= 4 || knownName(lower) || (knownName(previous) && knownName(next.toLowerCase())))
    ) {
      // taken with the surname after it
    } else {
      break;
    }
    pos += raw.length + (parts[i + 1]?.length ?? 0);
    if (taken >= 6) break;
  }
  if (taken === 0) return undefined;
  return [start, end];
}

/** True when the run of capitalised words is a person's name by the dictionaries. */
function dictionaryName(run: string): boolean {
  const words = run.split(' ');
  const { given: g, surnames: s, places: p } = dictionaries();
  let givenHits = 0;
  let known = 0;
  for (const w of words) {
    const lower = w.toLowerCase();
    if (FACILITY.has(lower) || NOT_NAME.has(lower)) return false;
    if (g.has(lower)) givenHits++;
    if (g.has(lower) || s.has(lower)) known++;
  }
  if (words.length === 1) {
    const w = (words[0] as string).toLowerCase();
    return givenHits === 1 && w.length >= 3 && !p.has(w);
  }
  return givenHits > 0 || known === words.length;
}

/** A cheap first look: a label word (ASCII, no Unicode tables) and a capital or a non-ASCII letter. */
const LABEL_HINT = re(
  'patient|pt|mrs?|ms|miss|mx|dr|prof|dear|spoke|talked|caller|family|seen|signed|attending|refer|ordered|reviewed|summary|records|message|name|nok|kin|contact|guardian|guarantor|subscriber|insured|mother|father|wife|husband|daughter|son|spouse|sister|brother|parent|relative|visitor|nurse|rn|physician|provider|doctor|surgeon',
  'i',
);
// Placeholders of marks (private-use characters \ue000–\uf8ff) are neither capitals nor letters.
const CAPITAL_HINT = re('[A-Z][a-z]|[^\\u0000-\\u007f\\ue000-\\uf8ff]', '');
const UPPER_HINT = re('[A-Z\\u00c0-\\udfff\\uf900-\\uffff]', '');

/**
 * Names after labels. When the words after a label hold no name ("Patient seen by Dr. Smith"),
 * the scan goes on right after that label, so a later label in the same words is still tried.
 */
function labelledNames(text: string, mark: Mark): string {
  let out = '';
  let from = 0;
  LABELLED.lastIndex = 0;
  for (let m = LABELLED.exec(text); m !== null; m = LABELLED.exec(text)) {
    const words = m[1] as string;
    const wordsAt = m.index + m[0].length - words.length;
    const span = takeName(words, text.slice(wordsAt + words.length, wordsAt + words.length + 3));
    if (!span) {
      LABELLED.lastIndex = wordsAt; // a label among these words gets its turn
      continue;
    }
    out += `${text.slice(from, wordsAt + span[0])}${mark('name', text.slice(wordsAt + span[0], wordsAt + span[1]))}`;
    from = wordsAt + span[1];
    LABELLED.lastIndex = from;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * `Surname, Given`: a known surname (`Okafor`, `Garcia-Lopez`), a comma and a name the rules found
 * of one word (or one word and an initial, or known given names): the surname was written
 * (`Okafor, [REDACTED:name]`). Not before a full name (`Cardiology, John Smith`), not a word
 * unknown as a surname (`Failed, Will retry`), not a sentence opener, label, title or facility.
 */
const SURNAME_COMMA = re(
  "(?<![\\p{L}\\p{N}'’-])(\\p{Lu}[\\p{L}'’-]{1,40}),([ ]{1,2})(\\ue000[\\s\\S]\\ue001)",
  'gu',
);
/** One word and an initial at most (`Chidi`, `Chidi A.`). */
const GIVEN_ALONE = re("^[\\p{L}\\p{M}'’-]+(?: \\p{Lu}\\.?)?$", 'u');
/** `Hernandez, Maria` with neither marked (a given name that is also a place is not taken alone). */
const SURNAME_COMMA_GIVEN = re(
  "(?<![\\p{L}\\p{N}'’-])(\\p{Lu}[\\p{L}'’-]{1,40}),[ ]{1,2}(\\p{Lu}[\\p{Ll}\\p{M}'’-]{1,30})(?![\\p{L}\\p{M}\\p{N}])",
  'gu',
);
const COMMA_OPENERS = new Set(
  (
    'however yesterday today tonight tomorrow thanks thank hello hi hey dear yes no ok okay sorry ' +
    'please also then now meanwhile afterwards later again well so still unfortunately ' +
    'fortunately finally first second third next last note notes update fyi regards cheers ' +
    'attention attn morning evening afternoon night good great sure right correct confirmed done ' +
    'instead otherwise therefore thus besides moreover furthermore additionally anyway indeed ' +
    'apparently currently previously recently initially subsequently overnight earlier welcome ' +
    'congratulations re cc from to subject team all everyone sir madam'
  ).split(' '),
);

/** Replaces people's names in `text`. */
export function redactNames(text: string, mark: Mark): string {
  if (!UPPER_HINT.test(text)) return text;
  // The names marked here, by placeholder: `Surname, Given` is looked for after them.
  let found: Map<string, string> | undefined;
  const outer = mark;
  mark = (kind, value) => {
    const placeholder = outer(kind, value);
    if (kind === 'name') {
      found ??= new Map();
      found.set(placeholder, value);
    }
    return placeholder;
  };
  let out = namesIn(text, mark);
  if (!out.includes(',')) return out;
  const names = found;
  if (names)
    out = out.replace(
      SURNAME_COMMA,
      (all: string, word: string, gap: string, placeholder: string) => {
        const given = names.get(placeholder);
        if (
          given === undefined ||
          !(GIVEN_ALONE.test(given) || allGiven(given)) ||
          !surnameLike(word) ||
          // only a known surname (or a part of a double one): `Failed, Will retry` stays
          !knownSurname(word)
        )
          return all;
        return `${outer('name', word)},${gap}${placeholder}`;
      },
    );
  if (!CAPITAL_HINT.test(out)) return out;
  return out.replace(SURNAME_COMMA_GIVEN, (all: string, surname: string, given: string) => {
    const { given: g, surnames: sn, places: p } = dictionaries();
    const lower = surname.toLowerCase();
    // `Paris, Virginia`: a place before the comma is a city and its state
    if (!sn.has(lower) || p.has(lower) || !g.has(given.toLowerCase()) || !surnameLike(surname))
      return all;
    if (NOT_NAME.has(given.toLowerCase()) || FACILITY.has(given.toLowerCase())) return all;
    return outer('name', all);
  });
}

/** Not a sentence opener, label, title or facility word (`However,`, `Dear`, `Cardiology`). */
function surnameLike(word: string): boolean {
  const lower = word.toLowerCase();
  return !(
    COMMA_OPENERS.has(lower) ||
    NOT_NAME.has(lower) ||
    TITLES.has(lower) ||
    FACILITY.has(lower)
  );
}

/**
 * A word of a person's name written after a name key in text (`patientName: jane doe`, in any
 * case): a known given name or surname (or a part of a double one, `o’brien-smith`), or an
 * initial (`A.`); never a facility word or a word NOT_NAME keeps (`admitted`, `ward`).
 */
export function knownNameWord(word: string): boolean {
  const w = word.endsWith('.') ? word.slice(0, -1) : word;
  if (w.length === 1) return LETTER.test(w);
  const lower = w.toLowerCase();
  if (FACILITY.has(lower) || NOT_NAME.has(lower)) return false;
  const { given: g, surnames: sn } = dictionaries();
  return lower
    .split(SURNAME_PARTS)
    .some((part) => part.length > 1 && (g.has(part) || sn.has(part)));
}
const LETTER = re('^\\p{L}$', 'u');

/** A known surname, or a double one with a known part (`Garcia-Lopez`). */
function knownSurname(word: string): boolean {
  const { surnames: sn } = dictionaries();
  return word
    .toLowerCase()
    .split(SURNAME_PARTS)
    .some((part) => part.length > 1 && sn.has(part));
}
const SURNAME_PARTS = re("[-'’]", '');

/** Two or three known given names (`Ana Sofia`, `Mary Ann`). */
function allGiven(name: string): boolean {
  const words = name.split(' ');
  if (words.length > 3) return false;
  const { given: g } = dictionaries();
  return words.every((w) => g.has(w.toLowerCase()));
}

function namesIn(text: string, mark: Mark): string {
  let out = !LABEL_HINT.test(text) ? text : labelledNames(text, mark);
  if (TWO_CAPITALS.test(out))
    out = out.replace(UPPER_RUN, (run: string) => {
      const words = run.split(UPPER_SEP);
      const { given: g, surnames: sn } = dictionaries();
      let givenHit = false;
      for (const w of words) {
        const lower = w.toLowerCase();
        if (FACILITY.has(lower) || NOT_NAME.has(lower) || !(g.has(lower) || sn.has(lower)))
          return run;
        if (g.has(lower)) givenHit = true;
      }
      return givenHit ? mark('name', run) : run;
    });
  if (!CAPITAL_HINT.test(out)) return out;
  out = out.replace(CAPITAL_RUN, (run: string, offset: number, whole: string) => {
    // "St. Mary's", "Mt. Sinai": a run right after a facility abbreviation is a place.
    const before = whole.slice(Math.max(0, offset - 5), offset).toLowerCase();
    if (PLACE_BEFORE.test(before)) return run;
    // Leading label or title words ("Dear", "Patient", "Dr") stay; the name is what follows.
    let cut = 0;
    while (cut < run.length) {
      const space = run.indexOf(' ', cut);
      if (space < 0) break;
      const w = run.slice(cut, space).toLowerCase();
      if (!NOT_NAME.has(w) && !TITLES.has(w) && w !== 'dear') break;
      cut = space + 1;
    }
    const name = run.slice(cut);
    return dictionaryName(name) ? run.slice(0, cut) + mark('name', name) : run;
  });
  return out;
}
