// The recovery key's 32 bytes, handed from the sign-in screen (which never loads matrix-js-sdk) to the session that
// starts next, in memory only: that session unlocks secret storage with them (PROTOCOL.md §8), then forgets them.
const pending = new Map<string, Uint8Array>();

/** Hands `secret` to the next session of `userId` (sign-in or creation with a recovery key). */
export function handRecoverySecret(userId: string, secret: Uint8Array): void {
  pending.set(userId, secret.slice());
}

/** The secret handed to this user's session, once: the second call gets nothing. */
export function takeRecoverySecret(userId: string): Uint8Array | undefined {
  const secret = pending.get(userId);
  pending.delete(userId);
  return secret;
}
