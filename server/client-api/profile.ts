// Profiles: display name and avatar; a change is also sent as a new member event in every joined room.
import type { Homeserver } from '../homeserver';
import { isLocalUserId } from '../homeserver';
import { requireSession } from '../http/auth';
import { forbidden, MatrixError, notFound } from '../http/errors';
import type { Router } from '../http/router';
import { asObject } from '../http/validate';
import { requireServerName } from '../federation/client';

export function registerProfile(router: Router, hs: Homeserver): void {
  const profileOf = async (userId: string): Promise<{ displayname?: string; avatar_url?: string }> => {
    // Users of other servers: ask their server (federation query/profile).
    if (!isLocalUserId(hs, userId) && /^@[^:]+:.+$/.test(userId)) {
      const server = requireServerName(userId.slice(userId.indexOf(':') + 1), `profile of ${userId}`);
      const remote = await hs.federation.client
        .request<Record<string, unknown>>(
          server,
          'GET',
          `/_matrix/federation/v1/query/profile?${new URLSearchParams({ user_id: userId })}`,
          { timeoutMs: 5000 },
        )
        .catch(() => {
          throw notFound('Profile not found');
        });
      return {
        ...(typeof remote.displayname === 'string' ? { displayname: remote.displayname } : {}),
        ...(typeof remote.avatar_url === 'string' ? { avatar_url: remote.avatar_url } : {}),
      };
    }
    const user = isLocalUserId(hs, userId) ? hs.accounts.getUser(userId) : undefined;
    if (!user) throw notFound('Profile not found');
    return {
      ...(user.displayname !== null ? { displayname: user.displayname } : {}),
      ...(user.avatar_url !== null ? { avatar_url: user.avatar_url } : {}),
    };
  };

  router.get('~/profile/{userId}', (ctx) => profileOf(ctx.params.userId!));
  router.get('~/profile/{userId}/displayname', async (ctx) => {
    const profile = await profileOf(ctx.params.userId!);
    return profile.displayname === undefined ? {} : { displayname: profile.displayname };
  });
  router.get('~/profile/{userId}/avatar_url', async (ctx) => {
    const profile = await profileOf(ctx.params.userId!);
    return profile.avatar_url === undefined ? {} : { avatar_url: profile.avatar_url };
  });

  const setField = (field: 'displayname' | 'avatar_url') => async (ctx: Parameters<Parameters<Router['put']>[1]>[0]) => {
    const session = requireSession(hs, ctx);
    if (ctx.params.userId !== session.userId) throw forbidden("Cannot set another user's profile");
    const body = asObject(await ctx.json());
    const value = body[field];
    if (value !== undefined && value !== null && typeof value !== 'string')
      throw new MatrixError(400, 'M_BAD_JSON', `'${field}' must be a string`);
    if (typeof value === 'string' && value.length > 256 && field === 'displayname')
      throw new MatrixError(400, 'M_INVALID_PARAM', 'Display name too long');
    if (field === 'avatar_url' && typeof value === 'string' && value !== '' && !value.startsWith('mxc://')) {
      throw new MatrixError(400, 'M_INVALID_PARAM', 'avatar_url must be an mxc:// URI');
    }
    const next = typeof value === 'string' && value !== '' ? value : null;
    if (field === 'displayname') hs.accounts.setDisplayname(session.userId, next);
    else hs.accounts.setAvatarUrl(session.userId, next);
    propagateToRooms(hs, session.userId);
    return {};
  };
  router.put('~/profile/{userId}/displayname', setField('displayname'));
  router.put('~/profile/{userId}/avatar_url', setField('avatar_url'));
}

/**
 * Re-sends the user's join event with the new profile in each joined room, as Synapse does, skipping rooms whose
 * member event already shows it (a new event there changes nothing but costs every member a state change).
 */
function propagateToRooms(hs: Homeserver, userId: string): void {
  const user = hs.accounts.getUser(userId)!;
  for (const membership of hs.events.membershipsOf(userId)) {
    if (membership.membership !== 'join') continue;
    const current = hs.events.event(membership.event_id);
    const content = memberContentWithProfile(current?.pdu.content ?? {}, user);
    if (!content) continue;
    try {
      const version = hs.rooms.versionOf(membership.room_id);
      hs.rooms.send(membership.room_id, userId, {
        type: 'm.room.member',
        stateKey: hs.rooms.memberIdFor(membership.room_id, version, userId),
        content,
      });
    } catch (error) {
      if (!(error instanceof MatrixError)) throw error;
    }
  }
}

/** The join content that shows this profile, or undefined when `current` already shows it. */
export function memberContentWithProfile(
  current: Record<string, unknown>,
  profile: { displayname: string | null; avatar_url: string | null },
): Record<string, unknown> | undefined {
  const same = (field: 'displayname' | 'avatar_url') => (current[field] ?? null) === profile[field];
  if (current.membership === 'join' && same('displayname') && same('avatar_url')) return undefined;
  const content: Record<string, unknown> = { ...current, membership: 'join' };
  delete content.displayname;
  delete content.avatar_url;
  if (profile.displayname !== null) content.displayname = profile.displayname;
  if (profile.avatar_url !== null) content.avatar_url = profile.avatar_url;
  return content;
}
