// Joining, leaving, forgetting, and acting on other members (invite, kick, ban, unban).
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { badJson, forbidden, MatrixError, notFound } from '../http/errors';
import type { RequestContext, Router } from '../http/router';
import { asObject, optionalString, requiredString } from '../http/validate';
import { isLocalUserId } from '../homeserver';
import { isServerName, requireServerName } from '../federation/client';
import { memberDomain } from '../federation/federation';

/** A join's or knock's member content: the user's profile, and the reason given. */
function memberContent(hs: Homeserver, userId: string, body: Record<string, unknown>) {
  const user = hs.accounts.getUser(userId);
  const reason = optionalString(body, 'reason');
  return {
    ...(user?.displayname ? { displayname: user.displayname } : {}),
    ...(user?.avatar_url ? { avatar_url: user.avatar_url } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

/**
 * The servers to join or knock through: the request's `via`/`server_name` (which must be server names), then those
 * we were told about (an alias's answer, `known`, the room ID's domain), asked only when they are server names.
 */
function namedServers(ctx: RequestContext, roomId: string, aliasServers: string[], known: string[] = []): string[] {
  const via = [...ctx.query.getAll('server_name'), ...ctx.query.getAll('via')].map((s) => requireServerName(s, 'via'));
  const fromRoomId = roomId.includes(':') ? [roomId.slice(roomId.indexOf(':') + 1)] : [];
  return [...via, ...aliasServers.filter(isServerName), ...known, ...fromRoomId.filter(isServerName)];
}

export function registerMembership(router: Router, hs: Homeserver): void {
  const join = async (ctx: RequestContext, roomIdOrAlias: string) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const { roomId, servers: aliasServers } = await resolveRoomAnywhere(hs, roomIdOrAlias);
    const seed = hs.rooms.parseMemberSeed(body['dev.wayfarer.member_seed']);
    const current = hs.events.membership(roomId, session.userId);
    if (current?.membership === 'join' && !seed) return { room_id: roomId };
    const profile = memberContent(hs, session.userId, body);
    // Not in the room here: join through a server that is (federation make_join/send_join).
    if (!hs.federation.isResident(roomId)) {
      const servers = namedServers(ctx, roomId, aliasServers, hs.federation.serversInRoom(roomId));
      if (servers.some((s) => s !== hs.config.serverName) || hs.federation.outliers.serverHints(roomId).length > 0) {
        await hs.federation.joinRemote(roomId, session.userId, servers, { seed, content: profile });
        return { room_id: roomId };
      }
    }
    const version = hs.rooms.versionOf(roomId);
    const memberId = hs.rooms.memberIdFor(roomId, version, session.userId, seed);
    hs.rooms.send(roomId, session.userId, {
      type: 'm.room.member',
      stateKey: memberId,
      content: { membership: 'join', ...profile },
    });
    return { room_id: roomId };
  };
  router.post('~/join/{roomIdOrAlias}', (ctx) => join(ctx, ctx.params.roomIdOrAlias!));
  router.post('~/rooms/{roomId}/join', (ctx) => join(ctx, ctx.params.roomId!));

  // Knocking (spec: POST /knock/{roomIdOrAlias}): asks to join a room whose join rule is `knock`. The auth rules
  // refuse it otherwise (403). In member-key rooms the knock is by the member key the user would join with
  // (derived from the room ID, or the client's `dev.wayfarer.member_seed`), so an accepted knock joins with it.
  router.post('~/knock/{roomIdOrAlias}', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const { roomId, servers: aliasServers } = await resolveRoomAnywhere(hs, ctx.params.roomIdOrAlias!);
    const seed = hs.rooms.parseMemberSeed(body['dev.wayfarer.member_seed']);
    const current = hs.events.membership(roomId, session.userId)?.membership;
    if (current === 'knock') return { room_id: roomId };
    if (current === 'join' || current === 'invite' || current === 'ban')
      throw forbidden(
        `cannot knock: ${session.userId} is ${current === 'join' ? 'already joined' : current === 'ban' ? 'banned' : 'invited'}`,
      );
    const content = memberContent(hs, session.userId, body);
    if (!hs.federation.isResident(roomId)) {
      const servers = namedServers(ctx, roomId, aliasServers).filter((s) => s !== hs.config.serverName);
      if (servers.length === 0 && hs.federation.outliers.serverHints(roomId).length === 0)
        throw notFound(`No server to knock on ${roomId} through; give via`);
      await hs.federation.knockRemote(roomId, session.userId, servers, { seed, content });
      return { room_id: roomId };
    }
    const version = hs.rooms.versionOf(roomId);
    const memberId = hs.rooms.memberIdFor(roomId, version, session.userId, seed);
    hs.rooms.send(roomId, session.userId, { type: 'm.room.member', stateKey: memberId, content: { membership: 'knock', ...content } });
    return { room_id: roomId };
  });

  router.post('~/rooms/{roomId}/leave', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const roomId = ctx.params.roomId!;
    const version = hs.rooms.versionOf(roomId);
    const current = hs.events.membership(roomId, session.userId);
    if (!current) throw forbidden(`${session.userId} is not in ${roomId}`);
    if (current.membership === 'leave' || current.membership === 'ban') return {};
    const reason = optionalString(body, 'reason');
    // An invite that took a key from the invite-key pool (PROTOCOL.md §5) is declined with that key's seed: the
    // server holds only its public half. Checked and kept like a join's.
    const seed = hs.rooms.parseMemberSeed(body['dev.wayfarer.member_seed']);
    if (seed) hs.rooms.memberIdFor(roomId, version, session.userId, seed);
    // Rejecting an invite to a room that lives elsewhere goes through the inviting server; rescinding a knock
    // through the server knocked on.
    if (
      (current.membership === 'invite' || current.membership === 'knock') &&
      !hs.federation.isResident(roomId) &&
      hs.federation.outliers.serverHints(roomId).length > 0
    ) {
      await hs.federation.leaveRemote(roomId, session.userId);
      return {};
    }
    hs.rooms.send(roomId, session.userId, {
      type: 'm.room.member',
      stateKey: hs.rooms.memberIdFor(roomId, version, session.userId),
      content: { membership: 'leave', ...(reason !== undefined ? { reason } : {}) },
    });
    return {};
  });

  router.post('~/rooms/{roomId}/forget', (ctx) => {
    const session = requireSession(hs, ctx);
    const roomId = ctx.params.roomId!;
    hs.rooms.versionOf(roomId);
    const current = hs.events.membership(roomId, session.userId);
    if (current?.membership === 'join' || current?.membership === 'invite')
      throw new MatrixError(400, 'M_UNKNOWN', 'Leave the room before forgetting it');
    if (current) hs.events.forget(roomId, session.userId);
    return {};
  });

  const actOn = (membership: 'invite' | 'leave' | 'ban', expect?: string) => async (ctx: RequestContext) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const roomId = ctx.params.roomId!;
    const userId = requiredString(body, 'user_id');
    if (!userId.startsWith('@')) throw badJson("'user_id' must be a user ID");
    const reason = optionalString(body, 'reason');
    const version = hs.rooms.versionOf(roomId);
    if (hs.events.membership(roomId, session.userId)?.membership !== 'join')
      throw forbidden(`${session.userId} is not joined to ${roomId}`);
    if (membership === 'invite' && userId.includes(':') && userId.endsWith(`:${hs.config.serverName}`) && !hs.accounts.getUser(userId)) {
      throw notFound(`Unknown user ${userId}`);
    }
    if (membership === 'invite' && userId.includes(':') && !isLocalUserId(hs, userId)) {
      requireServerName(userId.slice(userId.indexOf(':') + 1), `invite of ${userId}`);
      await hs.federation.inviteRemote(roomId, session.userId, userId, reason !== undefined ? { reason } : {});
      return {};
    }
    // Member-key rooms: `user_id` may be the member key (stable ID); a user ID that several keys claim is refused.
    const target = hs.rooms.resolveTarget(roomId, version, userId);
    if (expect) {
      const current = hs.events.currentStateEventId(roomId, 'm.room.member', target);
      const currentMembership = current ? hs.events.event(current)?.pdu.content.membership : undefined;
      if (currentMembership !== expect)
        throw forbidden(`${userId} is not ${expect === 'ban' ? 'banned' : expect === 'join' ? 'joined' : expect}`);
    }
    // Accepting a knock from a user whose server is not in the room: the invite goes to that server (/v2/invite).
    if (membership === 'invite') {
      const knockId = hs.events.currentStateEventId(roomId, 'm.room.member', target);
      const knock = knockId ? hs.events.event(knockId)?.pdu : undefined;
      const domain = knock && memberDomain(version, knock);
      if (
        knock?.content.membership === 'knock' &&
        domain &&
        domain !== hs.config.serverName &&
        !hs.federation.serversInRoom(roomId).includes(domain)
      ) {
        await hs.federation.inviteKnocker(roomId, session.userId, knock, reason !== undefined ? { reason } : {});
        return {};
      }
    }
    const invitedUser = membership === 'invite' ? hs.accounts.getUser(userId) : undefined;
    hs.rooms.send(roomId, session.userId, {
      type: 'm.room.member',
      stateKey: target,
      content: {
        membership,
        ...(reason !== undefined ? { reason } : {}),
        ...(invitedUser?.displayname ? { displayname: invitedUser.displayname } : {}),
      },
    });
    return {};
  };
  router.post('~/rooms/{roomId}/invite', actOn('invite'));
  router.post('~/rooms/{roomId}/kick', actOn('leave'));
  router.post('~/rooms/{roomId}/ban', actOn('ban'));
  router.post('~/rooms/{roomId}/unban', actOn('leave', 'ban'));
}

/** Room ID from an ID or alias; remote aliases are asked of their server (federation query/directory). */
async function resolveRoomAnywhere(hs: Homeserver, roomIdOrAlias: string): Promise<{ roomId: string; servers: string[] }> {
  if (roomIdOrAlias.startsWith('#') && roomIdOrAlias.includes(':') && !roomIdOrAlias.endsWith(`:${hs.config.serverName}`)) {
    const server = requireServerName(roomIdOrAlias.slice(roomIdOrAlias.indexOf(':') + 1), `alias ${roomIdOrAlias}`);
    const reply = await hs.federation.client
      .request<{ room_id?: unknown; servers?: unknown }>(
        server,
        'GET',
        `/_matrix/federation/v1/query/directory?${new URLSearchParams({ room_alias: roomIdOrAlias })}`,
      )
      .catch(() => {
        throw notFound(`No room with alias ${roomIdOrAlias} (asked ${server})`);
      });
    if (typeof reply.room_id !== 'string') throw notFound(`No room with alias ${roomIdOrAlias}`);
    const servers = Array.isArray(reply.servers) ? reply.servers.filter((s): s is string => typeof s === 'string') : [server];
    return { roomId: reply.room_id, servers };
  }
  return { roomId: resolveRoom(hs, roomIdOrAlias), servers: [] };
}

export function resolveRoom(hs: Homeserver, roomIdOrAlias: string): string {
  if (roomIdOrAlias.startsWith('!')) return roomIdOrAlias;
  if (roomIdOrAlias.startsWith('#')) {
    const entry = hs.directory.lookup(roomIdOrAlias);
    if (!entry) throw notFound(`No room with alias ${roomIdOrAlias}`);
    return entry.room_id;
  }
  throw new MatrixError(400, 'M_INVALID_PARAM', `${roomIdOrAlias} is neither a room ID nor an alias`);
}
