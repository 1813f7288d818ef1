// Account management: change password (POST /account/password) and deactivate (POST /account/deactivate), both
// behind user-interactive auth: the password again, or for a portable account a fresh account-key proof.
import type { Homeserver } from '../homeserver';
import { accessTokenOf, requireSession } from '../http/auth';
import { forbidden, MatrixError } from '../http/errors';
import type { Router } from '../http/router';
import { asObject, optionalBoolean, requiredString } from '../http/validate';
import { requireReauthentication } from './devices';

export function registerAccount(router: Router, hs: Homeserver): void {
  router.post('~/account/password', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    // A portable account signs in with its account key: there is no password to change (PROTOCOL.md §5).
    if (hs.accountKeys.forUser(session.userId))
      throw forbidden(`${session.userId} signs in with its recovery key and has no password to change`);
    await requireReauthentication(hs, session.userId, body.auth, 'password-change');
    const password = requiredString(body, 'new_password');
    if (password.length === 0) throw new MatrixError(400, 'M_WEAK_PASSWORD', 'The new password is empty');
    if (password.length > 512) throw new MatrixError(400, 'M_INVALID_PARAM', 'Password too long');
    hs.accounts.setPassword(session.userId, password);
    // The spec's default: every other session ends (the one that asked stays signed in).
    if (optionalBoolean(body, 'logout_devices') ?? true) hs.accounts.logoutOthers(session.userId, accessTokenOf(ctx)!);
    return {};
  });

  router.post('~/account/deactivate', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const erase = optionalBoolean(body, 'erase') ?? false;
    await requireReauthentication(hs, session.userId, body.auth, 'deactivate');
    await leaveEverything(hs, session.userId);
    hs.accounts.deactivate(session.userId);
    // Erasure (spec): whoever joins from here on is served the account's events redacted; whoever could see them
    // before keeps seeing them. Nothing is sent: no redactions, nothing over federation. Its non-event data goes.
    if (erase) {
      hs.accounts.erase(session.userId, hs.stream.current());
      hs.accountData.eraseUser(session.userId);
    }
    return { id_server_unbind_result: 'no-support' };
  });
}

/** Leaves every joined room and declines every invite, as Synapse does on deactivation; one room failing stops no other. */
async function leaveEverything(hs: Homeserver, userId: string): Promise<void> {
  for (const { room_id: roomId, membership } of hs.events.membershipsOf(userId)) {
    if (membership !== 'join' && membership !== 'invite' && membership !== 'knock') continue;
    try {
      if (membership !== 'join' && !hs.federation.isResident(roomId) && hs.federation.outliers.serverHints(roomId).length > 0) {
        await hs.federation.leaveRemote(roomId, userId);
        continue;
      }
      const version = hs.rooms.versionOf(roomId);
      hs.rooms.send(roomId, userId, {
        type: 'm.room.member',
        stateKey: hs.rooms.memberIdFor(roomId, version, userId),
        content: { membership: 'leave' },
      });
    } catch (error) {
      console.warn(`deactivating ${userId}: leaving ${roomId} failed:`, error);
    }
  }
}
