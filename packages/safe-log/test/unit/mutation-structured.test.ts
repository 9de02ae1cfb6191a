// The scanners of src/internal (HL7 v2, database drivers, key: value pairs, labelled identifiers,
// labelled phones, street addresses, people's names) called directly with a visible mark, written
// against the survivors of the mutation runs (stryker.config.mjs).
import { redactNames } from '../../src/internal/names';
import {
  redactAddresses,
  redactDrivers,
  redactHl7,
  redactKeyValues,
  redactLabelled,
  redactLabelledPhones,
} from '../../src/internal/structured';

const mark = (kind: string, value: string) => `<${kind}:${value}>`;
const sensitive = (k: string) => ['ssn', 'email', 'dob'].includes(k.toLowerCase());

describe('HL7 v2 (mutation tests)', () => {
  it('redacts person segments field by field past the set id, keeps empty fields and codes of 1-3 capitals', () => {
    expect(redactHl7('MSH|a\rPID|1|Qx|F||AB|ABCD\nNK1|1|Q^R\r\nOBX|1|v\rPV1|1|I|W', mark)).toBe(
      'MSH|a\rPID|1|<hl7:Qx>|F||AB|<hl7:ABCD>\nNK1|1|<hl7:Q^R>\r\nOBX|1|v\rPV1|1|I|W',
    );
    expect(redactHl7('PID|1|x', mark)).toBe('PID|1|<hl7:x>');
    expect(redactHl7('PID|1|x|y', mark)).toBe('PID|1|<hl7:x>|<hl7:y>');
    expect(redactHl7('PID|Q1|x', mark)).toBe('PID|Q1|<hl7:x>');
    expect(redactHl7('ZPID|1|x', mark)).toBe('ZPID|1|x');
    expect(redactHl7('IN1|1|x\rIN2|1|y\rGT1|1|z\rMRG|1|m\rPD1|1|p', mark)).toBe(
      'IN1|1|<hl7:x>\rIN2|1|<hl7:y>\rGT1|1|<hl7:z>\rMRG|1|<hl7:m>\rPD1|1|<hl7:p>',
    );
    expect(redactHl7('MSH|x\rROL|1|r\rSTF|1|s\rAB1|1|c', mark)).toBe(
      'MSH|x\rROL|1|<hl7:r>\rSTF|1|<hl7:s>\rAB1|1|c',
    );
    expect(redactHl7('no segments here', mark)).toBe('no segments here');
  });
});

describe('database drivers and SQL (mutation tests)', () => {
  it.each([
    ['Key (a, b)=(x, y (z)) already exists.', 'Key (a, b)=(<key:x, y (z)>) already exists.'],
    ["Duplicate entry 'a\\'b' for key 'k'", "Duplicate entry '<key:a\\'b>' for key 'k'"],
    ["duplicate entry 'x' for key 'k'", "duplicate entry '<key:x>' for key 'k'"],
    ['dup key: { email: "a@b" }', 'dup key: { <key:email: "a@b"> }'],
    ["insert into t values ('a', 'b''c')", "insert into t values ('<sql:a>', '<sql:b''c>')"],
    ["where name = 'x'", "where name = '<sql:x>'"],
    ["select 'x' from t", "select 'x' from t"],
    ["DELETE FROM t WHERE id IN ('x')", "DELETE FROM t WHERE id IN ('<sql:x>')"],
    ["where a like 'q'", "where a like '<sql:q>'"],
    ["VALUES('v')", "VALUES('<sql:v>')"],
    ["the values 'x'", "the values 'x'"],
    ["where 'x'", "where 'x'"],
    ['Key (a)=(b) and no more', 'Key (a)=(<key:b>) and no more'],
    ["insert into t ('a')", "insert into t ('<sql:a>')"],
    ["DELETE FROM t ('x')", "DELETE FROM t ('<sql:x>')"],
    ["Insert  Into t ('a')", "Insert  Into t ('<sql:a>')"],
    ["where `t`.c = 'a'", "where `t`.c = '<sql:a>'"],
  ])('%s', (text, out) => {
    expect(redactDrivers(text, mark)).toBe(out);
  });
});

describe('key: value pairs in text (mutation tests)', () => {
  it.each([
    ['ssn=123', 'ssn=<:123>'],
    ['ssn: "a b"', 'ssn: "<:a b>"'],
    ["email='x y'", "email='<:x y>'"],
    ['ward=1 ssn=2;', 'ward=1 ssn=<:2>;'],
    ['"ssn": "1", "dob":"2"', '"ssn": "<:1>", "dob":"<:2>"'],
    ['ssn = \ue000', 'ssn = \ue000'],
    ['xssn=1', 'xssn=1'],
    ['a.ssn=1', 'a.ssn=1'],
    ['ssn=', 'ssn='],
    ['SSN\t:\t9', 'SSN\t:\t<:9>'],
    ['ssn  =  1', 'ssn  =  <:1>'],
    ['ssn   =1', 'ssn   =1'],
    ["'ssn': 5", "'ssn': <:5>"],
    ['ssn="a\\"b"', 'ssn="<:a\\"b>"'],
    ['ward: 1, note=2', 'ward: 1, note=2'],
    ['ssn=""', 'ssn=""'],
    ['ssn=1 ssn=1', 'ssn=<:1> ssn=<:1>'],
  ])('%j', (text, out) => {
    expect(redactKeyValues(text, sensitive, mark)).toBe(out);
  });
});

describe('labelled identifiers and phones (mutation tests)', () => {
  it.each([
    ['Member ID: XK99812345', 'Member ID: <health-plan:XK99812345>'],
    ['MRN 0045', 'MRN <mrn:0045>'],
    ['policy abc', 'policy abc'],
    ['Acct# 55-1234', 'Acct# <account:55-1234>'],
    ['vin: 1HGCM82633A004352', 'vin: <vehicle:1HGCM82633A004352>'],
    ['DL D1234567', 'DL <licence:D1234567>'],
    ['S/N: 7H3K29PQ', 'S/N: <device:7H3K29PQ>'],
    ['fingerprint FP-88', 'fingerprint <biometric:FP-88>'],
    ['ssn 123456789', 'ssn <ssn:123456789>'],
    ['dob 19840312', 'dob <date:19840312>'],
    ['xmrn 1234', 'xmrn 1234'],
    ['mrn1234', 'mrn1234'],
    ['plate (7ABC123)', 'plate <vehicle:(7ABC123)>'],
    ['MRN abc-/1', 'MRN abc-/1'],
    ['MRN (12-34)', 'MRN <mrn:(12-34)>'],
    ['member id: ab', 'member id: ab'],
    ['Medicare MBI 1EG4-TE5-MK73', 'Medicare MBI <health-plan:1EG4-TE5-MK73>'],
    ['IBAN DE89370400440532013000', 'IBAN <account:DE89370400440532013000>'],
  ])('%s', (text, out) => {
    expect(redactLabelled(text, mark)).toBe(out);
  });

  it.each([
    ['Phone: 06508001804', 'Phone: <phone:06508001804>'],
    ['tel +1 (713) 555-0199', 'tel <phone:+1 (713) 555-0199>'],
    ['fax 12345', 'fax 12345'],
    ['cellphone 0650800180', 'cellphone 0650800180'],
    ['call back on 0650800180', 'call back on <phone:0650800180>'],
    ['phone 123456', 'phone <phone:123456>'],
  ])('%s', (text, out) => {
    expect(redactLabelledPhones(text, mark)).toBe(out);
  });
});

describe('street addresses (mutation tests)', () => {
  it.each([
    ['lives at 12 Oak Rd at 10:00', 'lives at <address:12 Oak Rd> at 10:00'],
    ['address: 12 Oak', 'address: <address:12 Oak>'],
    ['address: Oak Rd', 'address: Oak Rd'],
    ['addr. 5 Elm St, Springfield', 'addr. <address:5 Elm St>, Springfield'],
    ['Resides at 9 Elm in May', 'Resides at <address:9 Elm> in May'],
    ['home address 1 a b c d e f g h i', 'home address <address:1 a b c d e f g> h i'],
    ['at 42 Main Street', 'at <address:42 Main Street>'],
    ['moved to 41597 Akande Centers', 'moved to <address:41597 Akande Centers>'],
    ['12 a b c d e Rd', '12 a b c d e Rd'],
    ['12 a b c d Rd', '<address:12 a b c d Rd>'],
    ['no. 12 Rd', 'no. <address:12 Rd>'],
    ['1234567 Main St', '1234567 Main St'],
    ['12b Main St', '<address:12b Main St>'],
    ['x12 Main St', 'x12 Main St'],
    ['lives at \ue000x 12', 'lives at \ue000x 12'],
    ['7 Elm Ave and 9 Oak Rd', '<address:7 Elm Ave> and <address:9 Oak Rd>'],
    ['12 Main Streets', '12 Main Streets'],
    ['Main St 12', 'Main St 12'],
  ])('%s', (text, out) => {
    expect(redactAddresses(text, mark)).toBe(out);
  });
});

describe("people's names (mutation tests)", () => {
  /** Marks as the redactor writes them (private-use placeholders), shown here as <…>. */
  function names(text: string): string {
    const found: string[] = [];
    const out = redactNames(text, (_kind, value) => {
      found.push(value);
      return String.fromCharCode(0xe100 + found.length - 1);
    });
    return out.replace(/[\ue100-\uf8ff]/g, (c) => `<${found[c.charCodeAt(0) - 0xe100]}>`);
  }

  it.each([
    ['Patient John Smith admitted', 'Patient <John Smith> admitted'],
    ['SMITH, JOHN checked in', '<SMITH, JOHN> checked in'],
    ['SMITH JOHN', '<SMITH JOHN>'],
    ['SMITH,JOHN', '<SMITH,JOHN>'],
    ['SMITH JONES', 'SMITH JONES'],
    ['HOSPITAL JOHN', 'HOSPITAL JOHN'],
    ['XQZW JOHN', 'XQZW JOHN'],
    ['Olivia came', '<Olivia> came'],
    ['Ana came', 'Ana came'],
    ['Austin came', 'Austin came'],
    ['St. John came', 'St. John came'],
    ['Mt John came', 'Mt John came'],
    ['Dear Emily Johnson', 'Dear <Emily Johnson>'],
    ['Emily Johnson Hospital', 'Emily Johnson Hospital'],
    ['Smith Jones came', '<Smith Jones> came'],
    ['Smith Xqzw came', 'Smith Xqzw came'],
    ['seen by Dr. Smith', 'seen by Dr. <Smith>'],
    ['Patient van den Velde', 'Patient <van den Velde>'],
    ['Patient Smith. Then', 'Patient <Smith.> Then'],
    ['patient 王秀英', 'patient <王秀英>'],
    ['Name: Smith, Jones, Brown', 'Name: <Smith, Jones>, Brown'],
    ['Name: Ann Lee, Bob', 'Name: <Ann Lee>, Bob'],
    ['Patient: Jo Bo Mo Ko Lo Po Qo', 'Patient: <Jo Bo Mo Ko Lo Po> Qo'],
    ['Mary Smith and John Doe', '<Mary Smith> and <John Doe>'],
    ['Patient Mercy Hospital', 'Patient Mercy Hospital'],
    ['Patient An Binh', 'Patient <An Binh>'],
    ['Patient Dr Smith', 'Patient Dr <Smith>'],
    ['Emily', '<Emily>'],
    ['Patient is stable', 'Patient is stable'],
    ['Patient May admitted', 'Patient <May> admitted'],
    ['Patient May Raynor', 'Patient <May Raynor>'],
    ['Patient van', 'Patient van'],
    ['Patient ABCDEFGHIJKLM', 'Patient ABCDEFGHIJKLM'],
    ['Patient ABCDEFGHIJKL', 'Patient <ABCDEFGHIJKL>'],
    ['Dear Patient Emily Stone', 'Dear Patient <Emily Stone>'],
    ['no capitals here', 'no capitals here'],
    ['Dear Dr. Emily Stone', 'Dear Dr. <Emily Stone>'],
    ['Patient de la Cruz', 'Patient <de la Cruz>'],
    ['Patient la', 'Patient la'],
    ['spoke with Jo, Ann', 'spoke with <Jo, Ann>'],
    ['Patient Smith, Jo Ann', 'Patient <Smith, Jo Ann>'],
    ['Patient Ab Cd Ef Gh Ij Kl Mn', 'Patient <Ab Cd Ef Gh Ij Kl> Mn'],
    ['Olivia Stone Hospital came', 'Olivia Stone Hospital came'],
    ['St Mary came', 'St Mary came'],
    ['Saint Olivia came', 'Saint Olivia came'],
    ['Mount Olivia', 'Mount Olivia'],
    ['JOHN SMITH JONES', '<JOHN SMITH JONES>'],
    ['JOHN SMITH JONES BROWN', '<JOHN SMITH JONES> BROWN'],
    ['Dear Patient', 'Dear Patient'],
    ['Patient Olivia', 'Patient <Olivia>'],
    ['Dear Olivia Stone', 'Dear <Olivia Stone>'],
    ['Patient: Émile Zola', 'Patient: <Émile Zola>'],
    ['Mr. Smith', 'Mr. <Smith>'],
    ['signed Smith', 'signed <Smith>'],
  ])('%s', (text, out) => {
    expect(names(text)).toBe(out);
  });
});
