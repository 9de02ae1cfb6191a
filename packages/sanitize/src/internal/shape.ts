import type { ProblemDetails } from '@resil/core';
import { SANITIZE_PROBLEMS, sanitizeProblem } from '../problems';

/**
 * The problem for a value nested deeper than `maxDepth` (400) or with more than `maxKeys` keys
 * and array items in all (413), the limits and answers of `sanitizeRequest`; undefined when it
 * is within them. Iterative (no recursion, so no stack overflow) and stops at the first excess:
 * its cost is bounded by `maxKeys`, whatever the size of the value.
 */
export function shapeProblem(
  value: unknown,
  maxDepth: number,
  maxKeys: number,
): ProblemDetails | undefined {
  let left = maxKeys;
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, depth] = top;
    if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) continue;
    if (depth >= maxDepth)
      return sanitizeProblem(
        SANITIZE_PROBLEMS.TOO_DEEPLY_NESTED,
        400,
        'Request too deeply nested',
        `Nesting deeper than ${maxDepth} levels is not accepted.`,
      );
    const children = Array.isArray(v) ? v : Object.values(v);
    left -= children.length;
    if (left < 0)
      return sanitizeProblem(
        SANITIZE_PROBLEMS.TOO_MANY_FIELDS,
        413,
        'Request has too many fields',
        `More than ${maxKeys} fields and items are not accepted.`,
      );
    for (const c of children) stack.push([c, depth + 1]);
  }
  return undefined;
}
