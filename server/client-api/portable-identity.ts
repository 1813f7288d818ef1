// Portable identity (PROTOCOL.md §5): the account-key challenge, `account/portable`, and the login and
// registration steps that auth.ts hands over for `dev.wayfarer.login.account_key`.
import { ACCOUNT_KEY_LOGIN_TYPE, WAYFARER_CLIENT_PREFIX } from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { movedAway, requireSession } from '../http/auth';
import { forbidden, MatrixError, notFound } from '../http/errors';
import { RateLimiter } from '../http/rate-limit';
import type { Router } from '../http/router';
import { asObject, isObject, type JsonObject } from '../http/validate';

/** Set on the 403 of a valid proof for a key no account here is bound to, so a client can offer to register. */
export const UNKNOWN_ACCOUNT_KEY_FLAG = 'dev.wayfarer.unknown_account_key';

export function registerPortableIdentity(router: Router, hs: Homeserver): void {
  const perAddress = new RateLimiter(hs.config.authRateLimit);

  router.post(`${WAYFARER_CLIENT_PREFIX}/account_key/challenge`, async (ctx) => {
    perAddress.take(`challenge:${ctx.remoteAddress}`);
    return hs.accountKeyProofs.issueChallenge(asObject(await ctx.json()));
  });

  router.get(`${WAYFARER_CLIENT_PREFIX}/account/portable`, (ctx) => {
    const session = requireSession(hs, ctx, { allowMoved: true });
    const row = hs.accountKeys.forUser(session.userId);
    if (!row) throw notFound('This account has no account key: it was registered with a password, so it is not portable');
    return { account_key: row.account_key, ...(row.moved_to ? { moved_to: row.moved_to } : {}) };
  });
}

/** Login: the user bound to the proven account key. */
export async function userForAccountKeyLogin(hs: Homeserver, body: JsonObject): Promise<string> {
  const accountKey = await hs.accountKeyProofs.prove(body);
  const row = hs.accountKeys.forKey(accountKey);
  const user = row ? hs.accounts.getUser(row.user_id) : undefined;
  if (!row || !user) {
    throw new MatrixError(
      403,
      'M_FORBIDDEN',
      `No account on ${hs.config.serverName} belongs to this account key. Register to bring this identity here.`,
      {
        [UNKNOWN_ACCOUNT_KEY_FLAG]: true,
      },
    );
  }
  if (user.deactivated) throw forbidden('This account has been deactivated');
  // A session of a moved account could do nothing but hear that it moved: say so now, with where to sign in.
  if (row.moved_to) throw movedAway(row.user_id, row.moved_to);
  return row.user_id;
}

/** Registration: the proven account key, which must not have an account here yet (one account per key). */
export async function accountKeyForRegistration(hs: Homeserver, auth: JsonObject): Promise<string> {
  const accountKey = await hs.accountKeyProofs.prove(auth);
  const existing = hs.accountKeys.forKey(accountKey);
  if (existing)
    throw new MatrixError(
      400,
      'M_USER_IN_USE',
      `This account key already has an account here: ${existing.user_id}. Sign in with it instead.`,
    );
  return accountKey;
}

/**
 * User-interactive auth for a portable account (e.g. deleting devices): it has no password, so it proves its
 * account key again. Failures are the spec's 401 with the flows, carrying the proof's own error text.
 */
export async function requireAccountKeyAuth(
  hs: Homeserver,
  userId: string,
  accountKey: string,
  auth: unknown,
  session: string,
): Promise<void> {
  const flows = [{ stages: [ACCOUNT_KEY_LOGIN_TYPE] }];
  const refuse = (message: string) => new MatrixError(401, 'M_FORBIDDEN', message, { flows, params: {}, session, completed: [] });
  if (!isObject(auth)) throw new MatrixError(401, '', '', { flows, params: {}, session });
  if (auth.type !== ACCOUNT_KEY_LOGIN_TYPE)
    throw refuse(`${userId} has no password: confirm with your recovery key (${ACCOUNT_KEY_LOGIN_TYPE})`);
  let proven: string;
  try {
    proven = await hs.accountKeyProofs.prove(auth);
  } catch (error) {
    if (error instanceof MatrixError && error.status === 403) throw refuse(error.message);
    throw error;
  }
  if (proven !== accountKey) throw refuse(`That proof is for a different account key than ${userId}'s`);
}
