// Discovery and capability endpoints, plus the server key (federation-ready, CORS like everything else).
import { PORTABLE_IDENTITY_FEATURE } from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { badJson, MatrixError } from '../http/errors';
import type { Router } from '../http/router';
import { asObject, optionalString } from '../http/validate';
import { DEFAULT_ROOM_VERSION, SERVED_ROOM_VERSIONS } from '../rooms/room-versions';

export const SPEC_VERSIONS = ['r0.6.1', 'v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11', 'v1.12'];

const PRESENCE_STATES = ['online', 'offline', 'unavailable'];

export function registerMisc(router: Router, hs: Homeserver): void {
  const baseUrl = () => `${hs.config.insecureHttp ? 'http' : 'https'}://${hs.config.serverName}`;

  router.get('/_matrix/client/versions', () => ({
    versions: SPEC_VERSIONS,
    unstable_features: { 'org.matrix.msc4428': true, 'org.matrix.msc4430': true, [PORTABLE_IDENTITY_FEATURE]: true },
  }));
  router.get('/.well-known/matrix/client', () => ({ 'm.homeserver': { base_url: baseUrl() } }));
  router.get('/.well-known/matrix/server', () => ({ 'm.server': hs.config.serverName }));

  router.get('~/capabilities', (ctx) => {
    const session = requireSession(hs, ctx);
    return {
      capabilities: {
        // A portable account signs in with its account key: it has no password to change.
        'm.change_password': { enabled: !hs.accountKeys.forUser(session.userId) },
        'm.room_versions': {
          default: DEFAULT_ROOM_VERSION,
          available: Object.fromEntries(SERVED_ROOM_VERSIONS.map((v) => [v, v === '11' ? 'stable' : 'unstable'])),
        },
        'm.set_displayname': { enabled: true },
        'm.set_avatar_url': { enabled: true },
        'm.3pid_changes': { enabled: false },
        'm.get_login_token': { enabled: false },
      },
    };
  });

  router.get('~/voip/turnServer', (ctx) => {
    requireSession(hs, ctx);
    return {};
  });
  router.get('~/thirdparty/protocols', (ctx) => {
    requireSession(hs, ctx);
    return {};
  });

  // Presence is not tracked yet: answer honestly that everyone is offline, and accept updates.
  router.get('~/presence/{userId}/status', (ctx) => {
    requireSession(hs, ctx);
    return { presence: 'offline' };
  });
  router.put('~/presence/{userId}/status', async (ctx) => {
    const session = requireSession(hs, ctx);
    if (ctx.params.userId !== session.userId) throw new MatrixError(403, 'M_FORBIDDEN', "Cannot set another user's presence");
    // Not stored yet, but checked as the spec describes it, so a client learns of a malformed update.
    const body = asObject(await ctx.json());
    if (!PRESENCE_STATES.includes(body.presence as string)) throw badJson(`'presence' must be one of ${PRESENCE_STATES.join(', ')}`);
    optionalString(body, 'status_msg');
    return {};
  });

  router.get('/_matrix/key/v2/server', () => hs.links.ownKeyResponse());
  router.get('/_matrix/key/v2/server/{keyId}', () => hs.links.ownKeyResponse());
}
