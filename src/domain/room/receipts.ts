import { NotificationCountType, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { roomIdentities, type IdentityFacts } from './roomIdentities';

/** Event ID → names of the other members whose read receipt sits on it (one per identity: a key the SDK knows under two user IDs reads once). */
export function readersByEvent(room: Room, me: string, facts: IdentityFacts): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const events = room.getLiveTimeline().getEvents();
  const identities = roomIdentities(room);
  const seen = new Set<string>([identities.identityOfUser(me)]);
  for (const member of room.getJoinedMembers()) {
    if (member.userId === me) continue;
    const identity = identities.identityOfUser(member.userId);
    if (seen.has(identity)) continue;
    const eventId = rowEventAtOrBefore(events, room.getEventReadUpTo(member.userId, true));
    if (!eventId) continue;
    const names = map.get(eventId) ?? [];
    seen.add(identity);
    names.push(identities.nameOfUser(member.userId, facts));
    map.set(eventId, names);
  }
  return map;
}

/** Events folded into another row (reactions, edits, redactions) have none: a receipt on one shows on the row before it. */
function foldedIntoAnother(event: MatrixEvent): boolean {
  const type = event.getType();
  return type === 'm.reaction' || type === 'm.room.redaction' || event.isRelation('m.replace');
}

export function rowEventAtOrBefore(events: readonly MatrixEvent[], eventId: string | null): string | null {
  if (!eventId) return eventId;
  // From the newest: receipts sit near the end of the timeline, and a room may hold thousands of events.
  let i = events.length - 1;
  while (i >= 0 && events[i]!.getId() !== eventId) i--;
  if (i < 0) return eventId;
  while (i > 0 && foldedIntoAnother(events[i]!)) i--;
  return events[i]!.getId() ?? eventId;
}

const lastSent = new Map<string, string>();

/** Where the fully-read marker is (m.fully_read room account data), if the server has told us. */
export function fullyReadOf(room: Room): string | undefined {
  const id: unknown = room.getAccountData('m.fully_read')?.getContent()?.event_id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Marks the newest event as read, if it isn't already: one read-markers request moves the fully-read marker
 * (m.fully_read) and the read receipt (m.read) there. Your own messages count as read, and servers treat
 * sending as reading, so for your own newest message only the marker moves; one that doesn't (MSC4005's explicit
 * receipts) still reports unread counts for the room: then a receipt goes out for your own newest message too.
 */
export async function markRead(client: MatrixClient, room: Room): Promise<void> {
  const events = room.getLiveTimeline().getEvents();
  const me = client.getUserId() ?? '';
  let latest: MatrixEvent | undefined;
  for (let i = events.length - 1; i >= 0 && !latest; i--) {
    const event = events[i]!;
    if (event.getId() && event.status === null) latest = event; // local echoes have no ID to acknowledge yet
  }
  const id = latest?.getId();
  if (!latest || !id) return;
  const receiptDone =
    (latest.getSender() === me && room.getUnreadNotificationCount(NotificationCountType.Total) === 0) ||
    room.getEventReadUpTo(me, true) === id;
  const markerDone = fullyReadOf(room) === id;
  const key = `${id}|${receiptDone}`;
  if ((receiptDone && markerDone) || lastSent.get(room.roomId) === key) return;
  lastSent.set(room.roomId, key);
  try {
    // The read-markers receipt is unthreaded: it would read every thread up to here too. A room with threads gets the
    // marker there and a receipt for the main timeline (the SDK names the thread: 'main') on its own.
    const threaded = !receiptDone && client.supportsThreads() && room.getThreads().length > 0;
    await client.setRoomReadMarkers(room.roomId, id, receiptDone || threaded ? undefined : latest);
    if (threaded) await client.sendReadReceipt(latest);
  } catch (err) {
    lastSent.delete(room.roomId); // try again on the next update
    throw err;
  }
}

const lastSentInThread = new Map<string, string>();

/**
 * Marks a thread read up to its newest reply: a receipt in the thread's name (MSC3771), which reads nothing of the
 * main timeline or other threads. Sent once per reply, and only while the thread counts unread or the receipt is behind.
 */
export async function markThreadRead(client: MatrixClient, room: Room, rootId: string): Promise<void> {
  const thread = room.getThread(rootId);
  const events = thread?.liveTimeline.getEvents() ?? [];
  let latest: MatrixEvent | undefined;
  for (let i = events.length - 1; i >= 0 && !latest; i--) {
    const event = events[i]!;
    if (event.getId() && event.status === null) latest = event;
  }
  const id = latest?.getId();
  if (!thread || !latest || !id) return;
  const me = client.getUserId() ?? '';
  const unread = room.getThreadUnreadNotificationCount(rootId, NotificationCountType.Total) > 0;
  if (!unread && (latest.getSender() === me || thread.getEventReadUpTo(me, true) === id)) return;
  const key = `${rootId}|${id}`;
  if (lastSentInThread.get(room.roomId) === key) return;
  lastSentInThread.set(room.roomId, key);
  try {
    await client.sendReadReceipt(latest);
  } catch (err) {
    lastSentInThread.delete(room.roomId);
    throw err;
  }
}
