import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MatrixEvent } from 'matrix-js-sdk';
import { MatrixEventEvent } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/CryptoEvent.js';
import { DecryptionFailureCode } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { retryFromBackup, type RetrySources } from './backupRetry';

/** An encrypted event whose key is in the backup from `keyArrivesOnTry` on (never, when undefined). */
function fakeEvent(id: string, reason: DecryptionFailureCode) {
  return {
    id,
    reason: reason as DecryptionFailureCode | null,
    getId: () => id,
    isDecryptionFailure() {
      return this.reason !== null;
    },
    get decryptionFailureReason() {
      return this.reason;
    },
  };
}
type Fake = ReturnType<typeof fakeEvent>;

function fakeClient(keyArrivesOnTry?: number) {
  const emitter = new EventEmitter();
  const tries = new Map<string, number>();
  const loaded: Fake[] = [];
  const sources: RetrySources = {
    on: (name, listener) => emitter.on(name, listener as (...args: unknown[]) => void),
    off: (name, listener) => emitter.off(name, listener as (...args: unknown[]) => void),
    undecryptable: () => loaded.filter((e) => e.isDecryptionFailure()) as unknown as MatrixEvent[],
    retry: (event) => {
      const e = event as unknown as Fake;
      const n = (tries.get(e.id) ?? 0) + 1;
      tries.set(e.id, n);
      if (keyArrivesOnTry !== undefined && n >= keyArrivesOnTry) e.reason = null;
      // The SDK says Decrypted after every attempt, failed or not.
      emitter.emit(MatrixEventEvent.Decrypted, e);
      return Promise.resolve();
    },
  };
  const fail = (e: Fake) => {
    loaded.push(e);
    emitter.emit(MatrixEventEvent.Decrypted, e);
  };
  return { sources, tries, fail, emit: (name: string, arg: unknown = '1') => emitter.emit(name, arg) };
}

describe('retryFromBackup', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('tries a message whose key was not in the backup again, with growing gaps, until its key is there', async () => {
    const client = fakeClient(3);
    retryFromBackup(client.sources, [1_000, 2_000, 4_000, 8_000]);
    const event = fakeEvent('$late', DecryptionFailureCode.HISTORICAL_MESSAGE_WORKING_BACKUP);
    client.fail(event);
    await vi.advanceTimersByTimeAsync(999);
    expect(client.tries.get('$late')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(client.tries.get('$late')).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(client.tries.get('$late')).toBe(2);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(client.tries.get('$late')).toBe(3);
    expect(event.isDecryptionFailure()).toBe(false);
    // Read: nothing more is scheduled.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(client.tries.get('$late')).toBe(3);
  });

  it('gives up after the last gap, and leaves alone what the backup cannot mend', async () => {
    const client = fakeClient();
    retryFromBackup(client.sources, [1_000, 2_000]);
    client.fail(fakeEvent('$never', DecryptionFailureCode.MEGOLM_UNKNOWN_INBOUND_SESSION_ID));
    client.fail(fakeEvent('$before-join', DecryptionFailureCode.HISTORICAL_MESSAGE_USER_NOT_JOINED));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(client.tries.get('$never')).toBe(2);
    expect(client.tries.get('$before-join')).toBeUndefined();
  });

  it('tries every unreadable message again when the backup becomes usable, and stops when unfollowed', async () => {
    const client = fakeClient(2);
    const stop = retryFromBackup(client.sources, [1_000]);
    const before = fakeEvent('$before-verified', DecryptionFailureCode.HISTORICAL_MESSAGE_NO_KEY_BACKUP);
    client.fail(before);
    // Tried once on its own schedule, and given up after the last gap.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(client.tries.get('$before-verified')).toBe(1);
    client.emit(CryptoEvent.KeyBackupStatus, false);
    expect(client.tries.get('$before-verified')).toBe(1);
    client.emit(CryptoEvent.KeyBackupStatus, true);
    expect(client.tries.get('$before-verified')).toBe(2);
    expect(before.isDecryptionFailure()).toBe(false);

    stop();
    client.fail(fakeEvent('$after-stop', DecryptionFailureCode.HISTORICAL_MESSAGE_WORKING_BACKUP));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(client.tries.get('$after-stop')).toBeUndefined();
  });
});
