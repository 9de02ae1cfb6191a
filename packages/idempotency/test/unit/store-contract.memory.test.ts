// The store contract (test/store-contract.ts) on the memory store, on the encrypted memory store,
// and on a store written from the interface alone (what a user passes as `store`).
import { MemoryStore } from '../../src';
import { encryptedStore, Keyring } from '../../src/crypto';
import { storeContract } from '../store-contract';

let seq = 0;
const key = () => `k${++seq}`;

storeContract('MemoryStore', () => ({ store: new MemoryStore(), key }));
storeContract('MemoryStore, encrypted', () => ({
  store: encryptedStore(new MemoryStore(), new Keyring(Buffer.alloc(32, 7))),
  key,
}));
