import { CORE_ERROR_CODES, OptionRangeError, OptionTypeError } from '@resil/core';

/** Most paths `exclude` accepts. */
export const MAX_EXCLUDE_PATHS = 1000;
/** Longest path `exclude` accepts, in UTF-16 code units. */
export const MAX_EXCLUDE_PATH_LENGTH = 1000;
/** Most automaton states the paths may compile to (see `compileExclude`). */
export const MAX_EXCLUDE_STATES = 10_000;

const OWNER = 'sanitizeRequest';
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Where the walk of one request part stands in the `exclude` paths: a state of a deterministic
 * automaton built once, when the middleware is created. Stepping to a child key is one map
 * look-up (`next.get(key) ?? other`), so the cost per key does not grow with the list.
 */
export interface ExcludeState {
  /** The value here is excluded, with everything under it. */
  readonly all: boolean;
  /** The state of a child, by the key as sent (literal path segments). */
  readonly next: ReadonlyMap<string, ExcludeState>;
  /** The state of any other child key (`*` segments); undefined: nothing under it is excluded. */
  readonly other: ExcludeState | undefined;
}

interface TrieNode {
  readonly id: number;
  readonly lit: Map<string, TrieNode>;
  star: TrieNode | undefined;
  end: boolean;
}

/** The state of the children of an excluded value: everything under it is excluded too. */
const ALL: ExcludeState = Object.freeze({ all: true, next: new Map(), other: undefined });

function range(message: string): OptionRangeError {
  return new OptionRangeError('exclude', `${OWNER}: exclude ${message}`);
}

/**
 * Checks `exclude` (an array of at most `MAX_EXCLUDE_PATHS` dot paths of at most `maxDepth`
 * segments; a segment is `*` or a key that `sanitizeRequest` keeps) and compiles it: a trie of
 * the paths, then its subset construction, so that a key at any depth is matched in one look-up.
 * Undefined for no paths. The construction is bounded by `MAX_EXCLUDE_STATES` (RangeError beyond).
 * Errors name `exclude` and the index of the path, never its text.
 */
export function compileExclude(paths: unknown, maxDepth: number): ExcludeState | undefined {
  if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string'))
    throw new OptionTypeError(
      CORE_ERROR_CODES.OPTION_TYPE,
      'exclude',
      `${OWNER}: exclude must be an array of strings`,
    );
  if (paths.length > MAX_EXCLUDE_PATHS) throw range(`must have at most ${MAX_EXCLUDE_PATHS} paths`);
  if (paths.length === 0) return undefined;
  let ids = 0;
  const node = (): TrieNode => ({ id: ids++, lit: new Map(), star: undefined, end: false });
  const root = node();
  paths.forEach((path: string, i) => {
    if (path.length > MAX_EXCLUDE_PATH_LENGTH)
      throw range(`[${i}] must be at most ${MAX_EXCLUDE_PATH_LENGTH} characters`);
    const segments = path.split('.');
    if (segments.length > maxDepth)
      throw range(`[${i}] has more than maxDepth (${maxDepth}) segments`);
    let at = root;
    for (const s of segments) {
      if (s === '' || (s !== '*' && s.includes('*')))
        throw range(`[${i}] must be dot-separated keys or "*" (one level)`);
      if (s.startsWith('$') || FORBIDDEN.has(s))
        throw range(`[${i}] names a key that sanitizeRequest always drops`);
      if (s === '*') {
        at.star ??= node();
        at = at.star;
      } else {
        let child = at.lit.get(s);
        if (child === undefined) {
          child = node();
          at.lit.set(s, child);
        }
        at = child;
      }
    }
    at.end = true;
  });

  // Subset construction: a state is the set of trie nodes (at one depth) that match the keys so far.
  const states = new Map<string, ExcludeState>();
  const build = (set: TrieNode[]): ExcludeState => {
    if (set.some((n) => n.end)) return ALL;
    const key = set
      .map((n) => n.id)
      .sort((a, b) => a - b)
      .join(',');
    const known = states.get(key);
    if (known !== undefined) return known;
    if (states.size >= MAX_EXCLUDE_STATES)
      throw range(`combines into more than ${MAX_EXCLUDE_STATES} states: use fewer "*" paths`);
    const next = new Map<string, ExcludeState>();
    const state: ExcludeState = { all: false, next, other: undefined };
    states.set(key, state);
    const stars = set.flatMap((n) => (n.star ? [n.star] : []));
    for (const n of set)
      for (const k of n.lit.keys()) {
        if (next.has(k)) continue;
        const targets = new Set(stars);
        for (const m of set) {
          const t = m.lit.get(k);
          if (t) targets.add(t);
        }
        next.set(k, build([...targets]));
      }
    (state as { other: ExcludeState | undefined }).other =
      stars.length > 0 ? build(stars) : undefined;
    return state;
  };
  return build([root]);
}

/** The state of the child `key` of a value in state `state` (undefined: not excluded, nor below). */
export function stepExclude(
  state: ExcludeState | undefined,
  key: string,
): ExcludeState | undefined {
  if (state === undefined || state.all) return state;
  return state.next.get(key) ?? state.other;
}
