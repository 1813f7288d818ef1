// The member-key root K on this device (PROTOCOL.md §2): remembered by default, so joining or creating a room never
// asks for the recovery key again; on "This is a shared computer" it is held in this tab's memory only. Sign-out
// forgets both. K is encrypted with an AES-GCM key that WebCrypto creates non-extractable: IndexedDB can hold the CryptoKey
// object, but no script (ours included) can read its bytes, so a copied database alone does not reveal K.
// The recovery key itself is never stored anywhere.
import { createStore, clear, del, get, set, type UseStore } from 'idb-keyval';
import { logger } from '../../platform/logger';

const log = logger('portable');

/** Where wrapped roots live; an interface so tests can use a Map instead of IndexedDB. */
export interface KeyValueStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  clear(): Promise<void>;
}

interface WrappedRoot {
  version: 1;
  wrappingKey: CryptoKey;
  iv: Uint8Array<ArrayBuffer>;
  ciphertext: ArrayBuffer;
}

let idbStore: UseStore | undefined;
const keysStore = () => (idbStore ??= createStore('wayfarer-keys', 'member-roots'));

export const indexedDbKeyStore: KeyValueStore = {
  get: (key) => get(key, keysStore()),
  set: (key, value) => set(key, value, keysStore()),
  delete: (key) => del(key, keysStore()),
  clear: () => clear(keysStore()),
};

function isWrappedRoot(value: unknown): value is WrappedRoot {
  const v = value as Partial<WrappedRoot> | null;
  return (
    !!v &&
    v.version === 1 &&
    typeof v.wrappingKey === 'object' &&
    v.iv instanceof Uint8Array &&
    v.iv.buffer instanceof ArrayBuffer &&
    v.ciphertext instanceof ArrayBuffer
  );
}

/** The user ID doubles as additional authenticated data, so a root copied to another account's slot won't decrypt. */
const aad = (userId: string) => new TextEncoder().encode(`wayfarer member root for ${userId}`);

export async function rememberMemberRoot(userId: string, memberRoot: Uint8Array, store: KeyValueStore = indexedDbKeyStore): Promise<void> {
  const wrappingKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: aad(userId) },
    wrappingKey,
    Uint8Array.from(memberRoot),
  );
  const record: WrappedRoot = { version: 1, wrappingKey, iv, ciphertext };
  await store.set(userId, record);
}

/** Shared computers: K for this tab only, never written anywhere; a reload or sign-out loses it. */
const heldInThisTab = new Map<string, Uint8Array>();

export function holdMemberRootInThisTab(userId: string, memberRoot: Uint8Array): void {
  heldInThisTab.set(userId, Uint8Array.from(memberRoot));
}

/** The root held in this tab, else the remembered one, or undefined when none is stored or it can no longer be decrypted (then it is dropped). */
export async function loadMemberRoot(userId: string, store: KeyValueStore = indexedDbKeyStore): Promise<Uint8Array | undefined> {
  const held = heldInThisTab.get(userId);
  if (held) return Uint8Array.from(held);
  let record: unknown;
  try {
    record = await store.get(userId);
  } catch (error) {
    log.debug('the remembered member-key root is unreadable; the recovery key is asked for instead', error);
    return undefined;
  }
  if (!isWrappedRoot(record)) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: record.iv, additionalData: aad(userId) },
      record.wrappingKey,
      record.ciphertext,
    );
    return new Uint8Array(plain);
  } catch (error) {
    // Its wrapping key is gone (browser data partly cleared): useless, so forget it; the recovery key is asked for.
    log.debug('the remembered member-key root cannot be unwrapped; forgetting it', error);
    await store.delete(userId).catch(log.ignored('could not delete the unusable member-key root; it is tried again next time'));
    return undefined;
  }
}

/** Signing in on a shared computer: a root left from an earlier session must not linger. */
export async function forgetMemberRoot(userId: string, store: KeyValueStore = indexedDbKeyStore): Promise<void> {
  await store.delete(userId);
}

/** Sign-out: every root on this browser goes, remembered or held in this tab. */
export async function forgetMemberRoots(store: KeyValueStore = indexedDbKeyStore): Promise<void> {
  for (const [userId, root] of heldInThisTab) {
    root.fill(0);
    setSharedComputer(userId, false);
  }
  heldInThisTab.clear();
  const storage = flags();
  for (const key of storage ? Object.keys(storage) : []) if (key.startsWith(SHARED_FLAG)) storage?.removeItem(key);
  await store.clear();
}

/** The choice itself is not secret; kept so the recovery-key prompt after a reload offers the same one. */
const SHARED_FLAG = 'wayfarer.sharedComputer:';
const flags = (): Storage | undefined => (typeof localStorage === 'undefined' ? undefined : localStorage);

export function isSharedComputer(userId: string): boolean {
  return flags()?.getItem(SHARED_FLAG + userId) === '1';
}

function setSharedComputer(userId: string, shared: boolean): void {
  try {
    if (shared) flags()?.setItem(SHARED_FLAG + userId, '1');
    else flags()?.removeItem(SHARED_FLAG + userId);
  } catch (error) {
    log.debug('could not note the shared-computer choice', error);
  }
}

/** After a proof: remember K (the default) or, on a shared computer, hold it in this tab only. */
export async function keepMemberRoot(
  userId: string,
  memberRoot: Uint8Array,
  sharedComputer: boolean,
  store: KeyValueStore = indexedDbKeyStore,
): Promise<void> {
  setSharedComputer(userId, sharedComputer);
  if (!sharedComputer) return rememberMemberRoot(userId, memberRoot, store);
  holdMemberRootInThisTab(userId, memberRoot);
  await forgetMemberRoot(userId, store).catch((error: unknown) => log.warn('could not forget a member-key root remembered earlier', error));
}
