import { redact } from '../../src';

/** Every string (keys and values) of a redacted value, joined: what a transport would see. */
function seen(value: unknown): string {
  return JSON.stringify(redact(value));
}

describe('redact: Safe Harbor kinds with a label in text (issue #17)', () => {
  it.each([
    ['MRN spelled out', 'Medical Record No. 0045-8821 on file', '0045-8821'],
    ['MRN as MR#', 'MR# A1234567 merged', 'A1234567'],
    ['chart number', 'chart no. 7781234', '7781234'],
    ['member id', 'Member ID: XK99812345', 'XK99812345'],
    ['policy number', 'policy number AB-1234567', 'AB-1234567'],
    ['group number', 'Group Number: 88211', '88211'],
    ['subscriber id', 'subscriber id W123456789', 'W123456789'],
    ['Medicare MBI', 'Medicare MBI 1EG4-TE5-MK73', '1EG4-TE5-MK73'],
    ['account number', 'Acct# 55-1234-99 overdue', '55-1234-99'],
    ['IBAN', 'IBAN DE89370400440532013000', 'DE89370400440532013000'],
    ["driver's licence", "driver's license D1234567", 'D1234567'],
    ['DEA number', 'DEA number AB1234563', 'AB1234563'],
    ['certificate', 'certificate number C-99812', 'C-99812'],
    ['device serial', 'pacemaker serial no. PM2231-4456', 'PM2231-4456'],
    ['S/N', 'S/N: 7H3K29PQ', '7H3K29PQ'],
    ['UDI', 'UDI (01)00844588003288(17)141120(10)7654321D(21)10', '00844588003288'],
    ['MAC address', 'pump 00:1A:2B:3C:4D:5E offline', '00:1A:2B:3C:4D:5E'],
    ['VIN', 'VIN 1HGCM82633A004352', '1HGCM82633A004352'],
    ['VIN without a label', 'car 1HGCM82633A004352 in lot B', '1HGCM82633A004352'],
    ['licence plate', 'license plate 7ABC123', '7ABC123'],
    ['biometric id', 'fingerprint template FP-88213-A enrolled', 'FP-88213-A'],
    ['voiceprint', 'voiceprint id VP-5521', 'VP-5521'],
    ['patient URL', 'GET https://ehr.example.com/patients/12345/labs', '12345'],
    ['FHIR reference', 'subject Patient/881234', '881234'],
    ['photo file', 'uploaded photo jdoe_headshot.png', 'jdoe_headshot.png'],
    ['written date', 'admitted on March 12, 1984', 'March 12, 1984'],
    ['written date, day first', 'seen 12 Mar 1984', '12 Mar 1984'],
    ['dotted date', 'born 03.12.1984', '03.12.1984'],
    ['dashed date', 'dob 03-12-1984', '03-12-1984'],
    ['compact date after a label', 'DOB: 19840312', '19840312'],
    ['age over 89', 'a 92-year-old woman', '92'],
    ['age over 89 as y/o', 'pt 95 y/o', '95'],
    ['aged', 'aged 101', '101'],
    ['phone after a label, national format', 'Phone: 06508001804', '06508001804'],
    ['international phone', 'call +36 55 123 4567 today', '123 4567'],
    ['street address abroad', 'lives at 12 Hauptstraße, Berlin', 'Hauptstraße'],
    ['street address with a long type', 'moved to 41597 Akande Centers', 'Akande'],
    ['SQL literal after WHERE', "SELECT * FROM patients WHERE last_name = 'Okafor'", 'Okafor'],
    ['key: value in text', 'payload {email: "ana@example.org", ssn: 123456789}', '123456789'],
  ])('%s', (_kind, text, secret) => {
    expect(redact(text)).not.toContain(secret);
  });
});

describe('redact: strings that must survive (over-redaction is a defect)', () => {
  it.each([
    ['versions', 'upgraded express@5.1.0 to v2.10.0 on node 20.11.1 (1.2.3)'],
    ['ICD-10 codes', 'codes E11.9, I10, J45.909, S72.001A, Z79.4'],
    ['CPT codes after a two-letter word (the ZIP rule took them)', 'billed to 99213 and 93000'],
    ['LOINC codes', 'LOINC 2345-7 and 718-7'],
    ['amounts', 'charge $1,234.56, USD 120.00, €89,90, 1200.00 EUR'],
    ['amount after a two-letter word', 'is 12000.00 due'],
    ['durations', 'took 350ms, 12.5 s, 1532 ms, PT15M'],
    ['UUIDs', 'encounter 61c0a8a0-a260-48df-9e57-0d5bbee98292'],
    ['hospital ids', 'hospital h-000912 and HOSP-2231 and fac_25339'],
    ['timestamps with a space', 'at 2026-07-27 11:40:04 and 2026-10-22T20:38:47Z'],
    ['facilities', "St. Mary's General Hospital, Mount Sinai, Mayo Clinic, Johns Hopkins Hospital"],
    ['more facilities', 'Cedars-Sinai Medical Center, Houston Methodist, Kaiser Permanente'],
    [
      'ordinary capitalised words',
      'Emergency Department paged Cardiology on Monday; Redis reconnected',
    ],
    ['a city alone', 'shipped from Houston to Austin'],
  ])('%s', (_kind, text) => {
    expect(redact(text)).toBe(text);
  });
});

describe('redact: names in free text', () => {
  it.each([
    ['after Patient', 'Patient John Smith admitted', 'Patient [REDACTED:name] admitted'],
    [
      'after a title',
      'Seen by Dr. Okafor in Cardiology',
      'Seen by Dr. [REDACTED:name] in Cardiology',
    ],
    ['after Dear', 'Dear Mrs. Nguyen, your claim', 'Dear Mrs. [REDACTED:name], your claim'],
    ['after a label', 'Name: María José Pérez; room 4', 'Name: [REDACTED:name]; room 4'],
    ['after a relation', 'daughter Aiko Tanaka called', 'daughter [REDACTED:name] called'],
    [
      'in a script without capitals after a label',
      'Patient: 王秀英 admitted',
      'Patient: [REDACTED:name] admitted',
    ],
    [
      'by the dictionary, no label',
      'Appointment for Emily Johnson confirmed',
      'Appointment for [REDACTED:name] confirmed',
    ],
    [
      'a given name alone',
      'Olivia missed the appointment',
      '[REDACTED:name] missed the appointment',
    ],
    ['family, given in capitals', 'SMITH, JOHN checked in', '[REDACTED:name] checked in'],
  ])('%s', (_case, text, out) => {
    expect(redact(text)).toBe(out);
  });
});

describe('redact: clinical formats', () => {
  const hl7 = [
    'MSH|^~\\&|EPIC|STMARYS|LAB|LAB|202403120830||ADT^A01|MSG00001|P|2.5.1',
    'PID|1||00482913^^^HOSP^MR||Doe^Jane^^^Ms||19840312|F|||12 Main St^^Houston^TX^77006||(713)555-0199|||S||123|123-45-6789',
    'NK1|1|Doe^John|SPO||713-555-0100',
    'DG1|1||E11.9^Type 2 diabetes^I10',
    'OBX|1|NM|2345-7^Glucose^LN||95|mg/dL|||||F',
  ];

  it.each([
    ['\\r', '\r'],
    ['\\n', '\n'],
  ])(
    'redacts HL7 v2 person segments by position (segments separated by %s), keeps codes and MSH',
    (_n, sep) => {
      const out = redact(`inbound: ${hl7.join(sep)}`);
      for (const secret of [
        '00482913',
        'Doe',
        'Jane',
        '19840312',
        'Main St',
        '77006',
        '555-0199',
        '123-45-6789',
        'John',
        '555-0100',
      ])
        expect(out).not.toContain(secret);
      for (const kept of [
        'ADT^A01',
        'MSG00001',
        '2.5.1',
        'E11.9',
        '2345-7^Glucose^LN',
        'NK1|1|',
        '|F|',
        '|SPO|',
      ])
        expect(out).toContain(kept);
    },
  );

  const patient = {
    resourceType: 'Patient',
    id: 'p-1',
    meta: { lastUpdated: '2026-01-02T03:04:05Z' },
    identifier: [{ system: 'http://hospital.example.org/mrn', value: '00482913' }],
    name: [{ family: 'Doe', given: ['Jane'], text: 'Jane Doe' }],
    telecom: [{ system: 'phone', value: '0809 348 0513' }],
    gender: 'female',
    birthDate: '1984-03-12',
    address: [{ line: ['12 Main St'], city: 'Houston', postalCode: '77006' }],
    photo: [{ title: 'jane.jpg' }],
    contact: [{ name: { family: 'Doe', given: ['John'] } }],
  };

  it('redacts a FHIR Patient by structure, as an object, in a Bundle and as JSON inside a message', () => {
    for (const value of [
      { resource: patient },
      { bundle: { resourceType: 'Bundle', entry: [{ resource: patient }] } },
      `FHIR create failed: ${JSON.stringify(patient)}`,
    ]) {
      const out = seen(value);
      for (const secret of [
        '00482913',
        'Doe',
        'Jane',
        '0809 348',
        '1984-03-12',
        'Main St',
        '77006',
        'jane.jpg',
        'John',
      ])
        expect(out).not.toContain(secret);
      for (const kept of ['Patient', 'female', '2026-01-02T03:04:05Z']) expect(out).toContain(kept);
    }
  });

  it("redacts a person's name under a person-like key, keeps a hospital's name", () => {
    expect(
      redact({
        hospital: { name: "St. Mary's General Hospital" },
        patient: { name: 'Doe, Jane' },
        emergencyContact: { name: 'Yusuf Demir' },
        subject: { reference: 'Patient/881234', display: 'Jane Doe' },
      }),
    ).toEqual({
      hospital: { name: "St. Mary's General Hospital" },
      patient: { name: '[REDACTED]' },
      emergencyContact: { name: '[REDACTED]' },
      subject: { reference: 'Patient/[REDACTED:url]', display: '[REDACTED]' },
    });
  });
});

describe('redact: errors as drivers and clients write them', () => {
  it('PostgreSQL Key (…)=(…), MySQL Duplicate entry, MongoDB dup key and SQL literals', () => {
    const pg = Object.assign(
      new Error('duplicate key value violates unique constraint "patients_ssn_key"'),
      {
        code: '23505',
        detail:
          'Key (last_name, first_name, email)=(Okafor, Chidi, c.okafor@example.org) already exists.',
        constraint: 'patients_ssn_key',
      },
    );
    const mysql = Object.assign(
      new Error("ER_DUP_ENTRY: Duplicate entry 'Okafor-Chidi-1984-03-12' for key 'patients.uniq'"),
      {
        sql: "INSERT INTO patients (last_name, first_name) VALUES ('Okafor', 'Chidi')",
      },
    );
    const mongo = Object.assign(
      new Error(
        'E11000 duplicate key error collection: ehr.patients index: mrn_1 dup key: { mrn: "A0048291" }',
      ),
      { keyValue: { mrn: 'A0048291' }, code: 11000 },
    );
    const out = seen({ errors: [pg, mysql, mongo] });
    for (const secret of ['Okafor', 'Chidi', 'c.okafor', '1984-03-12', 'A0048291'])
      expect(out).not.toContain(secret);
    for (const kept of [
      '23505',
      'patients_ssn_key',
      'ER_DUP_ENTRY',
      'patients.uniq',
      'E11000',
      'mrn_1',
    ])
      expect(out).toContain(kept);
  });

  it('HTTP client errors: URL, request body (config.data) and response body, never the live request', () => {
    const err = Object.assign(new Error('Request failed with status code 422'), {
      name: 'AxiosError',
      config: {
        url: 'https://registry.example.org/v1/patients/7781234',
        method: 'post',
        headers: { Authorization: 'Bearer abc.def' },
        data: JSON.stringify({ firstName: 'Chidi', lastName: 'Okafor', memberId: 'XK99812345' }),
      },
      response: { status: 422, data: { detail: 'patient Chidi Okafor already registered' } },
      request: { socket: { remoteAddress: '10.0.0.1' } },
    });
    const out = redact(err) as Record<string, unknown>;
    const text = JSON.stringify(out);
    for (const secret of ['7781234', 'Chidi', 'Okafor', 'XK99812345', 'Bearer', '10.0.0.1'])
      expect(text).not.toContain(secret);
    expect(out).toMatchObject({
      name: 'AxiosError',
      config: { method: 'post', url: 'https://registry.example.org/v1/patients/[REDACTED:url]' },
      response: { status: 422 },
    });
  });

  it('cause chains and AggregateError', () => {
    const inner = new Error('ssn 123-45-6789 taken');
    const agg = new AggregateError(
      [inner, new Error('Patient Jane Doe locked')],
      'all retries failed',
      {
        cause: new Error('MRN: 00482913'),
      },
    );
    const out = redact(new Error('register failed', { cause: agg })) as Record<string, unknown>;
    const text = JSON.stringify(out);
    for (const secret of ['6789', 'Jane', 'Doe', '00482913']) expect(text).not.toContain(secret);
    expect(out).toMatchObject({
      cause: { message: 'all retries failed', errors: [{}, {}], cause: {} },
    });
  });
});
