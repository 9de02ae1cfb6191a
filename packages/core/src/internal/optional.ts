import { createRequire } from 'node:module';

/** Set by tsup.config.ts: true in the ES module build, false in the CommonJS one; absent under Jest. */
declare const __RESIL_ESM__: boolean | undefined;

let req: NodeJS.Require | undefined;

/** The module's own `require` in CommonJS (and Jest); `createRequire(import.meta.url)` in ESM. */
function requireFn(): NodeJS.Require {
  if (!req)
    req =
      typeof __RESIL_ESM__ !== 'undefined' && __RESIL_ESM__
        ? createRequire(import.meta.url)
        : require;
  return req;
}

/**
 * A module the application may or may not have installed (an optional peer dependency), loaded
 * synchronously the same way from the CommonJS and the ES module build. Undefined when absent.
 */
export function optionalRequire<T>(name: string): T | undefined {
  try {
    return requireFn()(name) as T;
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}
