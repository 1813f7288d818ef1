// In-room verification requests (m.key.verification.request, a room message): a reload replays the room's recent
// history, and the crypto takes an old request as new (this device's own answers come back as remote echoes, which
// it skips), so it would ask again about a flow that ended long ago. A request some event already refers to (a
// ready, start, cancel or done: m.reference) was answered: not to be offered again. Only the two people in the flow
// answer it: anyone else in the room could send an event that refers to the request, to make it vanish unanswered.
import type { MatrixClient, MatrixEvent, Room } from 'matrix-js-sdk';
import { RoomEvent } from 'matrix-js-sdk/lib/models/room.js';

type Related = Pick<MatrixEvent, 'getWireContent' | 'getContent' | 'getSender'>;

/**
 * Whether any of `events` sent by one of `participants` (the requester and the one asked) refers to the request
 * `requestEventId` (m.reference; kept in clear on encrypted events).
 */
export function answeredInRoom(events: readonly Related[], requestEventId: string, participants: readonly string[]): boolean {
  return events.some((event) => {
    if (!participants.includes(event.getSender() ?? '')) return false;
    const relation = (event.getWireContent()['m.relates_to'] ?? event.getContent()['m.relates_to']) as
      | { rel_type?: unknown; event_id?: unknown }
      | undefined;
    return relation?.rel_type === 'm.reference' && relation.event_id === requestEventId;
  });
}

/** An in-room verification request: its room, its event, and the two people in it. */
export interface InRoomRequest {
  roomId: string;
  requestEventId: string;
  participants: readonly string[];
}

/** Whether the in-room request was already answered, as far as the loaded timeline shows. */
export function requestAnswered(client: MatrixClient, { roomId, requestEventId, participants }: InRoomRequest): boolean {
  const room = client.getRoom(roomId);
  return !!room && answeredInRoom(room.getLiveTimeline().getEvents(), requestEventId, participants);
}

/**
 * Calls `answered` once an event of `roomId` that answers the request arrives: on a reload the crypto may replay the
 * request before the rest of its flow is back in the timeline, so the check above can come too early.
 */
export function whenAnswered(
  client: MatrixClient,
  { roomId, requestEventId, participants }: InRoomRequest,
  answered: () => void,
): () => void {
  const onTimeline = (event: MatrixEvent, room: Room | undefined) => {
    if (room?.roomId === roomId && answeredInRoom([event], requestEventId, participants)) answered();
  };
  client.on(RoomEvent.Timeline, onTimeline);
  return () => {
    client.off(RoomEvent.Timeline, onTimeline);
  };
}
