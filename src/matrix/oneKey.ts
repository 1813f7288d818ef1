// The one key (PROTOCOL.md §8): the recovery key that signs a portable identity in is also its secret-storage key.
// A new identity gets cross-signing, secret storage (m.secret_storage.v1.aes-hmac-sha2 keyed by the recovery key's 32
// bytes) and key backup; a new device signing in with it unlocks secret storage, cross-signs itself and restores the
// key backup, so old encrypted history reads with no further prompt. The spec derives secret storage's AES and HMAC
// keys with HKDF and the secret's name as info; the account key and member keys use dev.wayfarer/... info strings
// (src/protocol/derivation.ts), so no key serves two uses.
import { ClientEvent, type AuthDict, type MatrixClient } from 'matrix-js-sdk';
import type { SecretStorageKeyDescription } from 'matrix-js-sdk/lib/secret-storage.js';
import { encodeRecoveryKey } from '../protocol';
import { uploadDeviceSigningKeysAuth, type SecretStorageUnlock } from './crypto';
import { logger } from '../platform/logger';

const log = logger('crypto');

export type AuthAnswer = (challenge: { session?: string; stages: string[][] }) => Promise<AuthDict | undefined>;

export type OneKeyOutcome =
  /** Cross-signing, secret storage and key backup were set up with this secret. */
  | 'created'
  /** Secret storage opened; this device is cross-signed; the key backup was restored. */
  | 'unlocked'
  /** The account's secret storage has a key this secret does not open (set up elsewhere, with another key). */
  | 'other-key';

/** Resolves once the client has its first sync (account data, where secret storage lives, comes with it). */
export function firstSync(client: MatrixClient): Promise<void> {
  if (client.isInitialSyncComplete()) return Promise.resolve();
  return new Promise((resolve) => {
    const onSync = (state: string) => {
      if (state !== 'PREPARED' && state !== 'SYNCING') return;
      client.off(ClientEvent.Sync, onSync);
      resolve();
    };
    client.on(ClientEvent.Sync, onSync);
  });
}

/** Whether `secret` opens the account's default secret-storage key; undefined when there is none. */
async function opensDefaultKey(client: MatrixClient, secret: Uint8Array): Promise<boolean | undefined> {
  const storage = client.secretStorage;
  const keyId = await storage.getDefaultKeyId();
  if (!keyId) return undefined;
  const key = await storage.getKey(keyId);
  if (!key) return undefined;
  return storage.checkKey(secret, key[1] as SecretStorageKeyDescription);
}

/** Sets up, or unlocks, encryption with the recovery secret (see the top of this file). */
export async function setUpOneKey(
  client: MatrixClient,
  unlock: SecretStorageUnlock,
  secret: Uint8Array,
  answer: AuthAnswer,
): Promise<OneKeyOutcome> {
  const crypto = client.getCrypto();
  if (!crypto) throw new Error('encryption is not running');
  await firstSync(client);
  unlock.set(secret);
  const authUploadDeviceSigningKeys = uploadDeviceSigningKeysAuth(answer);
  const opens = await opensDefaultKey(client, secret);
  if (opens === false) {
    log.warn('this account’s secret storage was set up with another key; the recovery key does not open it');
    return 'other-key';
  }
  if (opens === undefined) {
    await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys });
    await crypto.bootstrapSecretStorage({
      createSecretStorageKey: async () => ({ privateKey: secret, encodedPrivateKey: encodeRecoveryKey(secret), keyInfo: {} }),
      setupNewKeyBackup: !(await crypto.getKeyBackupInfo()),
    });
    return 'created';
  }
  // Cross-signing keys come from secret storage; this device is signed with them. Their public halves must be known
  // first (a fresh device has not asked the server yet): the private ones are imported only when they match.
  await crypto.userHasCrossSigningKeys(client.getSafeUserId(), true);
  await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys });
  const backup = await crypto.getKeyBackupInfo();
  if (!backup) {
    // Secret storage without a backup (set up before backups): start one, keyed in the same secret storage.
    await crypto.bootstrapSecretStorage({ setupNewKeyBackup: true });
    return 'unlocked';
  }
  await crypto.loadSessionBackupPrivateKeyFromSecretStorage();
  await crypto.checkKeyBackupAndEnable();
  const restored = await crypto.restoreKeyBackup();
  log.info(`restored ${restored.imported} of ${restored.total} room keys from the key backup`);
  return 'unlocked';
}
