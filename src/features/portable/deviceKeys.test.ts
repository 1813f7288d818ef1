// K on the device: wrapped with a non-extractable AES-GCM key, readable back only for the same user, wiped on sign-out.
import { describe, expect, it } from 'vitest';
import { deriveMemberRoot, generateRecoverySecret } from '../../protocol';
import { forgetMemberRoot, forgetMemberRoots, keepMemberRoot, loadMemberRoot, rememberMemberRoot, type KeyValueStore } from './deviceKeys';

function mapStore(): KeyValueStore & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return {
    map,
    get: async (key) => map.get(key),
    set: async (key, value) => void map.set(key, structuredClone(value)),
    delete: async (key) => void map.delete(key),
    clear: async () => map.clear(),
  };
}

const contains = (haystack: Uint8Array, needle: Uint8Array) => Buffer.from(haystack).includes(Buffer.from(needle));

describe('remembered member-key root', () => {
  it('round-trips K, and the stored record holds neither K nor an extractable key', async () => {
    const store = mapStore();
    const root = deriveMemberRoot(generateRecoverySecret());
    await rememberMemberRoot('@a:x', root, store);
    expect(await loadMemberRoot('@a:x', store)).toEqual(root);
    const record = store.map.get('@a:x') as { wrappingKey: CryptoKey; ciphertext: ArrayBuffer };
    expect(record.wrappingKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', record.wrappingKey)).rejects.toThrow();
    expect(contains(new Uint8Array(record.ciphertext), root)).toBe(false);
  });

  it('is undefined for another user, for a record moved to another user, and after sign-out', async () => {
    const store = mapStore();
    const root = deriveMemberRoot(generateRecoverySecret());
    await rememberMemberRoot('@a:x', root, store);
    expect(await loadMemberRoot('@b:x', store)).toBeUndefined();
    store.map.set('@b:x', store.map.get('@a:x'));
    expect(await loadMemberRoot('@b:x', store)).toBeUndefined();
    expect(store.map.has('@b:x')).toBe(false); // an undecryptable record is dropped
    await forgetMemberRoots(store);
    expect(await loadMemberRoot('@a:x', store)).toBeUndefined();
    expect(store.map.size).toBe(0);
  });

  it('forgets one user without touching another', async () => {
    const store = mapStore();
    const root = deriveMemberRoot(generateRecoverySecret());
    await rememberMemberRoot('@a:x', root, store);
    await rememberMemberRoot('@b:y', root, store);
    await forgetMemberRoot('@a:x', store);
    expect(await loadMemberRoot('@a:x', store)).toBeUndefined();
    expect(await loadMemberRoot('@b:y', store)).toEqual(root);
  });

  it('ignores garbage in the store', async () => {
    const store = mapStore();
    store.map.set('@a:x', { version: 1, wrappingKey: 'nope' });
    expect(await loadMemberRoot('@a:x', store)).toBeUndefined();
  });
});

describe('keeping K after a proof', () => {
  it('remembers it by default; on a shared computer holds it in this tab only, replacing one remembered before', async () => {
    const store = mapStore();
    const root = deriveMemberRoot(generateRecoverySecret());
    await keepMemberRoot('@a:x', root, false, store);
    expect(store.map.has('@a:x')).toBe(true);
    expect(await loadMemberRoot('@a:x', store)).toEqual(root);

    const other = deriveMemberRoot(generateRecoverySecret());
    await keepMemberRoot('@a:x', other, true, store);
    expect(store.map.size).toBe(0); // nothing written for a shared computer, and the earlier one is gone
    expect(await loadMemberRoot('@a:x', store)).toEqual(other);

    await forgetMemberRoots(store); // sign-out
    expect(await loadMemberRoot('@a:x', store)).toBeUndefined();
  });
});
