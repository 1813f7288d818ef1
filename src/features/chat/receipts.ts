import { ReceiptType, type MatrixClient, type Room } from 'matrix-js-sdk';
import { nameOfUser } from '../identity/describeSender';

/** Event ID → names of the other members whose read receipt sits on it. */
export function readersByEvent(room: Room, me: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const member of room.getJoinedMembers()) {
    if (member.userId === me) continue;
    const eventId = room.getEventReadUpTo(member.userId, true);
    if (!eventId) continue;
    const event = room.findEventById(eventId);
    if (event?.getSender() === member.userId) continue; // reading your own message says nothing
    const names = map.get(eventId) ?? [];
    names.push(nameOfUser(room, member.userId));
    map.set(eventId, names);
  }
  return map;
}

/** Marks the newest event as read, if it isn't already. */
export async function markRead(client: MatrixClient, room: Room): Promise<void> {
  const events = room.getLiveTimeline().getEvents();
  const me = client.getUserId() ?? '';
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (!event.getId() || event.status !== null) continue; // local echo: no ID to acknowledge yet
    if (room.getEventReadUpTo(me, true) === event.getId()) return;
    if (room.hasUserReadEvent(me, event.getId()!) && event.getSender() === me) return;
    await client.sendReadReceipt(event, ReceiptType.Read);
    return;
  }
}
