import { deriveMemberRoot } from '../../protocol';
import type { Session } from '../../matrix/session';
import { sessionStore } from '../../state/sessionStore';
import { keepMemberRoot } from './deviceKeys';
import { handRecoverySecret } from '../../matrix/recoverySecret';
import { topUpInvitePool } from './invitePool';
import { logger } from '../../platform/logger';

const log = logger('portable');

/**
 * After a proof succeeded: fill the invite-key pool while K is at hand (PROTOCOL.md §5: invites then keep the
 * account portable), keep K (remembered, or in this tab only on a shared computer), hand the secret to the session's
 * encryption set-up (matrix/recoverySecret.ts), then enter the app.
 */
export async function finishPortableSignIn(session: Session, secret: Uint8Array, sharedComputer: boolean): Promise<void> {
  const root = deriveMemberRoot(secret);
  await topUpInvitePool(session, root).catch((error: unknown) =>
    log.warn('could not fill the invite-key pool; invites then get keys the server makes', error),
  );
  await keepMemberRoot(session.userId, root, sharedComputer);
  // The same secret unlocks (or, on a new identity, sets up) secret storage, cross-signing and key backup.
  handRecoverySecret(session.userId, secret);
  await sessionStore.getState().signedIn(session);
}
