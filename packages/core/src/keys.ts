import { createHash } from 'node:crypto';

/**
 * Redis keys of the form `${keyPrefix}{${namespace}:${id}}[:${suffix}...]`. Everything inside
 * the braces is the hash tag, so every key one script touches for one `id` lives in one Redis
 * Cluster slot; the prefix stays outside the tag, so different ids spread over the cluster.
 */
export interface KeyBuilder {
  readonly keyPrefix: string;
  readonly namespace: string;
  /** The key for `id`, with optional `:`-joined suffixes after the hash tag. */
  key(id: string, ...suffix: string[]): string;
  /** The hash tag `{namespace:id}` the keys of `id` share. */
  tag(id: string): string;
}

const BRACES = /[{}]/;

/**
 * A key builder for one package (`namespace`, e.g. `breaker`, `idem`, `ratelimit`). The prefix
 * and namespace may not contain `{` or `}` (they would move the hash tag); an id may not contain
 * `}` (it would end the tag early): hash a user-derived id with `hashKeyPart` first.
 */
export function keyBuilder(keyPrefix: string, namespace: string): KeyBuilder {
  if (typeof keyPrefix !== 'string' || BRACES.test(keyPrefix))
    throw new TypeError('keyBuilder: keyPrefix must be a string without { or }');
  if (
    typeof namespace !== 'string' ||
    namespace.length === 0 ||
    BRACES.test(namespace) ||
    namespace.includes(':')
  )
    throw new TypeError('keyBuilder: namespace must be a non-empty string without {, } or :');
  const tag = (id: string) => {
    if (typeof id !== 'string' || id.includes('}'))
      throw new TypeError('keyBuilder: an id must be a string without }');
    return `{${namespace}:${id}}`;
  };
  return Object.freeze({
    keyPrefix,
    namespace,
    tag,
    key: (id: string, ...suffix: string[]) =>
      suffix.length === 0 ? `${keyPrefix}${tag(id)}` : `${keyPrefix}${tag(id)}:${suffix.join(':')}`,
  });
}

/**
 * A user-derived key part as hex SHA-256 (`length` hex characters, default 32 = 128 bits): no
 * patient data in Redis key names, no braces, a bounded length.
 */
export function hashKeyPart(value: string, length = 32): string {
  if (!Number.isInteger(length) || length < 8 || length > 64)
    throw new RangeError('hashKeyPart: length must be an integer from 8 to 64');
  return createHash('sha256').update(value).digest('hex').slice(0, length);
}

/**
 * The part of `key` Redis Cluster hashes (its rules: the text between the first `{` and the
 * next `}` when not empty, otherwise the whole key).
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}
