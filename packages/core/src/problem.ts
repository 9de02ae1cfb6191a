/**
 * problem+json (RFC 9457) for every @resil middleware: one `type` scheme,
 * `https://resil.dev/problems/<slug>`, and one writer. The writer takes no request: what it
 * sends is what the package wrote (constant titles and details, numbers), never input.
 */

/** Where every @resil problem type lives: `${PROBLEM_TYPE_BASE}<slug>`. */
export const PROBLEM_TYPE_BASE = 'https://resil.dev/problems/';

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The `type` URI of a problem slug (lower-case words joined by `-`). */
export function problemType(slug: string): string {
  if (typeof slug !== 'string' || !SLUG.test(slug))
    throw new TypeError('problemType: slug must be lower-case words joined by "-"');
  return `${PROBLEM_TYPE_BASE}${slug}`;
}

/** An RFC 9457 problem details object. */
export interface ProblemDetails {
  /** A `problemType(slug)` URI (or `about:blank`). */
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** Extension members (numbers, codes, field names the package chose; never input values). */
  [extension: string]: unknown;
}

export interface ProblemInit {
  /** The slug of the type URI, e.g. `idempotency-key-reused`. */
  slug: string;
  status: number;
  title: string;
  detail?: string;
  /** Extension members, added after the standard ones (they cannot replace them). */
  extensions?: Record<string, unknown>;
}

const RESERVED = new Set(['type', 'title', 'status', 'detail', 'instance']);

/** Builds a problem details object (checked: a 4xx/5xx status, a well-formed slug). */
export function problem(init: ProblemInit): ProblemDetails {
  const { slug, status, title, detail, extensions } = init;
  if (!Number.isInteger(status) || status < 400 || status > 599)
    throw new RangeError('problem: status must be an integer from 400 to 599');
  const body: ProblemDetails = { type: problemType(slug), title, status };
  if (detail !== undefined) body.detail = detail;
  if (extensions)
    for (const [k, v] of Object.entries(extensions)) if (!RESERVED.has(k)) body[k] = v;
  return body;
}

/** What the writer needs of a response: Node's `ServerResponse` and Express's `Response` fit. */
export interface ProblemResponse {
  statusCode: number;
  readonly headersSent: boolean;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  end(body: string): unknown;
}

/** The media type of problem details. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * Sends `details` as `application/problem+json` with its status and any extra `headers` (e.g.
 * `Retry-After`). Returns false, sending nothing, when the headers were already sent.
 */
export function sendProblem(
  res: ProblemResponse,
  details: ProblemDetails,
  headers: Record<string, string | number> = {},
): boolean {
  if (res.headersSent) return false;
  const body = JSON.stringify(details);
  res.statusCode = details.status;
  for (const [h, v] of Object.entries(headers)) res.setHeader(h, v);
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
  return true;
}
