// Who may read a room: joined members see it live; former members see it as it was when they left.
import type { Homeserver } from '../homeserver';
import { forbidden, notFound } from '../http/errors';
import type { MembershipRow } from '../storage/events';
import { NO_HISTORY_FLOOR } from '../sync/tokens';

export interface RoomView {
  version: string;
  membership: MembershipRow;
  /** Highest stream position this user may see in the room. */
  ceiling: number;
  /** Events at or below this position are hidden by the room's history visibility. */
  floor: number;
}

export function roomViewFor(hs: Homeserver, roomId: string, userId: string): RoomView {
  const room = hs.events.room(roomId);
  if (!room) throw notFound(`Unknown room ${roomId}`);
  const membership = hs.events.membership(roomId, userId);
  if (!membership || membership.membership === 'invite' || membership.membership === 'knock') {
    if (isWorldReadable(hs, roomId)) {
      return { version: room.room_version, membership: membership ?? noMembership(roomId, userId), ceiling: hs.stream.current(), floor: NO_HISTORY_FLOOR };
    }
    throw forbidden(`${userId} is not in room ${roomId}`);
  }
  const ceiling = membership.membership === 'join' ? hs.stream.current() : membership.stream_ordering;
  return { version: room.room_version, membership, ceiling, floor: historyFloor(hs, roomId, userId, room.room_version) };
}

/**
 * History visibility, judged by the room's current setting (not per event, a simplification): `joined` hides
 * what came before the user's first join, `invited` what came before their first invite; `shared` and
 * `world_readable` hide nothing from members.
 */
export function historyFloor(hs: Homeserver, roomId: string, userId: string, version: string): number {
  const id = hs.events.currentStateEventId(roomId, 'm.room.history_visibility', '');
  const visibility = id ? hs.events.event(id)?.pdu.content.history_visibility : 'shared';
  if (visibility !== 'joined' && visibility !== 'invited') return NO_HISTORY_FLOOR;
  const memberId = hs.memberKeys.forUser(roomId, userId)?.member_key ?? (version === '11' ? userId : undefined);
  if (!memberId) return NO_HISTORY_FLOOR;
  const first = hs.events.firstMembership(roomId, memberId, visibility === 'joined' ? ['join'] : ['invite', 'join']);
  return first === undefined ? NO_HISTORY_FLOOR : first - 1;
}

export function requireJoined(hs: Homeserver, roomId: string, userId: string): string {
  const version = hs.rooms.versionOf(roomId);
  if (hs.events.membership(roomId, userId)?.membership !== 'join') throw forbidden(`${userId} is not joined to ${roomId}`);
  return version;
}

function isWorldReadable(hs: Homeserver, roomId: string): boolean {
  const id = hs.events.currentStateEventId(roomId, 'm.room.history_visibility', '');
  return id ? hs.events.event(id)?.pdu.content.history_visibility === 'world_readable' : false;
}

function noMembership(roomId: string, userId: string): MembershipRow {
  return { room_id: roomId, user_id: userId, membership: 'leave', event_id: '', stream_ordering: 0, forgotten: 0 };
}
