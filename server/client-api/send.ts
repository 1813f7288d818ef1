// Sending: messages (with txnId idempotency), state events and redactions.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { badJson, invalidParam, MatrixError, notFound } from '../http/errors';
import { isLocalUserId } from '../homeserver';
import type { RequestContext, Router } from '../http/router';
import { asObject, optionalString, type JsonObject } from '../http/validate';
import { ClientFormatter } from '../rooms/client-format';
import type { SendContext } from '../rooms/room-service';
import { creatorsOf } from '../rooms/authorization';
import { hasRoomIdFromCreate, usesMemberKeys } from '../rooms/room-versions';
import { WriteBatcher } from '../storage/write-batcher';
import { requireJoined, roomViewFor } from './room-access';

const MAX_CONTENT_BYTES = 60 * 1024;

export function registerSend(router: Router, hs: Homeserver): void {
  // Sends that arrive together are committed together (one fsync for the batch).
  const batcher = new WriteBatcher(hs.db);

  /**
   * txnId idempotency: a retried PUT returns the first event; the mapping is stored with the event itself.
   * The check runs inside the batch, so two copies of one request in the same batch still make one event.
   */
  const sendOnce = async (
    ctx: RequestContext,
    userId: string,
    deviceId: string,
    txnKind: string,
    run: (context: SendContext) => string,
  ) => {
    const txnId = ctx.params.txnId!;
    const transactionPath = `${txnKind}:${ctx.params.roomId}`;
    const eventId = await batcher.run(
      () => hs.events.transactionEvent(userId, deviceId, transactionPath, txnId) ?? run({ deviceId, txnId, transactionPath }),
    );
    return { event_id: eventId };
  };

  router.put('~/rooms/{roomId}/send/{type}/{txnId}', async (ctx) => {
    const session = requireSession(hs, ctx);
    const content = contentOf(await ctx.json());
    const { roomId, type } = ctx.params as { roomId: string; type: string };
    return sendOnce(ctx, session.userId, session.deviceId, 'send', (context) => {
      requireJoined(hs, roomId, session.userId);
      return hs.rooms.send(roomId, session.userId, { type, content }, context).eventId;
    });
  });

  router.put('~/rooms/{roomId}/redact/{eventId}/{txnId}', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const reason = optionalString(body, 'reason');
    const { roomId, eventId } = ctx.params as { roomId: string; eventId: string };
    return sendOnce(ctx, session.userId, session.deviceId, 'redact', (context) => {
      requireJoined(hs, roomId, session.userId);
      const content: JsonObject = { redacts: eventId, ...(reason !== undefined ? { reason } : {}) };
      return hs.rooms.send(roomId, session.userId, { type: 'm.room.redaction', content }, context).eventId;
    });
  });

  const putState = async (ctx: RequestContext) => {
    const session = requireSession(hs, ctx);
    const content = contentOf(await ctx.json());
    const { roomId, type } = ctx.params as { roomId: string; type: string };
    let stateKey = ctx.params.stateKey ?? '';
    const version = requireJoined(hs, roomId, session.userId);
    let finalContent = content;
    if (usesMemberKeys(version)) {
      if (type === 'm.room.member') stateKey = hs.rooms.resolveTarget(roomId, version, stateKey);
      if (type === 'm.room.power_levels') {
        await hs.links.ensureRooms([roomId]);
        finalContent = powerLevelsToMemberKeys(hs, roomId, version, content);
      }
    }
    if (type === 'm.room.canonical_alias') checkCanonicalAlias(hs, roomId, content);
    const event = hs.rooms.send(roomId, session.userId, { type, stateKey, content: finalContent }, { deviceId: session.deviceId });
    return { event_id: event.eventId };
  };
  router.put('~/rooms/{roomId}/state/{type}', putState);
  router.put('~/rooms/{roomId}/state/{type}/', putState);
  router.put('~/rooms/{roomId}/state/{type}/{stateKey*}', putState);

  router.get('~/rooms/{roomId}/state', async (ctx) => {
    const session = requireSession(hs, ctx);
    const roomId = ctx.params.roomId!;
    const view = roomViewFor(hs, roomId, session.userId);
    // Member IDs (senders, member state keys, power level users) map through checked links.
    await hs.links.ensureRooms([roomId]);
    const state = view.membership.membership === 'join' ? hs.events.currentState(roomId) : hs.events.stateAt(roomId, view.ceiling);
    const formatter = new ClientFormatter(hs, session);
    return [...state.values()].map((e) => formatter.event(e));
  });

  const getState = async (ctx: RequestContext) => {
    const session = requireSession(hs, ctx);
    const { roomId, type } = ctx.params as { roomId: string; type: string };
    const view = roomViewFor(hs, roomId, session.userId);
    await hs.links.ensureRooms([roomId]);
    let stateKey = ctx.params.stateKey ?? '';
    if (type === 'm.room.member' && usesMemberKeys(view.version) && stateKey.includes(':')) {
      stateKey = hs.memberKeys.forUser(roomId, stateKey)?.member_key ?? stateKey;
    }
    const state = view.membership.membership === 'join' ? hs.events.currentState(roomId) : hs.events.stateAt(roomId, view.ceiling);
    const event = state.get(`${type}\u0000${stateKey}`);
    if (!event) throw notFound('State event not found');
    const formatted = new ClientFormatter(hs, session).event(event);
    return ctx.query.get('format') === 'event' ? formatted : formatted.content;
  };
  router.get('~/rooms/{roomId}/state/{type}', getState);
  router.get('~/rooms/{roomId}/state/{type}/', getState);
  router.get('~/rooms/{roomId}/state/{type}/{stateKey*}', getState);
}

function contentOf(body: unknown): JsonObject {
  const content = asObject(body, 'event content');
  if (Buffer.byteLength(JSON.stringify(content)) > MAX_CONTENT_BYTES)
    throw new MatrixError(413, 'M_TOO_LARGE', 'Event content is too large');
  return content;
}

/**
 * Clients key power levels by user ID; in member-key rooms the stored event keys them by member key. A user ID
 * names a member of the room as clients see it (PROTOCOL.md §5: a verified link's user ID, or the unverified or
 * erased form), a member key, or a local account (which gets its key here). Anything else is refused: a
 * remote user who is not a member has no key we could write down. Call `hs.links.ensureRooms` first.
 */
export function powerLevelsToMemberKeys(hs: Homeserver, roomId: string, version: string, content: JsonObject): JsonObject {
  if (content.users === undefined) return content;
  if (typeof content.users !== 'object' || content.users === null || Array.isArray(content.users))
    throw badJson("'users' must be an object");
  const byDisplayId = new Map<string, Set<string>>();
  const createId = hs.events.currentStateEventId(roomId, 'm.room.create', '');
  const create = createId ? hs.events.event(createId) : undefined;
  const creators = new Set(create && hasRoomIdFromCreate(version) ? creatorsOf(create.pdu, version) : []);
  const members = [...hs.events.currentState(roomId).values()]
    .filter((e) => e.pdu.type === 'm.room.member' && e.pdu.state_key)
    .map((e) => e.pdu.state_key!);
  for (const memberKey of new Set([...members, ...creators])) {
    const id = hs.links.displayId(roomId, memberKey);
    byDisplayId.set(id, (byDisplayId.get(id) ?? new Set()).add(memberKey));
  }
  const users: JsonObject = {};
  for (const [id, level] of Object.entries(content.users as JsonObject)) {
    const memberKey = memberKeyForPowerLevel(hs, roomId, version, id, byDisplayId.get(id));
    // Creators are shown with CREATOR_POWER_LEVEL but may not be listed (room version 12): drop them.
    if (!creators.has(memberKey)) users[memberKey] = level;
  }
  return { ...content, users };
}

function memberKeyForPowerLevel(hs: Homeserver, roomId: string, version: string, id: string, keys: Set<string> | undefined): string {
  if (keys?.size === 1) return [...keys][0]!;
  if (keys && keys.size > 1) {
    throw invalidParam(
      `power levels: ${id} names ${keys.size} members of this room (different keys claim it); use their member keys instead`,
    );
  }
  if (id.includes(':') && !isLocalUserId(hs, id)) {
    throw invalidParam(
      `power levels: ${id} is not a member of this room; another server's user must join (or be invited) before they can be given a power level`,
    );
  }
  return hs.rooms.resolveTarget(roomId, version, id);
}

function checkCanonicalAlias(hs: Homeserver, roomId: string, content: JsonObject): void {
  const aliases = [content.alias, ...(Array.isArray(content.alt_aliases) ? content.alt_aliases : [])].filter(
    (a) => a !== undefined && a !== null,
  );
  for (const alias of aliases) {
    if (typeof alias !== 'string') throw new MatrixError(400, 'M_INVALID_PARAM', 'aliases must be strings');
    if (hs.directory.lookup(alias)?.room_id !== roomId) throw new MatrixError(400, 'M_BAD_ALIAS', `${alias} does not point to this room`);
  }
}
