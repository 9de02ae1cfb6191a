import { createRequire } from 'node:module';
import { SanitizeError } from '../errors';

/** A `require`: the module `id`, or a thrown error (`code: 'MODULE_NOT_FOUND'` when absent). */
export type Loader = (id: string) => unknown;

/** What `validate` needs of an Ajv 8 instance. */
export interface AjvLike {
  compile(schema: object | boolean): AjvValidateFunction;
}

/** What `validate` needs of a function compiled by Ajv. */
export interface AjvValidateFunction {
  (data: unknown): boolean | Promise<unknown>;
  errors?: AjvErrorLike[] | null;
}

/** What `validate` reads of an Ajv error (never `data`). */
export interface AjvErrorLike {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

let resolver: Loader | undefined;

/** `require` from this file's folder: the installed peer that this copy of the package sees. */
const fromHere: Loader = (id) => {
  resolver ??= createRequire(__filename);
  return resolver(id);
};

let shared: AjvLike | undefined;

/**
 * The Ajv instance `validate` compiles JSON Schemas with when none is given: `new Ajv()` of the
 * optional peer `ajv`, loaded on first use (so the package works without it), one per process.
 * Throws `SanitizeError` `RESIL_SANITIZE_PEER_MISSING` when `ajv` cannot be found or is not Ajv 8.
 * `load` is a parameter for tests only.
 */
export function defaultAjv(load: Loader = fromHere): AjvLike {
  if (shared !== undefined && load === fromHere) return shared;
  let mod: unknown;
  try {
    mod = load('ajv');
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') throw missing(err);
    throw err;
  }
  const Ajv = (mod as { default?: unknown } | null)?.default ?? mod;
  if (typeof Ajv !== 'function') throw missing(undefined);
  const ajv = new (Ajv as new () => AjvLike)();
  if (load === fromHere) shared = ajv;
  return ajv;
}

function missing(cause: unknown): SanitizeError {
  return new SanitizeError(
    'RESIL_SANITIZE_PEER_MISSING',
    'validate: a JSON Schema needs the optional peer dependency ajv 8 (npm i ajv), or an Ajv instance as option ajv',
    0,
    cause === undefined ? undefined : { cause },
  );
}
