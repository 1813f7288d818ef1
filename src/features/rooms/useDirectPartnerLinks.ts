// Asks the homeserver once for the links of DMs whose hint names their partner, when the client does not
// know them (after a reload): the answer lands in the identity store, and the room list re-derives from it.
import { useEffect, useRef } from 'react';
import { useClient } from '../../ui/clientContext';
import { useIdentity } from '../../domain/identity/identityStore';
import { loadRoomMemberInfo } from '../../domain/identity/memberInfoFetch';
import { directRoomsAwaitingLinks, type RoomListEntry } from '../../domain/rooms/roomList';
import { logger } from '../../platform/logger';

const log = logger('rooms');

export function useDirectPartnerLinks(rooms: readonly RoomListEntry[]): void {
  const client = useClient();
  const memberInfo = useIdentity((s) => s.memberInfo);
  // Once per room and session: a room whose answer carries no links must not be asked again on every render.
  const asked = useRef(new Set<string>());
  useEffect(() => {
    for (const roomId of directRoomsAwaitingLinks(rooms, (id) => memberInfo[id] !== undefined || asked.current.has(id))) {
      asked.current.add(roomId);
      void loadRoomMemberInfo(client, roomId).catch(log.ignored(`member info of ${roomId} not loaded; its badge waits for the next sync`));
    }
  }, [client, rooms, memberInfo]);
}
