import {
  booleanOption,
  CORE_ERROR_CODES,
  checkOptions,
  enumOption,
  integerOption,
  OptionRangeError,
  OptionTypeError,
  sendProblem,
} from '@resil/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { checkExact, type ValidationChain, validationResult } from 'express-validator';
import { isSanitizeError } from './errors';
import {
  type AjvErrorLike,
  type AjvLike,
  type AjvValidateFunction,
  defaultAjv,
} from './internal/peers';
import { shapeProblem } from './internal/shape';
import { SANITIZE_PROBLEMS, sanitizeProblem } from './problems';

export type { AjvErrorLike, AjvLike, AjvValidateFunction };

export interface FieldError {
  field: string;
  message: string;
}

/** The part of the request a schema validates. */
export type ValidatedPart = 'body' | 'query' | 'params';

export interface ValidateOptions {
  /**
   * Chains only: fields the chains do not name, in the locations they use, are rejected
   * (express-validator's `checkExact`), each as `{ field: <path>, message: 'Unknown field' }`.
   * @default false
   */
  exact?: boolean;
}

export interface ValidateSchemaOptions<P extends ValidatedPart = 'body'> {
  /** Schemas only: which part of the request the schema validates (and, for zod, replaces). @default 'body' */
  part?: P;
  /** JSON Schema only: the Ajv 8 instance to compile it with. @default a shared `new Ajv()` of the optional peer `ajv` */
  ajv?: AjvLike;
  /** Schemas only: deepest nesting accepted before the schema runs; deeper → 400. @default 10 */
  maxDepth?: number;
  /** Schemas only: most keys and array items accepted before the schema runs; more → 413. @default 1000 */
  maxKeys?: number;
}

/** A Standard Schema v1 (zod ≥ 3.24 and 4, valibot, ArkType): what `validate` needs of it. */
export interface StandardSchemaLike<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: unknown; readonly output: Output } | undefined;
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/** The output type of a Standard Schema (a zod schema's `z.output`). */
export type SchemaOutput<S> = S extends { readonly '~standard': { readonly types?: infer T } }
  ? NonNullable<T> extends { readonly output: infer O }
    ? O
    : unknown
  : unknown;

/** A JSON Schema (draft 2020-12 or 07, as Ajv 8 compiles it): an object. */
export type JsonSchema = { readonly [keyword: string]: unknown };

// biome-ignore lint/suspicious/noExplicitAny: Express's own default for a response body
type AnyBody = any;

/** Express's params type (`ParamsDictionary`). */
type Params = Request['params'];

/** A `RequestHandler` whose `req[part]` has the type `T`. */
export type ValidatedHandler<P extends ValidatedPart, T> = P extends 'query'
  ? RequestHandler<Params, AnyBody, AnyBody, T>
  : P extends 'params'
    ? RequestHandler<T, AnyBody, AnyBody>
    : RequestHandler<Params, AnyBody, T>;

const OWNER = 'validate';
const PARTS = ['body', 'query', 'params'] as const;
const SCHEMA_ONLY = ['part', 'ajv', 'maxDepth', 'maxKeys'] as const;
/** Most entries listed in `errors`; the rest are counted in `errorsOmitted`. */
export const MAX_LISTED_ERRORS = 20;
/** Longest field path shown, in UTF-16 code units; longer paths are cut and end with `…`. */
export const MAX_FIELD_LENGTH = 100;
const UNKNOWN_FIELD = 'Unknown field';
const INVALID = 'Invalid value';
/** Marks the unknown-fields error of our own `checkExact` (a user's checkExact keeps its shape). */
const EXACT = Object.freeze({ rule: 'resil-exact' });

/** `path` cut to `MAX_FIELD_LENGTH` (never inside a surrogate pair). */
function fieldName(path: string): string {
  if (path.length <= MAX_FIELD_LENGTH) return path;
  let end = MAX_FIELD_LENGTH - 1;
  const last = path.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${path.slice(0, end)}\u2026`;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** True when `message` contains `shown`; for a value under 4 characters, only as a whole word. */
function echoes(message: string, shown: string): boolean {
  if (shown.length >= 4) return message.includes(shown);
  for (let at = message.indexOf(shown); at !== -1; at = message.indexOf(shown, at + 1)) {
    const before = message[at - 1];
    const after = message[at + shown.length];
    if (
      (before === undefined || !WORD_CHAR.test(before)) &&
      (after === undefined || !WORD_CHAR.test(after))
    )
      return true;
  }
  return false;
}

/**
 * A schema's message, unless it is not a string, is empty, is over 200 characters, or contains
 * the rejected string or number (a custom message that interpolates the input; a value under 4
 * characters counts as a whole word only): then `Invalid value`.
 */
function safeMessage(message: unknown, value: unknown): string {
  if (typeof message !== 'string' || message === '' || message.length > 200) return INVALID;
  const shown =
    typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint'
      ? String(value)
      : '';
  return shown !== '' && echoes(message, shown) ? INVALID : message;
}

/** The value at `path` in `data`, through own properties only. */
function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let at = data;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** express-validator's style: `a.b`, `list[0]`. */
function joinPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function send422(res: Response, errors: FieldError[]): void {
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const extensions: Record<string, unknown> = { errors: listed };
  if (errors.length > listed.length) extensions.errorsOmitted = errors.length - listed.length;
  sendProblem(
    res,
    sanitizeProblem(
      SANITIZE_PROBLEMS.VALIDATION_FAILED,
      422,
      'Validation failed',
      `${errors.length} field(s) did not pass validation.`,
      extensions,
    ),
  );
}

/**
 * Runs express-validator chains; on failure answers 422 application/problem+json (RFC 9457,
 * type `https://resil.dev/problems/validation-failed`) with `errors: [{ field, message }]` (at
 * most 20, the rest counted in `errorsOmitted`). The rejected value is never echoed (it may be
 * PHI): give each chain a `.withMessage()` that describes the rule, not the input. A chain's
 * `customSanitizer(sanitizeInput)` that throws `RESIL_SANITIZE_TOO_LONG` answers 413
 * problem+json; any other error thrown by a chain goes to Express's error handler.
 * `{ exact: true }`: fields the chains do not name are rejected too (see `ValidateOptions`).
 *
 * Or validates one part of the request (`part`, default the body) with a schema, typed:
 * a Standard Schema (zod 3.24+/4: `validate(z.object({...}))`, `req.body` then has the schema's
 * output type and is replaced by the parsed output) or a JSON Schema compiled by Ajv 8
 * (`validate<Patient>(jsonSchema)`, `req.body` typed `Patient`; the optional peer `ajv` is loaded
 * on first use, `RESIL_SANITIZE_PEER_MISSING` when absent). Before the schema runs, nesting
 * deeper than `maxDepth` answers 400 and more than `maxKeys` keys and items 413. Schema messages
 * that contain the rejected value are replaced by `Invalid value`.
 */
export function validate(chains: ValidationChain[], options?: ValidateOptions): RequestHandler;
export function validate<S extends StandardSchemaLike, P extends ValidatedPart = 'body'>(
  schema: S,
  options?: ValidateSchemaOptions<P>,
): ValidatedHandler<P, SchemaOutput<S>>;
export function validate<T = unknown, P extends ValidatedPart = 'body'>(
  schema: JsonSchema,
  options?: ValidateSchemaOptions<P>,
): ValidatedHandler<P, T>;
export function validate(
  chainsOrSchema: ValidationChain[] | StandardSchemaLike | JsonSchema,
  options: (ValidateOptions & ValidateSchemaOptions<ValidatedPart>) | undefined = undefined,
): RequestHandler {
  const o = checkOptions(OWNER, options, ['exact', ...SCHEMA_ONLY]);
  if (Array.isArray(chainsOrSchema)) {
    for (const name of SCHEMA_ONLY)
      if (o[name] !== undefined)
        throw new OptionRangeError(name, `${OWNER}: ${name} applies to a schema, not to chains`);
    return chainsHandler(chainsOrSchema, booleanOption(OWNER, 'exact', o.exact, false));
  }
  if (typeof chainsOrSchema !== 'object' || chainsOrSchema === null)
    throw new TypeError('validate: chains must be an array of express-validator chains');
  if (o.exact !== undefined)
    throw new OptionRangeError(
      'exact',
      `${OWNER}: exact applies to chains; a schema says it itself (additionalProperties: false, z.strictObject)`,
    );
  const part = enumOption(OWNER, 'part', o.part, PARTS, 'body');
  const maxDepth = integerOption(OWNER, 'maxDepth', o.maxDepth, { default: 10, min: 1 });
  const maxKeys = integerOption(OWNER, 'maxKeys', o.maxKeys, { default: 1000, min: 1 });
  const check = schemaCheck(chainsOrSchema, o.ajv);
  return async function resilValidateSchema(req: Request, res: Response, next: NextFunction) {
    try {
      const data = (req as unknown as Record<string, unknown>)[part];
      const tooBig = shapeProblem(data, maxDepth, maxKeys);
      if (tooBig !== undefined) return void sendProblem(res, tooBig);
      const result = await check(data);
      if ('errors' in result) return send422(res, result.errors);
      if (!('value' in result)) return next();
      // Express 5's req.query is a getter: define an own property over it, as sanitizeRequest does.
      if (part === 'query')
        Object.defineProperty(req, part, {
          value: result.value,
          writable: true,
          configurable: true,
          enumerable: true,
        });
      else (req as unknown as Record<string, unknown>)[part] = result.value;
      next();
    } catch (err) {
      next(err);
    }
  };
}

type CheckResult = { errors: FieldError[] } | { value: unknown } | { ok: true };

function schemaCheck(
  schema: StandardSchemaLike | JsonSchema,
  ajvOption: unknown,
): (data: unknown) => Promise<CheckResult> {
  const standard = (schema as Partial<StandardSchemaLike>)['~standard'];
  if (typeof standard === 'object' && standard !== null) {
    if (typeof standard.validate !== 'function')
      throw new TypeError('validate: a Standard Schema must have ~standard.validate');
    if (ajvOption !== undefined)
      throw new OptionRangeError('ajv', `${OWNER}: ajv applies to a JSON Schema, not to zod`);
    return async (data) => {
      const result = await standard.validate(data);
      if (result.issues === undefined) return { value: result.value };
      return {
        errors: result.issues.map((issue) => {
          const path = (issue.path ?? []).map((k) =>
            typeof k === 'object' && k !== null ? k.key : k,
          );
          return {
            field: fieldName(joinPath(path)),
            message: safeMessage(issue.message, valueAt(data, path)),
          };
        }),
      };
    };
  }
  if (
    ajvOption !== undefined &&
    (typeof ajvOption !== 'object' ||
      ajvOption === null ||
      typeof (ajvOption as AjvLike).compile !== 'function')
  )
    throw new OptionTypeError(
      CORE_ERROR_CODES.OPTION_TYPE,
      'ajv',
      `${OWNER}: ajv must be an Ajv 8 instance`,
    );
  const ajv = (ajvOption as AjvLike | undefined) ?? defaultAjv();
  const run = ajv.compile(schema); // a schema Ajv cannot compile throws here, at configuration
  return async (data) => {
    if ((await run(data)) === true) return { ok: true };
    return { errors: (run.errors ?? []).map((e) => ajvError(e, data)) };
  };
}

/** JSON pointer (`/a/0/b`) to keys, `~1` and `~0` decoded. */
function pointerKeys(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function ajvError(e: AjvErrorLike, data: unknown): FieldError {
  // An array index is a number (`list[0]`): read through the data as it goes.
  const keys: PropertyKey[] = [];
  let at = data;
  for (const k of pointerKeys(e.instancePath)) {
    keys.push(Array.isArray(at) ? Number(k) : k);
    at = valueAt(at, [k]);
  }
  const named = e.params.missingProperty ?? e.params.additionalProperty;
  const value = at;
  if (typeof named === 'string') keys.push(named);
  return { field: fieldName(joinPath(keys)), message: safeMessage(e.message, value) };
}

function chainsHandler(chains: ValidationChain[], exact: boolean): RequestHandler {
  // Built once: express-validator's checkExact keeps no state between requests.
  const exactRunner = exact ? checkExact(chains, { message: EXACT }) : undefined;
  return async function resilValidate(req: Request, res: Response, next: NextFunction) {
    try {
      if (exactRunner) await exactRunner.run(req);
      else for (const chain of chains) await chain.run(req);
      const result = validationResult(req);
      if (result.isEmpty()) return next();
      const errors: FieldError[] = [];
      for (const e of result.array()) {
        if (e.type === 'unknown_fields' && e.msg === EXACT)
          for (const f of e.fields)
            errors.push({ field: fieldName(f.path), message: UNKNOWN_FIELD });
        else
          errors.push({
            field: e.type === 'field' ? e.path : e.type,
            message: typeof e.msg === 'string' ? e.msg : INVALID,
          });
      }
      send422(res, errors);
    } catch (err) {
      // A chain's `customSanitizer(sanitizeInput)` refused a value over its length cap.
      if (isSanitizeError(err) && err.code === 'RESIL_SANITIZE_TOO_LONG')
        return void sendProblem(
          res,
          sanitizeProblem(
            SANITIZE_PROBLEMS.FIELD_TOO_LONG,
            413,
            'Request field too long',
            `A field longer than ${err.limit} characters is not accepted.`,
          ),
        );
      next(err);
    }
  };
}
