// Fixtures for tests over a real matrix-js-sdk Room in a member-key room (imported by tests only).
import { createClient, MatrixEvent, Room } from 'matrix-js-sdk';

/** A joined member as the SDK holds it: the user ID the server mapped the key to in state_key, the key in MSC4428's unsigned fields. */
export function keyMemberEvent(roomId: string, stateKey: string, key: string, content: Record<string, unknown>, ts: number): MatrixEvent {
  return new MatrixEvent({
    type: 'm.room.member',
    event_id: `$m${ts}`,
    room_id: roomId,
    sender: stateKey,
    state_key: stateKey,
    origin_server_ts: ts,
    content: { membership: 'join', ...content },
    unsigned: { 'org.matrix.msc4428.stable_id_state_key': `@${key}`, 'org.matrix.msc4428.stable_id': `@${key}` },
  });
}

/** A Room seen by `userId` (never synced: no server is asked), with `events` as its current state. */
export function roomWithState(roomId: string, events: MatrixEvent[], userId = '@carol:gamma'): Room {
  const room = new Room(roomId, createClient({ baseUrl: 'http://hs.invalid', userId }), userId);
  room.currentState.setStateEvents(events);
  return room;
}
