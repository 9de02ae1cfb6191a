import { body, type ValidationChain } from 'express-validator';
import { hasVisibleText, sanitizeInput } from './resil';

/** Lone surrogates (Unicode category Cs): halves of a character, nothing a person can see. */
const LONE_SURROGATES = /\p{Cs}/gu;

/**
 * True when `value` holds a character a person can see: @resil/sanitize's `hasVisibleText`
 * (something other than white space, controls, format characters, marks alone, default-ignorable
 * code points and the blank Braille pattern), where a lone surrogate, which that check counts as
 * visible, does not count either.
 */
export function isVisibleText(value: string): boolean {
  return hasVisibleText(value.replace(LONE_SURROGATES, ''));
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
    .custom((value: string) => isVisibleText(value))
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
