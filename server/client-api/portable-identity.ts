// Portable identity (PROTOCOL.md §5): the account-key challenge, `account/portable`, and the login and
// registration steps that auth.ts hands over for `dev.wayfarer.login.account_key`.
import { ACCOUNT_KEY_LOGIN_TYPE, decodePublicKey, memberIdFromPublicKey, WAYFARER_CLIENT_PREFIX } from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { movedAway, requireSession } from '../http/auth';
import { badJson, forbidden, invalidParam, MatrixError, notFound } from '../http/errors';
import { MAX_UNUSED_INVITE_KEYS } from '../storage/invite-keys';
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

  // The invite-key pool (PROTOCOL.md §5): public member keys only, derived by the client from K and a nonce.
  router.post(`${WAYFARER_CLIENT_PREFIX}/member_keys/upload`, async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const row = hs.accountKeys.forUser(session.userId);
    if (!row) throw forbidden('Only portable accounts keep an invite-key pool: this account has no account key');
    if (row.moved_to) throw movedAway(session.userId, row.moved_to);
    const keys = parseInviteKeys(body.keys);
    hs.db.transaction(() => {
      const fresh: [string, string][] = [];
      for (const [nonce, memberKey] of keys) {
        const known = hs.inviteKeys.byNonce(session.userId, nonce);
        if (known) {
          if (known.member_key !== memberKey) throw invalidParam(`nonce ${nonce} was uploaded before with another key`);
          continue; // the same upload again (a retry): nothing changes
        }
        if (hs.inviteKeys.byKey(session.userId, memberKey)) throw invalidParam(`key ${memberKey} was uploaded before with another nonce`);
        fresh.push([nonce, memberKey]);
      }
      if (hs.inviteKeys.unusedCount(session.userId) + fresh.length > MAX_UNUSED_INVITE_KEYS)
        throw invalidParam(`the invite-key pool holds at most ${MAX_UNUSED_INVITE_KEYS} unused keys`);
      for (const [nonce, memberKey] of fresh) hs.inviteKeys.add(session.userId, nonce, memberKey);
    })();
    return { count: hs.inviteKeys.unusedCount(session.userId) };
  });
}

/** `keys` of an upload: nonce (URL-safe base64 text) → public key (32 bytes, unpadded standard base64), as member IDs. */
function parseInviteKeys(value: unknown): [string, string][] {
  if (value === undefined) return [];
  if (!isObject(value)) throw badJson("'keys' must be an object of nonce → public key");
  const entries = Object.entries(value);
  if (entries.length > MAX_UNUSED_INVITE_KEYS) throw invalidParam(`at most ${MAX_UNUSED_INVITE_KEYS} keys per upload`);
  return entries.map(([nonce, key]) => {
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce))
      throw invalidParam(`nonce ${JSON.stringify(nonce.slice(0, 80))} is not 16–64 URL-safe base64 characters`);
    if (typeof key !== 'string') throw invalidParam(`the key for nonce ${nonce} must be a base64 string`);
    try {
      return [nonce, memberIdFromPublicKey(decodePublicKey(key))];
    } catch {
      throw invalidParam(`the key for nonce ${nonce} is not 32 bytes of unpadded base64`);
    }
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
