// What /sync needs of a room's current state, read once per change of that state instead of once per long-poll:
// with 200 members, re-reading (and parsing) 200 member events for each of 200 pollers on every message was most
// of the server's time. Keyed on EventStore.stateVersion, which moves on every write to the room's current state;
// never filled inside a transaction (a rolled-back write must not leave its state in the cache).
import type { Homeserver } from '../homeserver';
import type { EventStore } from '../storage/events';

export interface RoomStateDigest {
  /** Event ID of each current member event, by state key (member ID). */
  memberEvents: Map<string, string>;
  joined: number;
  invited: number;
  /** The first joined or invited members in state order (heroes: the viewer is left out, so one more than shown). */
  heroCandidates: string[];
  /** m.room.name or m.room.canonical_alias is set. */
  hasName: boolean;
}

export const MAX_HEROES = 5;

const digests = new WeakMap<EventStore, Map<string, { version: string; digest: RoomStateDigest }>>();

export function roomStateDigest(hs: Pick<Homeserver, 'db' | 'events'>, roomId: string): RoomStateDigest {
  let byRoom = digests.get(hs.events);
  if (!byRoom) digests.set(hs.events, (byRoom = new Map()));
  const version = hs.events.stateVersion(roomId);
  const cached = byRoom.get(roomId);
  if (cached && cached.version === version) return cached.digest;
  const digest: RoomStateDigest = { memberEvents: new Map(), joined: 0, invited: 0, heroCandidates: [], hasName: false };
  for (const event of hs.events.currentState(roomId).values()) {
    const { type, state_key: stateKey, content } = event.pdu;
    if (type === 'm.room.name' || type === 'm.room.canonical_alias') {
      if (stateKey === '') digest.hasName = true;
      continue;
    }
    if (type !== 'm.room.member' || stateKey === undefined) continue;
    digest.memberEvents.set(stateKey, event.eventId);
    if (content.membership === 'join') digest.joined++;
    if (content.membership === 'invite') digest.invited++;
    if ((content.membership === 'join' || content.membership === 'invite') && digest.heroCandidates.length <= MAX_HEROES)
      digest.heroCandidates.push(stateKey);
  }
  if (!hs.db.inTransaction) byRoom.set(roomId, { version, digest });
  return digest;
}
