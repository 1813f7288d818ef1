import { deriveMemberRoot } from '../../protocol';
import type { Session } from '../../matrix/session';
import { sessionStore } from '../../state/sessionStore';
import { forgetMemberRoot, rememberMemberRoot } from './deviceKeys';
import { logger } from '../../platform/logger';

const log = logger('portable');

/** After a proof succeeded: keep K only if asked to (wrapped, see deviceKeys), then enter the app. */
export async function finishPortableSignIn(session: Session, secret: Uint8Array, remember: boolean): Promise<void> {
  if (remember) await rememberMemberRoot(session.userId, deriveMemberRoot(secret));
  else
    await forgetMemberRoot(session.userId).catch((error: unknown) =>
      log.warn('could not forget a member-key root remembered earlier', error),
    );
  await sessionStore.getState().signedIn(session);
}
