import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { ERROR_CODES, IdempotencyStoreError } from './errors';
import type { ClaimResult, IdempotencyStore, StoredResponse } from './store';

/**
 * The `encryptionKey` option: one 32-byte key (its id is `'default'`), or a list of
 * `{ id, key }` where the first encrypts and every one decrypts (rotation). Key names and
 * fingerprints are keyed with the LAST key of the list (the oldest still configured), so that
 * putting a new key first changes neither.
 */
export type EncryptionKeyOption =
  | Uint8Array
  | ReadonlyArray<{ readonly id: string; readonly key: Uint8Array }>;

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const derive = (key: Uint8Array, info: string) =>
  Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 32));

/** Hashes of key names and fingerprints: HMAC-SHA-256 with a keyring, plain SHA-256 without. */
export interface Hasher {
  /** `length` hex characters (8 to 64) of the hash of `value`. */
  hash(value: string, length?: number): string;
}

export const sha256Hasher: Hasher = {
  hash: (value, length = 64) => createHash('sha256').update(value).digest('hex').slice(0, length),
};

/** AES-256-GCM with key ids (a random 12-byte IV per record) and an HMAC-SHA-256 hasher. */
export class Keyring implements Hasher {
  readonly #encrypt: { id: string; key: Buffer };
  readonly #keys = new Map<string, Buffer>();
  readonly #mac: Buffer;

  constructor(option: unknown, owner = 'idempotency') {
    const name = `${owner}: encryptionKey`;
    const entries: Array<{ id: string; key: Uint8Array }> = [];
    if (option instanceof Uint8Array) entries.push({ id: 'default', key: option });
    else if (Array.isArray(option) && option.length > 0) {
      for (const e of option as unknown[]) {
        const { id, key } = (e ?? {}) as { id?: unknown; key?: unknown };
        if (typeof id !== 'string' || !ID_PATTERN.test(id) || !(key instanceof Uint8Array))
          throw new TypeError(
            `${name} entries must be { id, key } with id of 1 to 64 characters [A-Za-z0-9._-] and key a Buffer`,
          );
        entries.push({ id, key });
      }
    } else
      throw new TypeError(`${name} must be a 32-byte Buffer or a non-empty array of { id, key }`);
    for (const { id, key } of entries) {
      if (key.length !== 32) throw new RangeError(`${name} keys must be 32 bytes (AES-256)`);
      if (this.#keys.has(id)) throw new TypeError(`${name} ids must be unique`);
      this.#keys.set(id, derive(key, 'resil idempotency v1 aes-256-gcm'));
    }
    const first = entries[0] as { id: string };
    this.#encrypt = { id: first.id, key: this.#keys.get(first.id) as Buffer };
    const last = entries[entries.length - 1] as { key: Uint8Array };
    this.#mac = derive(last.key, 'resil idempotency v1 hmac-sha-256');
  }

  /** The id of the key that encrypts. */
  get encryptingKeyId(): string {
    return this.#encrypt.id;
  }

  hash(value: string, length = 64): string {
    return createHmac('sha256', this.#mac).update(value).digest('hex').slice(0, length);
  }

  /** `[1][id length][id][iv 12][tag 16][ciphertext]`; the version, the id and `aad` are authenticated. */
  seal(aad: string, plaintext: Buffer): Buffer {
    const { id, key } = this.#encrypt;
    const head = Buffer.concat([Buffer.from([VERSION, id.length]), Buffer.from(id, 'latin1')]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.concat([head, Buffer.from(aad, 'utf8')]));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([head, iv, cipher.getAuthTag(), body]);
  }

  /** The plaintext, or an {@link IdempotencyStoreError}: `UNKNOWN_KEY_ID` or `DECRYPT_FAILED`. */
  open(aad: string, envelope: Buffer): Buffer {
    const fail = () =>
      new IdempotencyStoreError(
        ERROR_CODES.DECRYPT_FAILED,
        'idempotency: a stored record does not decrypt (altered, moved to another key, or not encrypted)',
      );
    if (envelope.length < 2 || envelope[0] !== VERSION) throw fail();
    const idLength = envelope[1] as number;
    const start = 2 + idLength;
    if (envelope.length < start + IV_BYTES + TAG_BYTES) throw fail();
    const id = envelope.subarray(2, start).toString('latin1');
    const key = this.#keys.get(id);
    if (!key)
      throw new IdempotencyStoreError(
        ERROR_CODES.UNKNOWN_KEY_ID,
        'idempotency: a stored record was encrypted with a key id that is not configured',
      );
    const iv = envelope.subarray(start, start + IV_BYTES);
    const tag = envelope.subarray(start + IV_BYTES, start + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.concat([envelope.subarray(0, start), Buffer.from(aad, 'utf8')]));
      decipher.setAuthTag(tag);
      return Buffer.concat([
        decipher.update(envelope.subarray(start + IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw fail();
    }
  }
}

/** Status, headers and body in one plaintext: `[json length, 4 bytes][{ s, h }][body]`. */
function pack(r: StoredResponse): Buffer {
  const meta = Buffer.from(JSON.stringify({ s: r.status, h: r.headers }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(meta.length);
  return Buffer.concat([len, meta, r.body]);
}

function unpack(b: Buffer): StoredResponse {
  const n = b.readUInt32BE(0);
  const meta = JSON.parse(b.subarray(4, 4 + n).toString('utf8')) as {
    s: number;
    h: Record<string, string | string[]>;
  };
  return { status: meta.s, headers: meta.h, body: b.subarray(4 + n), omitted: false };
}

/**
 * A store that keeps its records encrypted in `inner`: status, headers and body become one
 * AES-256-GCM envelope (stored as the body, with status 0 and no headers), bound to the record's
 * key name (a record copied to another key does not decrypt). A record that does not decrypt is
 * a store error, never replayed.
 */
export function encryptedStore(inner: IdempotencyStore, keyring: Keyring): IdempotencyStore {
  const sealed = (key: string, r: StoredResponse): StoredResponse =>
    r.omitted
      ? { status: 0, headers: {}, body: Buffer.alloc(0), omitted: true }
      : { status: 0, headers: {}, body: keyring.seal(key, pack(r)), omitted: false };
  return {
    get kind() {
      return inner.kind;
    },
    async claim(key, owner, fp, leaseMs): Promise<ClaimResult> {
      const r = await inner.claim(key, owner, fp, leaseMs);
      if (r.claimed || r.state !== 'done' || r.response.omitted) return r;
      return { ...r, response: unpack(keyring.open(key, r.response.body)) };
    },
    complete: (key, owner, response, ttlMs) =>
      inner.complete(key, owner, sealed(key, response), ttlMs),
    renew: (key, owner, leaseMs) => inner.renew(key, owner, leaseMs),
    release: (key, owner) => inner.release(key, owner),
    close: () => inner.close(),
  };
}
