import { deriveMemberRoot } from '../../protocol';
import type { Session } from '../../matrix/session';
import { sessionStore } from '../../state/sessionStore';
import { keepMemberRoot } from './deviceKeys';

/** After a proof succeeded: keep K (remembered, or in this tab only on a shared computer), then enter the app. */
export async function finishPortableSignIn(session: Session, secret: Uint8Array, sharedComputer: boolean): Promise<void> {
  await keepMemberRoot(session.userId, deriveMemberRoot(secret), sharedComputer);
  await sessionStore.getState().signedIn(session);
}
