/**
 * Labels and context words a name follows, and what may come after the name: the one list the
 * name property (test/unit/properties.test.ts) and the mutation tests
 * (test/unit/mutation-properties.test.ts) draw from.
 */
export const NAME_LABELS = [
  'Patient',
  'Patient:',
  'pt',
  'Mr.',
  'Mrs',
  'Dr.',
  'Dear',
  'Name:',
  'spoke with',
  'signed by',
  'seen by',
  'family member',
  'Emergency contact:',
  'daughter',
] as const;

export const AFTER_NAME = [
  ' admitted',
  ', re: discharge',
  ' (callback requested)',
  '.',
  ' called twice',
  '',
] as const;
