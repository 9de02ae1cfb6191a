import { type ProblemDetails, problem } from '@resil/core';

/**
 * The problem types @resil/sanitize answers with, by slug: each `type` is
 * `https://resil.dev/problems/<slug>` (core's one scheme). Titles and details are constants of
 * this package and numbers from its options, never input.
 */
export const SANITIZE_PROBLEMS = Object.freeze({
  /** 422: express-validator chains failed (`validate`); the body lists `errors: [{ field, message }]`. */
  VALIDATION_FAILED: 'validation-failed',
  /** 413: a string, key or field over its length cap. */
  FIELD_TOO_LONG: 'field-too-long',
  /** 413: more keys and array items than `maxKeys` in one part. */
  TOO_MANY_FIELDS: 'too-many-fields',
  /** 400: nesting deeper than `maxDepth`. */
  TOO_DEEPLY_NESTED: 'too-deeply-nested',
  /** 400: a query parameter repeated under `parameterPollution: 'reject'`. */
  REPEATED_QUERY_PARAMETER: 'repeated-query-parameter',
  /** 413: body-parser's `entity.too.large`. */
  BODY_TOO_LARGE: 'body-too-large',
  /** 400: body-parser's `entity.parse.failed`. */
  MALFORMED_JSON: 'malformed-json',
  /** 415: body-parser's `charset.unsupported` / `encoding.unsupported`. */
  UNSUPPORTED_BODY_ENCODING: 'unsupported-body-encoding',
  /** 400: body-parser's `request.aborted`, `request.size.invalid`, `stream.encoding.set`. */
  UNREADABLE_BODY: 'unreadable-body',
} as const);

export type SanitizeProblemSlug = (typeof SANITIZE_PROBLEMS)[keyof typeof SANITIZE_PROBLEMS];

/** A problem of this package (core's `problem`, with a slug of ours). */
export function sanitizeProblem(
  slug: SanitizeProblemSlug,
  status: number,
  title: string,
  detail: string,
  extensions?: Record<string, unknown>,
): ProblemDetails {
  return problem({ slug, status, title, detail, extensions });
}
