// Room aliases, the public room directory, and the user's joined rooms.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { forbidden, invalidParam, MatrixError, notFound } from '../http/errors';
import type { RequestContext, Router } from '../http/router';
import { asObject, type JsonObject, optionalInteger, optionalObject, optionalString, requiredString } from '../http/validate';
import { RateLimiter } from '../http/rate-limit';
import { requireServerName } from '../federation/client';
import { type DirectoryQuery, remotePublicRooms } from '../federation/public-rooms';
import { powerLevelOf, requiredLevel } from '../rooms/authorization';
import { toAuthState } from '../rooms/room-service';

export function registerDirectory(router: Router, hs: Homeserver): void {
  const aliasParam = (ctx: RequestContext) => {
    const alias = ctx.params.alias!;
    if (!/^#[^:]+:.+$/.test(alias)) throw invalidParam(`${alias} is not a room alias`);
    return alias;
  };

  router.get('~/directory/room/{alias}', (ctx) => {
    const alias = aliasParam(ctx);
    const entry = hs.directory.lookup(alias);
    if (!entry) throw notFound(`Room alias ${alias} not found`);
    return { room_id: entry.room_id, servers: [hs.config.serverName] };
  });

  router.put('~/directory/room/{alias}', async (ctx) => {
    const session = requireSession(hs, ctx);
    const alias = aliasParam(ctx);
    if (!alias.endsWith(`:${hs.config.serverName}`)) throw invalidParam('Aliases must be on this server');
    const roomId = requiredString(asObject(await ctx.json()), 'room_id');
    hs.rooms.versionOf(roomId);
    if (hs.events.membership(roomId, session.userId)?.membership !== 'join') throw forbidden('Join the room before giving it an alias');
    if (!hs.directory.add(alias, roomId, session.userId)) throw new MatrixError(409, 'M_UNKNOWN', `${alias} already exists`);
    return {};
  });

  router.delete('~/directory/room/{alias}', (ctx) => {
    const session = requireSession(hs, ctx);
    const alias = aliasParam(ctx);
    const entry = hs.directory.lookup(alias);
    if (!entry) throw notFound(`Room alias ${alias} not found`);
    if (entry.creator !== session.userId && !isRoomModerator(hs, entry.room_id, session.userId))
      throw forbidden('Not allowed to remove this alias');
    hs.directory.remove(alias);
    return {};
  });

  // The aliases this server holds for a room: for its members, or anyone when its history is world-readable.
  router.get('~/rooms/{roomId}/aliases', (ctx) => {
    const session = requireSession(hs, ctx);
    const roomId = ctx.params.roomId!;
    if (!hs.events.room(roomId)) throw notFound('Unknown room');
    const joined = hs.events.membership(roomId, session.userId)?.membership === 'join';
    const visibility = hs.events.currentStateEventId(roomId, 'm.room.history_visibility', '');
    const worldReadable = visibility ? hs.events.event(visibility)?.pdu.content.history_visibility === 'world_readable' : false;
    if (!joined && !worldReadable) throw forbidden(`${session.userId} is not in ${roomId}`);
    return { aliases: hs.directory.aliasesOf(roomId) };
  });

  router.get('~/directory/list/room/{roomId}', (ctx) => {
    const room = hs.events.room(ctx.params.roomId!);
    if (!room) throw notFound('Unknown room');
    return { visibility: room.is_public ? 'public' : 'private' };
  });

  router.put('~/directory/list/room/{roomId}', async (ctx) => {
    const session = requireSession(hs, ctx);
    const roomId = ctx.params.roomId!;
    hs.rooms.versionOf(roomId);
    const visibility = optionalString(asObject(await ctx.json()), 'visibility') ?? 'public';
    if (visibility !== 'public' && visibility !== 'private') throw invalidParam("visibility must be 'public' or 'private'");
    if (!isRoomModerator(hs, roomId, session.userId)) throw forbidden('Only moderators can publish a room');
    hs.events.setPublic(roomId, visibility === 'public');
    return {};
  });

  /** `server` names another server's directory: asked through federation, for signed-in users only (it makes us fetch). */
  const remoteLimiter = new RateLimiter({ burst: 10, perSecond: 1 });
  const directoryOf = async (ctx: RequestContext, query: DirectoryQuery) => {
    const server = ctx.query.get('server');
    if (server === null || server === hs.config.serverName) return localPublicRooms(hs, query);
    const session = requireSession(hs, ctx);
    requireServerName(server, 'server');
    remoteLimiter.take(session.userId);
    return remotePublicRooms(hs.federation.client, server, query, hs.config.remoteDirectoryTimeoutMs);
  };
  router.get('~/publicRooms', (ctx) => directoryOf(ctx, directoryQueryParams(ctx)));
  router.post('~/publicRooms', async (ctx) => {
    requireSession(hs, ctx);
    return directoryOf(ctx, directoryQueryBody(asObject(await ctx.json())));
  });

  router.get('~/joined_rooms', (ctx) => {
    const session = requireSession(hs, ctx);
    return {
      joined_rooms: hs.events
        .membershipsOf(session.userId)
        .filter((m) => m.membership === 'join')
        .map((m) => m.room_id),
    };
  });
}

/** The query string of a GET `/publicRooms` (client or federation). */
export function directoryQueryParams(ctx: RequestContext): DirectoryQuery {
  const limitText = ctx.query.get('limit');
  if (limitText !== null && !/^\d{1,6}$/.test(limitText)) throw invalidParam('limit must be a non-negative integer');
  const since = ctx.query.get('since');
  return { ...(limitText !== null ? { limit: Number(limitText) } : {}), ...(since !== null ? { since } : {}) };
}

/** The body of a POST `/publicRooms` (client or federation): limit, since, filter.generic_search_term and room_types. */
export function directoryQueryBody(body: JsonObject): DirectoryQuery {
  const query: DirectoryQuery = {};
  const limit = optionalInteger(body, 'limit');
  if (limit !== undefined) {
    if (limit < 0) throw invalidParam('limit must not be negative');
    query.limit = limit;
  }
  const since = optionalString(body, 'since');
  if (since !== undefined) query.since = since;
  const filter = optionalObject(body, 'filter');
  const term = filter ? optionalString(filter, 'generic_search_term') : undefined;
  if (term !== undefined) {
    if (term.length > 256) throw invalidParam('generic_search_term is too long');
    query.term = term;
  }
  const roomTypes = filter?.room_types;
  if (roomTypes !== undefined && roomTypes !== null) {
    if (!Array.isArray(roomTypes) || !roomTypes.every((t) => t === null || typeof t === 'string') || roomTypes.length > 50)
      throw invalidParam('room_types must be an array of strings or null');
    query.roomTypes = roomTypes as (string | null)[];
  }
  return query;
}

/** This server's published rooms, filtered and paged (`p<offset>` tokens). */
export async function localPublicRooms(hs: Homeserver, params: DirectoryQuery) {
  await hs.links.ensureRooms(hs.events.publicRoomIds());
  let chunk = hs.events.publicRoomIds().map((roomId) => describeRoom(hs, roomId));
  if (params.term) {
    const term = params.term.toLowerCase();
    chunk = chunk.filter((r) =>
      [r.name, r.topic, r.canonical_alias, r.room_id].some((v) => typeof v === 'string' && v.toLowerCase().includes(term)),
    );
  }
  if (params.roomTypes) {
    const wanted = params.roomTypes;
    chunk = chunk.filter((r) => wanted.includes(r.room_type ?? null));
  }
  // Largest first, as the spec recommends; ties by room ID so pages are stable.
  chunk.sort((a, b) => b.num_joined_members - a.num_joined_members || a.room_id.localeCompare(b.room_id));
  const start = params.since ? Number(/^p(\d{1,9})$/.exec(params.since)?.[1] ?? NaN) : 0;
  if (!Number.isInteger(start)) throw invalidParam('Invalid since token');
  const limit = params.limit || chunk.length;
  const page = chunk.slice(start, start + limit);
  return {
    chunk: page,
    total_room_count_estimate: chunk.length,
    ...(start + limit < chunk.length ? { next_batch: `p${start + limit}` } : {}),
    ...(start > 0 ? { prev_batch: `p${Math.max(0, start - limit)}` } : {}),
  };
}

function isRoomModerator(hs: Homeserver, roomId: string, userId: string): boolean {
  const version = hs.rooms.versionOf(roomId);
  const memberKey = hs.memberKeys.forUser(roomId, userId)?.member_key;
  const memberId = memberKey ?? userId;
  const state = toAuthState(hs.events.currentState(roomId));
  return powerLevelOf(memberId, state, version) >= requiredLevel('kick', state);
}

function describeRoom(hs: Homeserver, roomId: string) {
  const state = hs.events.currentState(roomId);
  const content = (type: string) => state.get(`${type}\u0000`)?.pdu.content;
  const joined = [...state.values()].filter((e) => e.pdu.type === 'm.room.member' && e.pdu.content.membership === 'join').length;
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const entry: Record<string, unknown> = {
    room_id: roomId,
    num_joined_members: joined,
    world_readable: content('m.room.history_visibility')?.history_visibility === 'world_readable',
    guest_can_join: content('m.room.guest_access')?.guest_access === 'can_join',
    join_rule: str(content('m.room.join_rules')?.join_rule) ?? 'invite',
    room_type: str(content('m.room.create')?.type),
    name: str(content('m.room.name')?.name),
    topic: str(content('m.room.topic')?.topic),
    canonical_alias: str(content('m.room.canonical_alias')?.alias),
    avatar_url: str(content('m.room.avatar')?.url),
  };
  for (const key of Object.keys(entry)) if (entry[key] === undefined) delete entry[key];
  return entry as {
    room_id: string;
    num_joined_members: number;
    name?: string;
    topic?: string;
    canonical_alias?: string;
    room_type?: string;
  };
}
