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

export function requireSession(hs: Homeserver, ctx: RequestContext): Session & { token: string } {
  const token = accessTokenOf(ctx);
  if (!token) throw new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token');
  const session = hs.accounts.sessionForToken(token);
  if (!session) throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unknown or expired access token', { soft_logout: false });
  return { ...session, token };
}
