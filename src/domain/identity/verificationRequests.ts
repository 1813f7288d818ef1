// In-room verification requests (m.key.verification.request, a room message): a reload replays the room's recent
// history, and the crypto takes an old request as new (this device's own answers come back as remote echoes, which
// it skips), so it would ask again about a flow that ended long ago. A request some event already refers to (a
// ready, start, cancel or done: m.reference) was answered: not to be offered again.
import type { MatrixClient, MatrixEvent, Room } from 'matrix-js-sdk';
import { RoomEvent } from 'matrix-js-sdk/lib/models/room.js';

type Related = Pick<MatrixEvent, 'getWireContent' | 'getContent'>;

/** Whether any of `events` refers to the request `requestEventId` (m.reference; kept in clear on encrypted events). */
export function answeredInRoom(events: readonly Related[], requestEventId: string): boolean {
  return events.some((event) => {
    const relation = (event.getWireContent()['m.relates_to'] ?? event.getContent()['m.relates_to']) as
      | { rel_type?: unknown; event_id?: unknown }
      | undefined;
    return relation?.rel_type === 'm.reference' && relation.event_id === requestEventId;
  });
}

/** Whether the in-room request `requestEventId` in `roomId` was already answered, as far as the loaded timeline shows. */
export function requestAnswered(client: MatrixClient, roomId: string, requestEventId: string | undefined): boolean {
  const room = client.getRoom(roomId);
  return !!room && !!requestEventId && answeredInRoom(room.getLiveTimeline().getEvents(), requestEventId);
}

/**
 * Calls `answered` once an event of `roomId` that answers the request arrives: on a reload the crypto may replay the
 * request before the rest of its flow is back in the timeline, so the check above can come too early.
 */
export function whenAnswered(client: MatrixClient, roomId: string, requestEventId: string, answered: () => void): () => void {
  const onTimeline = (event: MatrixEvent, room: Room | undefined) => {
    if (room?.roomId === roomId && answeredInRoom([event], requestEventId)) answered();
  };
  client.on(RoomEvent.Timeline, onTimeline);
  return () => {
    client.off(RoomEvent.Timeline, onTimeline);
  };
}
