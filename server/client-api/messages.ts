// Reading history: /messages (both directions, filters), /context, /event (saying when it was soft-failed), /members,
// /joined_members.
import { MEMBER_INFO_FIELD, type MemberInfo, STABLE_ID_FIELD } from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { invalidParam, MatrixError, notFound } from '../http/errors';
import type { RequestContext, Router } from '../http/router';
import { ClientFormatter } from '../rooms/client-format';
import { usesMemberKeys } from '../rooms/room-versions';
import type { StoredEvent } from '../storage/events';
import { stateKeyOf } from '../storage/events';
import { eventMatches, parseEventFilter, parseInlineFilter, type EventFilter } from '../sync/filter';
import { formatPaginationToken, NO_HISTORY_FLOOR, parsePosition } from '../sync/tokens';
import { roomViewFor, userHistoryView, type HistoryView, type RoomView } from './room-access';
import { SOFT_FAILED_FIELD, softFailedNotice, visibleSoftFailed } from './soft-failed';

const MAX_LIMIT = 1000;

function parseLimit(text: string | null, fallback: number): number {
  if (text === null) return fallback;
  if (!/^\d{1,6}$/.test(text)) throw invalidParam('limit must be a non-negative integer');
  return Math.min(Number(text), MAX_LIMIT);
}

function parseRoomEventFilter(text: string | null): EventFilter {
  return parseEventFilter(text ? parseInlineFilter(text) : {});
}

/** The caller's session and view of the path's room, its members' links checked first (the history answers carry them). */
async function openRoom(
  hs: Homeserver,
  ctx: RequestContext,
): Promise<{ session: ReturnType<typeof requireSession>; roomId: string; view: RoomView }> {
  const session = requireSession(hs, ctx);
  const roomId = ctx.params.roomId!;
  const view = roomViewFor(hs, roomId, session.userId);
  await hs.links.ensureRooms([roomId]);
  return { session, roomId, view };
}

/** The event, if it is in this room and within what the caller may see of it. */
function visibleEvent(view: RoomView, hs: Homeserver, roomId: string, eventId: string): StoredEvent {
  const event = hs.events.event(eventId);
  if (!event || event.roomId !== roomId || event.streamOrdering > view.ceiling || !view.history.canSee(event)) {
    throw notFound('Event not found');
  }
  return event;
}

/** The first `count` events of `events` that `keep` accepts. */
function take(events: Iterable<StoredEvent>, count: number, keep: (e: StoredEvent) => boolean): StoredEvent[] {
  const out: StoredEvent[] = [];
  if (count <= 0) return out;
  for (const event of events) {
    if (!keep(event)) continue;
    out.push(event);
    if (out.length === count) break;
  }
  return out;
}

export function registerMessages(router: Router, hs: Homeserver): void {
  router.get('~/rooms/{roomId}/messages', async (ctx) => {
    const { session, roomId, view } = await openRoom(hs, ctx);
    const dir = ctx.query.get('dir');
    if (dir !== 'b' && dir !== 'f') throw invalidParam("dir must be 'b' or 'f'");
    const limit = parseLimit(ctx.query.get('limit'), 10);
    const filter = parseRoomEventFilter(ctx.query.get('filter'));
    const fromText = ctx.query.get('from');
    const toText = ctx.query.get('to');
    const from = Math.max(
      Math.min(fromText ? parsePosition(fromText) : dir === 'b' ? view.ceiling : NO_HISTORY_FLOOR, view.ceiling),
      NO_HISTORY_FLOOR,
    );
    const to = toText ? parsePosition(toText) : undefined;
    const formatter = new ClientFormatter(hs, session);

    const chunk: StoredEvent[] = [];
    let cursor = from;
    let exhausted = false;
    let backfilled = 0;
    let askedPeers = false;
    const batch = Math.max(limit * 2, 20);
    const lowest = Math.max(to ?? NO_HISTORY_FLOOR, NO_HISTORY_FLOOR);
    let history = view.history;
    for (;;) {
      if (limit === 0) {
        exhausted = false;
        break;
      }
      // Hidden runs of history are skipped whole; the cursor still moves past the visible events read.
      const rows =
        dir === 'b' ? history.backward(cursor, lowest, batch) : history.forward(cursor, Math.min(to ?? view.ceiling, view.ceiling), batch);
      exhausted = true;
      for (const row of rows) {
        cursor = dir === 'b' ? row.streamOrdering - 1 : row.streamOrdering;
        if (!eventMatches(filter, formatter.event(row))) continue;
        chunk.push(row);
        if (chunk.length === limit) {
          exhausted = false;
          break;
        }
      }
      // Out of local history going back: other servers may hold what came before (once per page).
      if (dir !== 'b' || !exhausted || askedPeers || !mayBackfillBelow(hs, roomId, lowest, history)) break;
      askedPeers = true;
      backfilled = await hs.federation.backfill(roomId, limit - chunk.length);
      if (backfilled === 0) break;
      // Backfilled history may bring older visibility and membership changes.
      history = userHistoryView(hs, roomId, session.userId, view.version);
    }
    const body: Record<string, unknown> = {
      start: formatPaginationToken(from),
      chunk: chunk.map((e) => formatter.withAggregations(e)),
    };
    // No `end` once the room's start (or the visible end) is reached: that tells clients to stop paginating. After
    // a backfill that brought events, there may be more behind them: the next page asks again.
    if (!exhausted || chunk.length === limit || backfilled > 0) body.end = formatPaginationToken(cursor);
    if (filter.lazyLoadMembers) body.state = lazyMemberState(hs, formatter, roomId, chunk, view.ceiling);
    return body;
  });

  router.get('~/rooms/{roomId}/context/{eventId}', async (ctx) => {
    const { session, roomId, view } = await openRoom(hs, ctx);
    const event = visibleEvent(view, hs, roomId, ctx.params.eventId!);
    const limit = parseLimit(ctx.query.get('limit'), 10);
    const filter = parseRoomEventFilter(ctx.query.get('filter'));
    const formatter = new ClientFormatter(hs, session);
    const keep = (e: StoredEvent) => eventMatches(filter, formatter.event(e));
    const beforeCount = Math.floor(limit / 2);
    const batch = Math.max(limit, 20);
    const before = take(view.history.backward(event.streamOrdering - 1, NO_HISTORY_FLOOR, batch), beforeCount, keep);
    const after = take(view.history.forward(event.streamOrdering, view.ceiling, batch), limit - beforeCount, keep);
    const state = [...hs.events.stateAt(roomId, event.streamOrdering).values()];
    const lazy = filter.lazyLoadMembers;
    const senders = new Set([event, ...before, ...after].map((e) => e.pdu.sender));
    return {
      event: formatter.withAggregations(event),
      events_before: before.map((e) => formatter.withAggregations(e)),
      events_after: after.map((e) => formatter.withAggregations(e)),
      start: formatPaginationToken((before.at(-1)?.streamOrdering ?? event.streamOrdering) - 1),
      end: formatPaginationToken(after.at(-1)?.streamOrdering ?? event.streamOrdering),
      state: state.filter((e) => !lazy || e.pdu.type !== 'm.room.member' || senders.has(e.pdu.state_key!)).map((e) => formatter.event(e)),
    };
  });

  router.get('~/rooms/{roomId}/event/{eventId}', async (ctx) => {
    const { session, roomId, view } = await openRoom(hs, ctx);
    const eventId = ctx.params.eventId!;
    try {
      return new ClientFormatter(hs, session).withAggregations(visibleEvent(view, hs, roomId, eventId));
    } catch (error) {
      // Still the spec's 404 (clients that know nothing of it see "not found"), saying the event exists and why it is hidden.
      const soft = error instanceof MatrixError && error.status === 404 ? visibleSoftFailed(hs, view, roomId, eventId) : undefined;
      if (!soft) throw error;
      throw new MatrixError(404, 'M_NOT_FOUND', 'Event not found', { [SOFT_FAILED_FIELD]: softFailedNotice(hs, session, soft) });
    }
  });

  router.get('~/rooms/{roomId}/members', async (ctx) => {
    const { session, roomId, view } = await openRoom(hs, ctx);
    const at = ctx.query.get('at');
    const position = Math.min(at ? parsePosition(at) : view.ceiling, view.ceiling);
    const membership = ctx.query.get('membership');
    const notMembership = ctx.query.get('not_membership');
    const formatter = new ClientFormatter(hs, session);
    const everyMember = [...hs.events.stateAt(roomId, position).values()].filter((e) => e.pdu.type === 'm.room.member');
    const members = everyMember.filter((e) => {
      const m = e.pdu.content.membership;
      return (!membership || m === membership) && (!notMembership || m !== notMembership);
    });
    const body: Record<string, unknown> = { chunk: members.map((e) => formatter.event(e)) };
    // The room's whole map, whatever the filter leaves out of the chunk: a client replaces its map with this one, and
    // members who left are still in the timeline it shows (their messages, with their handle).
    if (usesMemberKeys(view.version)) body[MEMBER_INFO_FIELD] = memberInfoMap(hs, roomId, everyMember);
    return body;
  });

  router.get('~/rooms/{roomId}/joined_members', async (ctx) => {
    const { session, roomId, view } = await openRoom(hs, ctx);
    const memberKeys = usesMemberKeys(view.version);
    // PROTOCOL.md §5: the spec's shape, keyed by the user ID `sender` shows (clients that know nothing of member keys,
    // such as matrix-nio sharing a room key, take these keys as the member list); the MSC4428 form, keyed by stable
    // ID, when asked for.
    const byStableId = memberKeys && ctx.query.get('org.matrix.msc4428.stable_ids') === 'true';
    const formatter = new ClientFormatter(hs, session);
    const joined: Record<string, unknown> = {};
    for (const event of hs.events.stateAt(roomId, view.ceiling).values()) {
      if (event.pdu.type !== 'm.room.member' || event.pdu.content.membership !== 'join') continue;
      const { displayname, avatar_url } = event.pdu.content;
      const member = event.pdu.state_key!;
      const entry = {
        ...(typeof displayname === 'string' ? { display_name: displayname } : {}),
        ...(typeof avatar_url === 'string' ? { avatar_url } : {}),
        ...(memberKeys ? { [STABLE_ID_FIELD]: member } : {}),
        ...(byStableId ? { user_id: hs.links.memberInfo(roomId, member).user_id } : {}),
      };
      joined[memberKeys && !byStableId ? formatter.displayId(roomId, member) : member] = entry;
    }
    return { joined };
  });
}

/**
 * Backfill only helps if the room's oldest timeline event is above `to` and the caller could see what came just
 * before it, judged by the history visibility and membership we hold there (`joined` before their join: no).
 */
function mayBackfillBelow(hs: Homeserver, roomId: string, lowest: number, history: HistoryView): boolean {
  const oldest = hs.events.oldestInTimeline(roomId, 1)[0];
  return oldest !== undefined && oldest.streamOrdering > lowest && history.canSeeBelow(oldest.streamOrdering);
}

function lazyMemberState(hs: Homeserver, formatter: ClientFormatter, roomId: string, chunk: StoredEvent[], ceiling: number) {
  const state = hs.events.stateAt(roomId, ceiling);
  const senders = new Set(chunk.map((e) => e.pdu.sender));
  return [...senders]
    .map((s) => state.get(stateKeyOf('m.room.member', s)))
    .filter((e): e is StoredEvent => !!e)
    .map((e) => formatter.event(e));
}

function memberInfoMap(hs: Homeserver, roomId: string, members: StoredEvent[]): Record<string, MemberInfo> {
  const map: Record<string, MemberInfo> = {};
  for (const event of members) map[event.pdu.state_key!] = hs.links.memberInfo(roomId, event.pdu.state_key!);
  return map;
}
