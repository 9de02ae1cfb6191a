/**
 * Mongoose's ValidationError keeps its items in an object keyed by path (`errors: { ssn: {…} }`),
 * not a list, and repeats each value in its message ("Patient validation failed: ssn: Path `ssn`
 * is invalid (078051120)."). The values about a sensitive field are taken out of the message and
 * the stack, as for express-validator's, Joi's and zod's lists; also when the error was already
 * turned into a plain object (JSON from another service).
 */
import { createRedactor } from '../../src';

const r = createRedactor();
const SSN = '078051120';

function mongooseError(): Error & { errors: Record<string, unknown> } {
  const message = `Patient validation failed: ssn: Path \`ssn\` is invalid (${SSN})., ward: Path \`ward\` (99) is more than maximum allowed value (40).`;
  const validator = (path: string, value: unknown, text: string) =>
    Object.assign(new Error(text), { name: 'ValidatorError', kind: 'user defined', path, value });
  return Object.assign(new Error(message), {
    name: 'ValidationError',
    errors: {
      ssn: validator('ssn', SSN, `Path \`ssn\` is invalid (${SSN}).`),
      ward: validator('ward', 99, 'Path `ward` (99) is more than maximum allowed value (40).'),
    },
  });
}

describe('Mongoose ValidationError (errors keyed by path)', () => {
  it('takes the value out of the message and the stack', () => {
    const out = JSON.stringify(r.value(mongooseError()));
    expect(out).not.toContain(SSN);
    expect(out).toContain('Patient validation failed');
    // a field that is not sensitive keeps its value in the message
    expect(out).toContain('(99) is more than maximum');
  });

  it('also as a plain object', () => {
    const plain = JSON.parse(
      JSON.stringify({ ...mongooseError(), message: mongooseError().message }),
    ) as object;
    const out = JSON.stringify(r.value(plain));
    expect(out).not.toContain(SSN);
    expect(out).toContain('Patient validation failed');
  });

  it('uses the map key when the item names no field', () => {
    const err = Object.assign(new Error(`bad value ${SSN} for ssn`), {
      errors: { ssn: { message: `invalid ${SSN}`, value: SSN } },
    });
    expect(JSON.stringify(r.value(err))).not.toContain(SSN);
  });
});
