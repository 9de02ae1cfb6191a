/**
 * Labels a third look at realistic logs found unread: `is` / `was` between a label and its value
 * (`SSN is 078051120`), `call back at` before a phone, and `member` alone before an id with six
 * digits or more (`Member XYZ123456789`). The kept cases pin what must stay.
 */
import { createRedactor } from '../../src';

const r = createRedactor();

describe('labels with is / was, call back at, member', () => {
  it.each([
    ['pt ssn is 078051120', '078051120', 'ssn'],
    ['MRN was 00482913 before the merge', '00482913', 'mrn'],
    ['member id is XYZ12345', 'XYZ12345', 'health-plan'],
    ['Call back at 5551234567', '5551234567', 'phone'],
    ['callback at (555) 123-4567', '123-4567', 'phone'],
    ['phone is 555-123-4567', '555-123-4567', 'phone'],
    ['Member XYZ123456789 eligible', 'XYZ123456789', 'health-plan'],
    ['member W123456789', 'W123456789', 'health-plan'],
    ['MRN is A1234', 'A1234', 'mrn'],
  ])('%s', (text, value, kind) => {
    const out = r.string(text);
    expect(out).not.toContain(value);
    expect(out).toContain(`[REDACTED:${kind}]`);
  });

  it.each([
    'retention policy is 30 days',
    'member 3 of 5 joined',
    'member of staff since 2024',
    'SSN is missing',
    'cert was 2 days from expiry',
    // found by a review of the first version
    'retention policy is 86400 seconds',
    'account is 123456 bytes over quota',
    'member 1234567 removed from raft group',
    'call back at 2026-12-03 10:30',
    'tel is 200000',
  ])('keeps %s', (text) => {
    expect(r.string(text)).toBe(text);
  });
});
