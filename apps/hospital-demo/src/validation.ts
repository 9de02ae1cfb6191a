import { body, type ValidationChain } from 'express-validator';
import { sanitizeInput } from './resil';

/**
 * A character a person can see: anything but controls (Cc), format characters (Cf: zero-width
 * space, bidi overrides, soft hyphen...), lone surrogates (Cs), separators (Z*), combining marks
 * on their own (M), default-ignorable code points (Hangul fillers, variation selectors, tags) and
 * the blank Braille pattern. One character class, no quantifier: linear, no backtracking.
 */
const VISIBLE = /[^\p{Cc}\p{Cf}\p{Cs}\p{Z}\p{M}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** True when `value` holds at least one visible character (see VISIBLE). */
export function hasVisibleText(value: string): boolean {
  return VISIBLE.test(value);
}

/**
 * A required text field, validated AFTER sanitising: the value is sanitised (`sanitizeInput`,
 * then trimmed) and only then checked for visible characters and length, so that a value that
 * sanitises to nothing, or is made only of invisible characters, is a 422 and never reaches the
 * registry. This holds whether or not `sanitizeInput` is idempotent (it is run once more here on
 * what `sanitizeRequest` left). The raw value is capped first, so sanitising one field is bounded.
 */
export function requiredText(field: string, max: number): ValidationChain {
  return body(field)
    .isString()
    .withMessage('must be a string')
    .bail()
    .isLength({ max: max * 4 })
    .withMessage(`must be at most ${max} characters`)
    .bail()
    .customSanitizer((value: string) => sanitizeInput(value).trim())
    .custom((value: string) => hasVisibleText(value))
    .withMessage('must contain visible characters')
    .bail()
    .isLength({ max })
    .withMessage(`must be at most ${max} characters`);
}

/** The chains of `POST /hospitals`. */
export function hospitalChains(): ValidationChain[] {
  return [
    requiredText('name', 200),
    requiredText('address', 500),
    body('contactEmail')
      .optional()
      .isString()
      .bail()
      .trim()
      .isEmail()
      .isLength({ max: 254 })
      .withMessage('must be an email address'),
    body('contactPhone')
      .optional()
      .isString()
      .bail()
      .trim()
      .matches(/^\+?[0-9 ()-]{5,30}$/)
      .withMessage('must be a phone number: digits, spaces, ( ) - and an optional leading +'),
  ];
}
