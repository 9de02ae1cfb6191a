import {
  checkOptions,
  enumOption,
  functionOption,
  integerOption,
  OptionTypeError,
  sendProblem,
} from '@resil/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isSanitizeError } from './errors';
import { sanitizeText } from './input';
import { compileExclude, type ExcludeState, stepExclude } from './internal/exclude';
import { SANITIZE_PROBLEMS, type SanitizeProblemSlug, sanitizeProblem } from './problems';

export interface SanitizeRequestOptions {
  /** Applied to every string leaf and every key. @default sanitizeInput (without its own cap: `maxStringLength` applies) */
  sanitize?: (value: string) => string;
  /** Longest string leaf or key, in UTF-16 code units, checked before sanitising; longer → 413. @default 10000 */
  maxStringLength?: number;
  /** Which parts of the request. @default ['body', 'query', 'params'] */
  parts?: Array<'body' | 'query' | 'params'>;
  /** Deepest nesting accepted; deeper → 400. @default 10 */
  maxDepth?: number;
  /** Most keys and array items in one part; more → 413. @default 1000 */
  maxKeys?: number;
  /** A query parameter given several times (`?a=1&a=2`): keep the 'first', the 'last', 'reject' (400) or 'keep' the array. @default 'last' */
  parameterPollution?: 'first' | 'last' | 'reject' | 'keep';
  /** Query parameters that may legitimately repeat (kept as arrays). @default [] */
  arrayParams?: string[];
  /**
   * Field paths whose string values are left as they are (passwords, tokens, rich text handled
   * elsewhere), in every part: dot paths (`'user.password'`), `*` for exactly one level
   * (`'content.*'`, `'list.*'` for every item, `'list.0'` for the first); a path excludes its
   * value and everything under it. Keys are still checked and cleaned there, and the length,
   * depth and size limits still apply. At most 1000 paths of at most `maxDepth` segments.
   * @default []
   */
  exclude?: string[];
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const PARTS = new Set(['body', 'query', 'params']);
const OWNER = 'sanitizeRequest';
const POLLUTION = ['first', 'last', 'reject', 'keep'] as const;
const KNOWN = new Set([
  'sanitize',
  'maxStringLength',
  'parts',
  'maxDepth',
  'maxKeys',
  'parameterPollution',
  'arrayParams',
  'exclude',
]);

class Refusal extends Error {
  constructor(
    readonly slug: SanitizeProblemSlug,
    readonly status: 400 | 413,
    readonly title: string,
    readonly detail: string,
  ) {
    super(title);
    this.name = 'ResilSanitizeRefusal';
  }
}

/** A `Refusal`, also from another copy of this package (through the params hook). */
function isRefusal(err: unknown): err is Refusal {
  return err instanceof Refusal || (err instanceof Error && err.name === 'ResilSanitizeRefusal');
}

/** A key an attacker uses against MongoDB-style queries or the prototype chain. */
export function isDangerousKey(key: string): boolean {
  return key.startsWith('$') || key.includes('.') || FORBIDDEN.has(key);
}

/** Defines `key` as an own data property: never runs the `__proto__` setter of `target`. */
function put(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** Marks a request whose `params` accessor this package installed. */
const PARAMS_HOOK = Symbol.for('@resil/sanitize.paramsHook');
/** On such a request: why the hook refused the last params assigned (a `Refusal`), if it did. */
const PARAMS_REFUSED = Symbol.for('@resil/sanitize.paramsRefused');
/** On such a request: its params as last sanitised, and the refusal of the last assignment. */
const PARAMS_STATE = Symbol('@resil/sanitize.paramsState');
interface ParamsState {
  current: unknown;
  refused: unknown;
}
const HOOKED = { value: true, configurable: true };
function getRefused(this: Record<PropertyKey, unknown>): unknown {
  return (this[PARAMS_STATE] as ParamsState | undefined)?.refused;
}

/**
 * Express middleware (4 and 5) that deep-sanitises `req.body`, `req.query` and `req.params`:
 * string leaves and keys through `sanitizeInput`, after a length check (`maxStringLength`, 413);
 * a key that is, before or after cleaning, `$`-prefixed or dotted (NoSQL operators) or
 * `__proto__` / `constructor` / `prototype` (prototype pollution) is dropped; objects are rebuilt
 * with own data properties, so no input can give them a prototype; nesting beyond `maxDepth`
 * answers 400 and more than `maxKeys` entries 413 (problem+json, never a stack overflow);
 * repeated query parameters are reduced per `parameterPollution`.
 * On Express 5, where `req.query` is a getter, the sanitised query replaces it on the request.
 * Mounted with `app.use`/`router.use`, it also sanitises the `req.params` that the router assigns
 * later, when a route matches (see the README for what happens to params it cannot accept).
 */
export function sanitizeRequest(options: SanitizeRequestOptions = {}): RequestHandler {
  const o = checkOptions(OWNER, options, KNOWN);
  const clean = functionOption<(value: string) => string>(
    OWNER,
    'sanitize',
    o.sanitize,
    sanitizeText,
  ) as (value: string) => string;
  const parts = o.parts ?? ['body', 'query', 'params'];
  if (!Array.isArray(parts) || parts.some((p) => !PARTS.has(p)))
    throw new OptionTypeError(
      'RESIL_CORE_OPTION_TYPE',
      'parts',
      "sanitizeRequest: parts must be an array of 'body', 'query', 'params'",
    );
  const maxDepth = integerOption(OWNER, 'maxDepth', o.maxDepth, { default: 10, min: 1 });
  const maxKeys = integerOption(OWNER, 'maxKeys', o.maxKeys, { default: 1000, min: 1 });
  const maxStringLength = integerOption(OWNER, 'maxStringLength', o.maxStringLength, {
    default: 10_000,
    min: 1,
  });
  const pollution = enumOption(
    OWNER,
    'parameterPollution',
    o.parameterPollution,
    POLLUTION,
    'last',
  );
  const arrayParams = new Set(o.arrayParams ?? []);
  const excluded = compileExclude(o.exclude ?? [], maxDepth);

  /** Counts keys and items against maxKeys; over it, 413. */
  const spend = (budget: { left: number }, n: number): void => {
    budget.left -= n;
    if (budget.left < 0)
      throw new Refusal(
        SANITIZE_PROBLEMS.TOO_MANY_FIELDS,
        413,
        'Request has too many fields',
        `More than ${maxKeys} fields and items are not accepted.`,
      );
  };

  /** The length check, then `sanitize`; its too-long error is a 413 as well. */
  const cleanString = (value: string): string => {
    if (value.length > maxStringLength) throw tooLong();
    try {
      return clean(value);
    } catch (err) {
      if (isSanitizeError(err) && err.code === 'RESIL_SANITIZE_TOO_LONG') throw tooLong();
      throw err;
    }
  };
  const tooLong = () =>
    new Refusal(
      SANITIZE_PROBLEMS.FIELD_TOO_LONG,
      413,
      'Request field too long',
      `A field or key longer than ${maxStringLength} characters is not accepted.`,
    );

  /** `ex`: where the walk stands in the `exclude` paths (undefined: nothing here or below). */
  const walk = (
    value: unknown,
    depth: number,
    budget: { left: number },
    ex: ExcludeState | undefined,
  ): unknown => {
    if (typeof value === 'string') {
      if (ex?.all !== true) return cleanString(value);
      if (value.length > maxStringLength) throw tooLong();
      return value;
    }
    if (value === null || typeof value !== 'object') return value;
    if (depth >= maxDepth)
      throw new Refusal(
        SANITIZE_PROBLEMS.TOO_DEEPLY_NESTED,
        400,
        'Request too deeply nested',
        `Nesting deeper than ${maxDepth} levels is not accepted.`,
      );
    if (Array.isArray(value)) {
      spend(budget, value.length);
      const items: unknown[] = [];
      for (let i = 0; i < value.length; i++)
        items.push(walk(value[i], depth + 1, budget, stepExclude(ex, String(i))));
      return items;
    }
    if (Buffer.isBuffer(value) || value instanceof Date) return value;
    const out: Record<string, unknown> = {};
    const keys = Object.keys(value);
    spend(budget, keys.length);
    for (const key of keys) {
      if (isDangerousKey(key)) continue;
      const cleanKey = cleanString(key);
      if (isDangerousKey(cleanKey)) continue;
      // Matched on the key as sent: a key that needed cleaning to match is not excluded.
      const child = (value as Record<string, unknown>)[key];
      put(out, cleanKey, walk(child, depth + 1, budget, stepExclude(ex, key)));
    }
    return out;
  };

  const dePollute = (query: Record<string, unknown>): Record<string, unknown> => {
    if (pollution === 'keep') return query;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(query)) {
      if (!Array.isArray(v) || arrayParams.has(k)) put(out, k, v);
      else if (pollution === 'reject')
        throw new Refusal(
          SANITIZE_PROBLEMS.REPEATED_QUERY_PARAMETER,
          400,
          'Repeated query parameter',
          'A query parameter was given more than once.',
        );
      else put(out, k, pollution === 'first' ? v[0] : v[v.length - 1]);
    }
    return out;
  };

  /**
   * The router assigns `req.params` after this middleware, once per matched layer: an accessor
   * sanitises every assignment. It must not throw (it runs inside the router, possibly in a
   * callback): params it cannot accept (over a limit, or `sanitize` threw) become `{}`, so the
   * handler never sees them unsanitised.
   */
  // The accessor's functions are this middleware's, shared by every request (their state is on
  // the request, under PARAMS_STATE): functions made per request would give every request its
  // own hidden class in V8, and slow down every later property access on it.
  function getParams(this: Record<PropertyKey, unknown>): unknown {
    return (this[PARAMS_STATE] as ParamsState | undefined)?.current;
  }
  function setParams(this: Record<PropertyKey, unknown>, v: unknown): void {
    const state = this[PARAMS_STATE] as ParamsState | undefined;
    if (state === undefined) return;
    try {
      state.current = walk(v, 0, { left: maxKeys }, excluded);
      state.refused = undefined;
    } catch (err) {
      state.current = {};
      state.refused = err;
    }
  }
  const paramsAccessor = { get: getParams, set: setParams, enumerable: true, configurable: true };
  const refusedAccessor = { get: getRefused, configurable: true };

  /**
   * The router assigns `req.params` after this middleware, once per matched layer: an accessor
   * sanitises every assignment. It must not throw (it runs inside the router, possibly in a
   * callback): params it cannot accept (over a limit, or `sanitize` threw) become `{}`, so the
   * handler never sees them unsanitised.
   */
  const hookParams = (req: Request, cleaned: unknown): void => {
    const r = req as unknown as Record<PropertyKey, unknown>;
    if (r[PARAMS_HOOK] === true) {
      r.params = cleaned; // through the installed setter: its rules apply too
      return;
    }
    const state: ParamsState = { current: cleaned, refused: undefined };
    Object.defineProperty(req, PARAMS_STATE, { value: state, configurable: true });
    Object.defineProperty(req, 'params', paramsAccessor);
    Object.defineProperty(req, PARAMS_HOOK, HOOKED);
    Object.defineProperty(req, PARAMS_REFUSED, refusedAccessor);
  };

  return function resilSanitizeRequest(req: Request, res: Response, next: NextFunction) {
    try {
      for (const part of parts) {
        const r = req as unknown as Record<PropertyKey, unknown>;
        const current = r[part];
        if (part === 'params') {
          // What the router gave so far: refused with 400/413 like the other parts; what it
          // assigns later (app.use / router.use), sanitised by the hook.
          // On the route, after an app-level hook refused these params: answer for it.
          const refused = r[PARAMS_REFUSED];
          if (refused !== undefined) throw refused;
          hookParams(
            req,
            current === undefined ? {} : walk(current, 0, { left: maxKeys }, excluded),
          );
          continue;
        }
        if (current === undefined) continue;
        let cleaned = walk(current, 0, { left: maxKeys }, excluded);
        if (part === 'query' && cleaned && typeof cleaned === 'object' && !Array.isArray(cleaned))
          cleaned = dePollute(cleaned as Record<string, unknown>);
        // Express 5's req.query is a getter: define an own property over it.
        Object.defineProperty(req, part, {
          value: cleaned,
          writable: true,
          configurable: true,
          enumerable: true,
        });
      }
      next();
    } catch (err) {
      if (isRefusal(err))
        return void sendProblem(res, sanitizeProblem(err.slug, err.status, err.title, err.detail));
      next(err);
    }
  };
}
