// The behaviour properties.test.ts checks with generated input (faker names of 45 locales, HL7
// segments, FHIR resources), pinned with fixed input and exact output. Written for the mutation
// runs (stryker.config.mjs), which leave properties.test.ts out (loading faker's locales costs 2 to
// 5 s per mutant run).
import { createRedactor, redact } from '../../src';
import { NAME_LABELS } from '../name-labels';

const H = '[REDACTED:hl7]';

describe('HL7 v2 segments by position (mutation tests)', () => {
  const segments = [
    'MSH|^~\\&|EPIC|GENHOSP|LAB|LAB|202401010000||ADT^A01|MSG1|P|2.5.1',
    'PID|1|Qabc123|Qdef456^Qghi||F|I|SPO|',
    'NK1|1|Qjkl^Qmno|SPO',
    'OBX|1|NM|2345-7^Glucose^LN||95|mmol',
    'PV1|1|I|W^389^1',
    'ZZ1|Qkeep|Q2',
  ];
  const redacted = [
    segments[0],
    `PID|1|${H}|${H}||F|I|SPO|`,
    `NK1|1|${H}|SPO`,
    segments[3],
    `PV1|1|I|${H}`,
    `ZZ1|Qkeep|${H}`, // a site's own Z segment counts as a person segment
  ];

  it.each([
    ['\\r', '\r', '\\r'],
    ['\\n', '\n', '\\n'],
    ['\\r\\n', '\r\n', '\\r\\n'],
  ])(
    'redacts every field past the set id of person segments but short codes (separator %s)',
    (_n, sep, written) => {
      expect(redact(`received ${segments.join(sep)}`)).toBe(`received ${redacted.join(written)}`);
      expect(redact({ hl7: segments.join(sep) })).toEqual({ hl7: redacted.join(written) });
    },
  );

  it('needs a segment name standing alone with its field separator', () => {
    expect(redact('xPID|1|Qx')).toBe('xPID|1|Qx');
    expect(redact('PID 1 Qx')).toBe('PID 1 Qx');
    expect(redact('PID|1|Qabc')).toBe(`PID|1|${H}`);
    expect(redact('ok; PID|1|Qabc|Qd')).toBe(`ok; PID|1|${H}|${H}`);
  });

  it('leaves segments that are not about a person (and codes of one to three capitals)', () => {
    expect(redact('MSH|^~\\&|A|B\rOBX|1|Qv|Qw')).toBe('MSH|^~\\&|A|B\\rOBX|1|Qv|Qw');
    expect(redact('PID|1|AB|F|ABCD|a|')).toBe(`PID|1|AB|F|${H}|${H}|`);
  });
});

describe('FHIR person resources and person-like keys (mutation tests)', () => {
  const resource = (type: string) => ({
    resourceType: type,
    id: 'r-1',
    name: [{ family: 'Qfam', given: ['Qgiv'] }],
    telecom: [{ value: 'Qtel' }],
    identifier: [{ value: 'Qid' }],
    birthDate: '1970-01-01',
    gender: 'unknown',
    status: 'Qstatus',
  });
  const written = (type: string) => ({
    resourceType: type,
    id: 'r-1',
    name: '[REDACTED]',
    telecom: '[REDACTED]',
    identifier: '[REDACTED]',
    birthDate: '[REDACTED]',
    gender: 'unknown',
    status: 'Qstatus',
  });

  it.each(['Patient', 'RelatedPerson', 'Practitioner', 'Person'])(
    'a %s has its identifying elements redacted, as an object, in arrays and as JSON text',
    (type) => {
      expect(redact(resource(type))).toEqual(written(type));
      expect(redact({ entry: [[resource(type)]] })).toEqual({ entry: [[written(type)]] });
      expect(redact(`stored: ${JSON.stringify({ entry: resource(type) })}`)).toBe(
        `stored: ${JSON.stringify({ entry: written(type) })}`,
      );
    },
  );

  it('another resource type keeps its name and text', () => {
    const obs = { resourceType: 'Observation', name: 'Qname', text: 'Qtext', status: 'final' };
    expect(redact(obs)).toEqual(obs);
    expect(redact({ resourceType: 7, name: 'Qname' })).toEqual({ resourceType: 7, name: 'Qname' });
  });

  it("under a person-like key, the person's name keys are redacted at every depth below it (issue: patient.details.name leaked), other keys kept", () => {
    expect(
      redact({
        patient: { name: 'Qname', city: 'Qcity', ward: 'Qward', nested: { name: '[REDACTED]' } },
        Emergency_Contact: { display: 'Qd', given: 'Qg', note: null, family: undefined },
        hospital: { name: 'Qhosp' },
      }),
    ).toEqual({
      patient: {
        name: '[REDACTED]',
        city: '[REDACTED]',
        ward: 'Qward',
        nested: { name: '[REDACTED]' },
      },
      Emergency_Contact: {
        display: '[REDACTED]',
        given: '[REDACTED]',
        note: null,
        family: undefined,
      },
      hospital: { name: 'Qhosp' },
    });
    expect(createRedactor().value({ name: 'Qn', ward: 'W' }, 'patient')).toEqual({
      name: '[REDACTED]',
      ward: 'W',
    });
    expect(createRedactor().value({ name: 'Qn' }, 'hospital')).toEqual({ name: 'Qn' });
  });
});

describe('names after labels and context words (mutation tests)', () => {
  it.each(NAME_LABELS)('%s Aiko Tanaka admitted', (label) => {
    expect(redact(`${label} Aiko Tanaka admitted`)).toBe(`${label} [REDACTED:name] admitted`);
    expect(redact(`${label} Tanaka, re: discharge`)).toBe(
      `${label} [REDACTED:name], re: discharge`,
    );
  });
});
