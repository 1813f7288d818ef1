// Who may read a room: joined members see it live; former members see it as it was when they left.
import type { Homeserver } from '../homeserver';
import { forbidden, notFound } from '../http/errors';
import type { MembershipRow } from '../storage/events';

export interface RoomView {
  version: string;
  membership: MembershipRow;
  /** Highest stream position this user may see in the room. */
  ceiling: number;
}

export function roomViewFor(hs: Homeserver, roomId: string, userId: string): RoomView {
  const room = hs.events.room(roomId);
  if (!room) throw notFound(`Unknown room ${roomId}`);
  const membership = hs.events.membership(roomId, userId);
  if (!membership || membership.membership === 'invite' || membership.membership === 'knock') {
    if (isWorldReadable(hs, roomId)) {
      return { version: room.room_version, membership: membership ?? noMembership(roomId, userId), ceiling: hs.stream.current() };
    }
    throw forbidden(`${userId} is not in room ${roomId}`);
  }
  const ceiling = membership.membership === 'join' ? hs.stream.current() : membership.stream_ordering;
  return { version: room.room_version, membership, ceiling };
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
