/**
 * Every regular expression the package compiles outside the value patterns is listed here, so
 * the ReDoS test (test/unit/redos.test.ts) checks all of them with recheck.
 */
export const INTERNAL_REGEXPS: RegExp[] = [];

/** Registers a regular expression for the ReDoS test and returns it. */
export function re(source: string, flags: string): RegExp {
  const r = new RegExp(source, flags);
  INTERNAL_REGEXPS.push(r);
  return r;
}
