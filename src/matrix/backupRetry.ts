// A message whose key isn't in the key backup yet fills in when it gets there, without a reload. The sender's device
// uploads room keys after a random delay of up to 10 s, so a new device that restores the backup (or looks a key up in
// it) just before that found nothing, and matrix-js-sdk asks the backup for a key only when a decryption fails: it
// would stay unreadable until the page reloads. So such a message is tried again a few times, with growing gaps (each
// try asks the backup for that one key again, at most every 5 s by the SDK's own back-off), and every unreadable
// message is tried again when the backup becomes usable on this device (its key was just unlocked).
import { MatrixEventEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/CryptoEvent.js';
import { DecryptionFailureCode } from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { CryptoBackend } from 'matrix-js-sdk/lib/common-crypto/CryptoBackend.js';
import { logger } from '../platform/logger';

const log = logger('crypto:backup-retry');

/** After the first failure, then after each further one; then the message waits for its key to arrive otherwise. */
export const BACKUP_RETRY_DELAYS_MS = [5_000, 10_000, 20_000, 40_000, 80_000];

/**
 * Failures that a key reaching the backup later can mend. "No backup" and "backup not working" are among them: the
 * SDK keeps saying so for a while after this device has restored the backup (its view of the server's backup is
 * refreshed on its own schedule), so they are tried again as well; without a usable backup a try costs a local
 * decryption attempt and nothing else.
 */
const mendedByBackup = new Set<DecryptionFailureCode | null>([
  DecryptionFailureCode.HISTORICAL_MESSAGE_WORKING_BACKUP,
  DecryptionFailureCode.HISTORICAL_MESSAGE_NO_KEY_BACKUP,
  DecryptionFailureCode.HISTORICAL_MESSAGE_BACKUP_UNCONFIGURED,
  DecryptionFailureCode.MEGOLM_UNKNOWN_INBOUND_SESSION_ID,
]);

/** The part of matrix-js-sdk this needs: its events and the crypto backend that decrypts them. */
export interface RetrySources {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  /** Every undecryptable event loaded now (live timelines of joined rooms). */
  undecryptable(): MatrixEvent[];
  /** Decrypts `event` again; undefined when crypto isn't running. */
  retry(event: MatrixEvent): Promise<void> | undefined;
}

export function clientRetrySources(client: MatrixClient): RetrySources {
  return {
    on: (event, listener) => client.on(event as never, listener as never),
    off: (event, listener) => client.off(event as never, listener as never),
    undecryptable: () =>
      client
        .getRooms()
        .flatMap((room) => room.getLiveTimeline().getEvents())
        .filter((event) => event.isDecryptionFailure()),
    retry: (event) => {
      // The SDK's own retry (`isRetry`): attemptDecryption is internal, and decryptEventIfNeeded skips failed events.
      const backend = (client as unknown as { cryptoBackend?: CryptoBackend }).cryptoBackend;
      return backend ? event.attemptDecryption(backend, { isRetry: true }) : undefined;
    },
  };
}

/** Follows decryption failures and retries those the backup may mend; returns the unfollow. */
export function retryFromBackup(sources: RetrySources, delays: readonly number[] = BACKUP_RETRY_DELAYS_MS): () => void {
  const attempts = new Map<string, number>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const retry = (event: MatrixEvent) =>
    sources.retry(event)?.catch(log.ignored('a retried decryption failed again; the next failure schedules another'));

  const onDecrypted = (event: MatrixEvent) => {
    const id = event.getId();
    if (!id || timers.has(id)) return;
    if (!event.isDecryptionFailure() || !mendedByBackup.has(event.decryptionFailureReason)) {
      attempts.delete(id);
      return;
    }
    const attempt = attempts.get(id) ?? 0;
    if (attempt >= delays.length) return;
    timers.set(
      id,
      setTimeout(() => {
        timers.delete(id);
        attempts.set(id, attempt + 1);
        void retry(event);
      }, delays[attempt]),
    );
  };
  // The backup became usable here: its key cached (restored with the recovery key, or shared by another session),
  // then the backup enabled (the SDK judges "no backup" or "backup not working" until then, so both are waited for).
  const onBackupUsable = (enabled: unknown) => {
    if (enabled === false) return;
    const events = sources.undecryptable();
    if (events.length) log.debug(`the key backup is usable: trying ${events.length} unreadable messages again`);
    // Each starts its gaps again from now: the key may be uploaded only in the next seconds.
    for (const event of events) {
      const id = event.getId() ?? '';
      clearTimeout(timers.get(id));
      timers.delete(id);
      attempts.delete(id);
      void retry(event);
    }
  };
  sources.on(MatrixEventEvent.Decrypted, onDecrypted);
  sources.on(CryptoEvent.KeyBackupDecryptionKeyCached, onBackupUsable);
  sources.on(CryptoEvent.KeyBackupStatus, onBackupUsable);
  return () => {
    sources.off(MatrixEventEvent.Decrypted, onDecrypted);
    sources.off(CryptoEvent.KeyBackupDecryptionKeyCached, onBackupUsable);
    sources.off(CryptoEvent.KeyBackupStatus, onBackupUsable);
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
  };
}
