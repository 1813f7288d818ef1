// End-to-end encryption: matrix-js-sdk's Rust crypto, started after sign-in. `initRustCrypto` imports its module and
// the WebAssembly (5 MB) on demand, so neither is ever part of the first screen. Its store is IndexedDB, kept for one
// user+device: a store left by another session is deleted before starting, and signing out deletes it.
import { DecryptionFailureCode } from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { AuthDict, MatrixClient, MatrixError } from 'matrix-js-sdk';
import type { CryptoCallbacks } from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { SecretStorageKeyDescription } from 'matrix-js-sdk/lib/secret-storage.js';
import { logger } from '../platform/logger';

const log = logger('crypto');

/** matrix-js-sdk's fixed prefix for the Rust store (client.ts RUST_SDK_STORE_PREFIX). */
const rustStoreDatabases = ['matrix-js-sdk::matrix-sdk-crypto', 'matrix-js-sdk::matrix-sdk-crypto-meta'];
const ownerKey = 'wayfarer-crypto-owner';

/**
 * The recovery key's 32 bytes while this page holds them (the sign-in or creation that gave them; never stored):
 * they are the secret-storage key (PROTOCOL.md §8), found by the spec's key check against each key the account has.
 */
export class SecretStorageUnlock {
  private secret: Uint8Array | undefined;
  private client: MatrixClient | undefined;

  attach(client: MatrixClient): void {
    this.client = client;
    unlocks.set(client, this);
  }

  set(secret: Uint8Array | undefined): void {
    this.secret = secret;
  }

  get current(): Uint8Array | undefined {
    return this.secret;
  }

  readonly callbacks: CryptoCallbacks = {
    getSecretStorageKey: async ({ keys }) => {
      const secret = this.secret;
      const storage = this.client?.secretStorage;
      if (!secret || !storage) return null;
      for (const [keyId, info] of Object.entries(keys) as [string, SecretStorageKeyDescription][]) {
        if (await storage.checkKey(secret, info).catch(() => false)) return [keyId, secret];
      }
      log.warn('the recovery key does not open any of this account’s secret-storage keys');
      return null;
    },
  };
}

const unlocks = new WeakMap<MatrixClient, SecretStorageUnlock>();

/** The secret-storage unlock a session's client was made with (the encryption settings hand it a typed recovery key). */
export function secretStorageUnlockOf(client: MatrixClient): SecretStorageUnlock | undefined {
  return unlocks.get(client);
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = window.indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => {
      log.warn(`could not delete ${name}`, request.error);
      resolve();
    };
    // An open connection (a client being stopped) delays it; the deletion happens when it closes.
    request.onblocked = () => resolve();
  });
}

/** Deletes this browser's crypto store (room keys, device keys), never while another tab is opening it. */
export function deleteCryptoStore(): Promise<void> {
  return oneTabAtATime(deleteStoreDatabases);
}

async function deleteStoreDatabases(): Promise<void> {
  await Promise.all(rustStoreDatabases.map(deleteDatabase));
  window.localStorage.removeItem(ownerKey);
}

/**
 * Starts the client's Rust crypto with a store that is this user+device's (another session's store is deleted first).
 * Tabs of one browser share the store: two opening it at once (the end of a move, when another tab follows this one
 * to the new account) interleave its schema migrations, fail, delete it under each other and can hang for good, so
 * the opening is one tab at a time (a Web Lock). Once open, tabs share it, as they did before.
 */
export function startCrypto(client: MatrixClient): Promise<void> {
  return oneTabAtATime(() => openCryptoStore(client));
}

/** Runs `task` holding this browser's crypto-store lock (not re-entrant: tasks must not call each other). */
function oneTabAtATime(task: () => Promise<void>): Promise<void> {
  if (typeof navigator === 'undefined' || !navigator.locks) return task();
  return navigator.locks.request('wayfarer-crypto-store', task);
}

async function openCryptoStore(client: MatrixClient): Promise<void> {
  const owner = `${client.getSafeUserId()}|${client.getDeviceId() ?? ''}`;
  if (window.localStorage.getItem(ownerKey) !== owner) {
    log.debug(`the crypto store is another session's; deleting it for ${owner}`);
    await deleteStoreDatabases();
  }
  try {
    await client.initRustCrypto();
  } catch (error) {
    // A store this device cannot open (another account's, or damaged) must not lock anyone out.
    log.warn('the crypto store could not be opened; starting with a new one', error);
    await deleteStoreDatabases();
    await client.initRustCrypto();
  }
  window.localStorage.setItem(ownerKey, owner);
}

/**
 * Before this device's keys are deleted (sign-out), waits until every room key it holds is in the key backup, up to
 * `timeoutMs`: the SDK uploads them after a random delay of up to 10 s, and a key not yet uploaded would be lost
 * with the device. matrix-js-sdk 37 has no public call for it, so this reaches its backup manager (Rust crypto only).
 */
export async function flushKeyBackup(client: MatrixClient, timeoutMs = 20_000): Promise<void> {
  const crypto = client.getCrypto() as unknown as
    | {
        getActiveSessionBackupVersion(): Promise<string | null>;
        olmMachine?: { roomKeyCounts(): Promise<{ total: number; backedUp: number }> };
        backupManager?: { backupKeysLoop?(maxDelay?: number): Promise<void> };
      }
    | undefined;
  if (!crypto?.olmMachine || !crypto.backupManager?.backupKeysLoop) return;
  if (!(await crypto.getActiveSessionBackupVersion())) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await crypto.olmMachine.roomKeyCounts();
    if (counts.backedUp >= counts.total) return;
    if (Date.now() > deadline) {
      log.warn(`${counts.total - counts.backedUp} room keys were not backed up before sign-out`);
      return;
    }
    // Starts an upload now (no random delay), or returns at once when one is running; either way, look again.
    await crypto.backupManager.backupKeysLoop(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Why an encrypted message could not be read, in words people can act on (issue 18). */
export type UndecryptableReason = 'waiting' | 'beforeJoin' | 'fromBackup' | 'beforeDevice' | 'unverifiedDevice';

export function undecryptableReason(code: DecryptionFailureCode | null): UndecryptableReason {
  switch (code) {
    case DecryptionFailureCode.HISTORICAL_MESSAGE_USER_NOT_JOINED:
      return 'beforeJoin';
    // Sent before this device signed in: its key comes from the key backup, or from nowhere.
    case DecryptionFailureCode.HISTORICAL_MESSAGE_WORKING_BACKUP:
      return 'fromBackup';
    case DecryptionFailureCode.HISTORICAL_MESSAGE_NO_KEY_BACKUP:
    case DecryptionFailureCode.HISTORICAL_MESSAGE_BACKUP_UNCONFIGURED:
      return 'beforeDevice';
    case DecryptionFailureCode.MEGOLM_KEY_WITHHELD_FOR_UNVERIFIED_DEVICE:
    case DecryptionFailureCode.SENDER_IDENTITY_PREVIOUSLY_VERIFIED:
    case DecryptionFailureCode.UNSIGNED_SENDER_DEVICE:
    case DecryptionFailureCode.UNKNOWN_SENDER_DEVICE:
      return 'unverifiedDevice';
    default:
      return 'waiting';
  }
}

/** A user-interactive-auth answer: the stages the server offers and the session to answer in. */
export function uiaChallenge(error: unknown): { session?: string; stages: string[][] } | undefined {
  const e = error as Partial<MatrixError> | undefined;
  if (e?.httpStatus !== 401 || typeof e.data !== 'object' || e.data === null) return undefined;
  const data = e.data as { session?: unknown; flows?: unknown };
  if (!Array.isArray(data.flows)) return undefined;
  return {
    session: typeof data.session === 'string' ? data.session : undefined,
    stages: (data.flows as { stages?: unknown }[]).map((f) => (Array.isArray(f.stages) ? (f.stages as string[]) : [])),
  };
}

/**
 * The `authUploadDeviceSigningKeys` callback: first without auth (a server may take an account's first cross-signing
 * keys that way), then with what `answer` gives for the offered stages (an account-key proof, a password).
 */
export function uploadDeviceSigningKeysAuth(
  answer: (challenge: { session?: string; stages: string[][] }) => Promise<AuthDict | undefined>,
): <T>(makeRequest: (auth: AuthDict | null) => Promise<T>) => Promise<void> {
  return async (makeRequest) => {
    try {
      await makeRequest(null);
      return;
    } catch (error) {
      const challenge = uiaChallenge(error);
      if (!challenge) throw error;
      const auth = await answer(challenge);
      if (!auth) throw error;
      await makeRequest({ ...auth, ...(challenge.session ? { session: challenge.session } : {}) });
    }
  };
}

/** The state event that turns on end-to-end encryption, for a new room's `initial_state`. */
export const encryptionStateEvent = {
  type: 'm.room.encryption',
  state_key: '',
  content: { algorithm: 'm.megolm.v1.aes-sha2' },
} as const;

/**
 * Element's rule for a new DM: encrypted when this session can encrypt and every invitee has a device to encrypt to
 * (a DM with someone whose client has no encryption would be one they can't read).
 */
export async function canEncryptTo(client: MatrixClient, userIds: readonly string[]): Promise<boolean> {
  const crypto = client.getCrypto();
  if (!crypto) return false;
  try {
    const devices = await crypto.getUserDeviceInfo([...userIds], true);
    return userIds.every((id) => (devices.get(id)?.size ?? 0) > 0);
  } catch (error) {
    log.debug('could not look up the invitees’ devices; the DM is not encrypted', error);
    return false;
  }
}
