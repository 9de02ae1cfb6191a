// The store contract (test/store-contract.ts) on the Redis store (a client of the kind
// RESIL_REDIS_CLIENT names) and on the encrypted Redis store, under this file's own prefix.
import { useRedis } from '@resil/testkit';
import { RedisStore } from '../../src';
import { encryptedStore, Keyring } from '../../src/crypto';
import { storeContract } from '../store-contract';

const r = useRedis('idempotency-contract');
let seq = 0;
const key = () => `${r.prefix}{idem:${++seq}}`;

storeContract('RedisStore', () => ({ store: new RedisStore(r.redis, { timeoutMs: 2_000 }), key }));
storeContract('RedisStore, encrypted', () => ({
  store: encryptedStore(
    new RedisStore(r.redis, { timeoutMs: 2_000 }),
    new Keyring(Buffer.alloc(32, 7)),
  ),
  key,
}));
