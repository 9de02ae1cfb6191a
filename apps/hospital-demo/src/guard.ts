import type { NextFunction, Request, Response } from 'express';
import { sendProblem } from './errors';
import { isDangerousKey } from './resil';

/**
 * The demo's own last check before its handlers, whatever the sanitiser in front of it does:
 * `req.body`, `req.query` and `req.params` may hold only plain objects (prototype
 * `Object.prototype` or `null`) and arrays, and no key that starts with `$`, contains `.`, or is
 * `__proto__` / `constructor` / `prototype`. Anything else answers 400 problem+json, without
 * naming the key. The walk is bounded (depth and number of entries), so it costs at most
 * MAX_ENTRIES steps.
 */

const MAX_DEPTH = 32;
const MAX_ENTRIES = 10_000;

class Hidden extends Error {}

function check(value: unknown, depth: number, budget: { left: number }): void {
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_DEPTH) throw new Hidden();
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw new Hidden();
    budget.left -= value.length;
    if (budget.left < 0) throw new Hidden();
    for (const v of value) check(v, depth + 1, budget);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new Hidden();
  // Own keys including non-enumerable ones and symbols: nothing may hide from the check.
  const keys = Reflect.ownKeys(value);
  budget.left -= keys.length;
  if (budget.left < 0) throw new Hidden();
  for (const key of keys) {
    if (typeof key !== 'string' || isDangerousKey(key)) throw new Hidden();
    check((value as Record<string, unknown>)[key], depth + 1, budget);
  }
}

/** True when `value` is free of operator keys, prototype keys and non-plain objects. */
export function isPlainInput(value: unknown): boolean {
  try {
    check(value, 0, { left: MAX_ENTRIES });
    return true;
  } catch (err) {
    if (err instanceof Hidden) return false;
    throw err;
  }
}

/** Express middleware: 400 when body, query or params hold what `isPlainInput` refuses. */
export function refuseHiddenKeys() {
  return function demoRefuseHiddenKeys(req: Request, res: Response, next: NextFunction): void {
    if (isPlainInput(req.body) && isPlainInput(req.query) && isPlainInput(req.params)) {
      next();
      return;
    }
    sendProblem(
      res,
      400,
      'bad-request',
      'Bad Request',
      'field names starting with $, containing a dot, or naming the prototype are not accepted',
    );
  };
}
