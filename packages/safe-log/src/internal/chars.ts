import { re } from './regexps';

/** A letter or digit in any script (the test of `alnum` past ASCII). */
export const WORD_CHAR = re('[\\p{L}\\p{N}]', 'u');

/** An ASCII letter or digit. */
export function asciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** A letter or digit in any script (NaN, a lone surrogate, quotes and symbols are not). */
export function alnum(c: number): boolean {
  if (c < 128) return asciiAlnum(c);
  return !Number.isNaN(c) && WORD_CHAR.test(String.fromCharCode(c));
}
