// Access-token check for every authenticated endpoint.
import type { Homeserver } from '../homeserver';
import type { Session } from '../storage/accounts';
import { MatrixError } from './errors';
import type { RequestContext } from './router';

export function accessTokenOf(ctx: RequestContext): string | undefined {
  const header = ctx.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (match) return match[1];
  }
  return ctx.query.get('access_token') ?? undefined;
}

/** The field of a moved account's 403s that says where it went (PROTOCOL.md §7). */
export const MOVED_TO_FIELD = 'dev.wayfarer.moved_to';

/** The 403 every authenticated request of a moved account gets: it names the new account, so a client can say where it went. */
export function movedAway(userId: string, movedTo: string): MatrixError {
  return new MatrixError(403, 'M_FORBIDDEN', `${userId} has moved to ${movedTo}: sign in there`, { [MOVED_TO_FIELD]: movedTo });
}

export interface SessionOptions {
  /**
   * Also for an account that moved away (PROTOCOL.md §7): only signing out, asking where the account went and
   * marking it moved again (idempotent) still work; everything else answers `movedAway`.
   */
  allowMoved?: boolean;
}

export function requireSession(hs: Homeserver, ctx: RequestContext, options: SessionOptions = {}): Session & { token: string } {
  const token = accessTokenOf(ctx);
  if (!token) throw new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token');
  const session = hs.accounts.sessionForToken(token);
  if (!session) throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unknown or expired access token', { soft_logout: false });
  if (!options.allowMoved) {
    const movedTo = hs.accountKeys.forUser(session.userId)?.moved_to;
    if (movedTo) throw movedAway(session.userId, movedTo);
  }
  return { ...session, token };
}
