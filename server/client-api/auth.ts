// Registration, login, logout and whoami. Passwords are scrypt-hashed; login and register are rate-limited per
// address, and failed passwords make their account back off exponentially (Synapse limits both ways too).
import { randomBytes } from 'node:crypto';
import type { Homeserver } from '../homeserver';
import { localUserId } from '../homeserver';
import { accessTokenOf, requireSession } from '../http/auth';
import { forbidden, MatrixError } from '../http/errors';
import { FailureBackoff, RateLimiter } from '../http/rate-limit';
import type { RequestContext, Router } from '../http/router';
import { asObject, isObject, optionalBoolean, optionalString, type JsonObject } from '../http/validate';
import { checkPassword } from '../storage/accounts';
import { ACCOUNT_KEY_LOGIN_TYPE } from '../../src/protocol';
import { accountKeyForRegistration, userForAccountKeyLogin } from './portable-identity';

const LOCALPART = /^[a-z0-9._=\-/+]+$/;

export function registerAuth(router: Router, hs: Homeserver): void {
  const limiter = new RateLimiter(hs.config.authRateLimit);
  const limit = (ctx: RequestContext, action: string) => limiter.take(`${action}:${ctx.remoteAddress}`);
  const passwordFailures = new FailureBackoff(hs.config.passwordBackoff);
  const uiaSessions = new Set<string>();

  router.get('~/login', () => ({ flows: [{ type: 'm.login.password' }, { type: ACCOUNT_KEY_LOGIN_TYPE }] }));

  router.post('~/login', async (ctx) => {
    limit(ctx, 'login');
    const body = asObject(await ctx.json());
    const type = optionalString(body, 'type');
    if (type === ACCOUNT_KEY_LOGIN_TYPE) {
      const userId = await userForAccountKeyLogin(hs, body);
      const session = hs.accounts.createSession(
        userId,
        optionalString(body, 'device_id'),
        optionalString(body, 'initial_device_display_name'),
        ctx.remoteAddress,
      );
      return loginResponse(hs, userId, session);
    }
    if (type !== 'm.login.password') throw new MatrixError(400, 'M_UNKNOWN', `Unsupported login type ${JSON.stringify(type)}`);
    const userId = loginUserId(hs, body);
    const password = optionalString(body, 'password');
    // Per account, whether it exists or not (the answer must not tell which): refused unchecked while backing off.
    if (userId) passwordFailures.check(userId);
    const account = userId ? hs.accounts.getUser(userId) : undefined;
    if (!account || account.deactivated || password === undefined || !checkPassword(password, account.password_hash)) {
      if (userId) passwordFailures.fail(userId);
      throw forbidden('Invalid username or password');
    }
    passwordFailures.succeed(account.user_id);
    const session = hs.accounts.createSession(
      account.user_id,
      optionalString(body, 'device_id'),
      optionalString(body, 'initial_device_display_name'),
      ctx.remoteAddress,
    );
    return loginResponse(hs, account.user_id, session);
  });

  router.get('~/register/available', (ctx) => {
    limit(ctx, 'register');
    const username = ctx.query.get('username') ?? '';
    const userId = localUserId(hs, validateLocalpart(username));
    if (hs.accounts.getUser(userId)) throw new MatrixError(400, 'M_USER_IN_USE', 'That user ID is taken');
    return { available: true };
  });

  router.post('~/register', async (ctx) => {
    limit(ctx, 'register');
    const body = asObject(await ctx.json());
    if ((ctx.query.get('kind') ?? 'user') !== 'user') throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access is disabled');
    const flows = registrationFlows(hs);
    if (flows.length === 0) throw forbidden('Registration is disabled on this server');
    const username = optionalString(body, 'username');
    const localpart = username === undefined ? `user_${randomBytes(5).toString('hex')}` : validateLocalpart(username);
    const userId = localUserId(hs, localpart);
    const password = optionalString(body, 'password');
    if (hs.accounts.getUser(userId)) throw new MatrixError(400, 'M_USER_IN_USE', 'That user ID is taken');
    completeUserInteractiveAuth(hs, body.auth, flows, uiaSessions);
    // A portable account proves its account key instead of setting a password (PROTOCOL.md §5).
    const accountKey =
      isObject(body.auth) && body.auth.type === ACCOUNT_KEY_LOGIN_TYPE ? await accountKeyForRegistration(hs, body.auth) : undefined;
    if (!accountKey) {
      if (password === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', "'password' is required");
      if (password.length > 512) throw new MatrixError(400, 'M_INVALID_PARAM', 'Password too long');
    }
    try {
      hs.db.transaction(() => {
        hs.accounts.createUser(userId, localpart, accountKey ? undefined : password);
        if (accountKey) hs.accountKeys.bind(accountKey, userId);
      })();
    } catch (error) {
      if (String(error).includes('account_keys'))
        throw new MatrixError(400, 'M_USER_IN_USE', 'This account key already has an account here');
      if (String(error).includes('UNIQUE')) throw new MatrixError(400, 'M_USER_IN_USE', 'That user ID is taken');
      throw error;
    }
    if (optionalBoolean(body, 'inhibit_login')) return { user_id: userId, home_server: hs.config.serverName };
    const session = hs.accounts.createSession(
      userId,
      optionalString(body, 'device_id'),
      optionalString(body, 'initial_device_display_name'),
      ctx.remoteAddress,
    );
    return loginResponse(hs, userId, session);
  });

  router.post('~/logout', (ctx) => {
    requireSession(hs, ctx, { allowMoved: true });
    hs.accounts.logout(accessTokenOf(ctx)!);
    return {};
  });

  router.post('~/logout/all', (ctx) => {
    hs.accounts.logoutAll(requireSession(hs, ctx, { allowMoved: true }).userId);
    return {};
  });

  router.get('~/account/whoami', (ctx) => {
    const session = requireSession(hs, ctx);
    return { user_id: session.userId, device_id: session.deviceId, is_guest: false };
  });
}

function loginResponse(hs: Homeserver, userId: string, session: { accessToken: string; deviceId: string }) {
  return {
    user_id: userId,
    access_token: session.accessToken,
    device_id: session.deviceId,
    home_server: hs.config.serverName,
    well_known: { 'm.homeserver': { base_url: `${hs.config.insecureHttp ? 'http' : 'https'}://${hs.config.serverName}` } },
  };
}

/** `identifier: {type: m.id.user, user}` or the deprecated top-level `user`; a localpart or a full user ID. */
function loginUserId(hs: Homeserver, body: JsonObject): string | undefined {
  let user: string | undefined;
  if (body.identifier !== undefined) {
    if (!isObject(body.identifier)) throw new MatrixError(400, 'M_BAD_JSON', "'identifier' must be an object");
    if (body.identifier.type !== 'm.id.user') throw new MatrixError(400, 'M_UNKNOWN', 'Only m.id.user identifiers are supported');
    user = optionalString(body.identifier, 'user');
  } else {
    user = optionalString(body, 'user');
  }
  if (!user) throw new MatrixError(400, 'M_MISSING_PARAM', 'No user given');
  const lower = user.toLowerCase();
  if (lower.startsWith('@')) return lower.endsWith(`:${hs.config.serverName}`) ? lower : undefined;
  return localUserId(hs, lower);
}

function validateLocalpart(username: string): string {
  const localpart = username.startsWith('@') ? username.slice(1).split(':')[0]! : username;
  if (!localpart || localpart.length > 200 || !LOCALPART.test(localpart)) {
    throw new MatrixError(400, 'M_INVALID_USERNAME', 'User IDs may only contain a-z, 0-9, and ._=-/+');
  }
  return localpart;
}

function registrationFlows(hs: Homeserver): Array<{ stages: string[] }> {
  const flows: Array<{ stages: string[] }> = [];
  if (hs.config.openRegistration) flows.push({ stages: ['m.login.dummy'] }, { stages: [ACCOUNT_KEY_LOGIN_TYPE] });
  if (hs.config.registrationToken) flows.push({ stages: ['m.login.registration_token'] });
  return flows;
}

/** One-stage user-interactive auth: without `auth`, answer 401 with the flows and a session (as the spec says). */
function completeUserInteractiveAuth(hs: Homeserver, auth: unknown, flows: Array<{ stages: string[] }>, sessions: Set<string>): void {
  const challenge = (extra: Record<string, unknown> = {}) => {
    const session = randomBytes(12).toString('hex');
    sessions.add(session);
    if (sessions.size > 10_000) sessions.clear();
    return new MatrixError(401, '', '', { flows, params: {}, session, ...extra });
  };
  if (auth === undefined || auth === null) throw challenge();
  if (!isObject(auth)) throw new MatrixError(400, 'M_BAD_JSON', "'auth' must be an object");
  const allowed = flows.flatMap((f) => f.stages);
  const type = auth.type;
  if (typeof type !== 'string' || !allowed.includes(type))
    throw challenge({ errcode: 'M_FORBIDDEN', error: `Unsupported auth type ${JSON.stringify(type)}` });
  if (type === 'm.login.registration_token' && auth.token !== hs.config.registrationToken) {
    throw new MatrixError(401, 'M_FORBIDDEN', 'Invalid registration token', { flows, params: {}, completed: [] });
  }
}
