// Test fixture: a room list entry with quiet defaults, named after its room ID unless told otherwise.
import type { RoomSummary } from './roomList';

export const roomSummary = (roomId: string, extra: Partial<RoomSummary> = {}): RoomSummary => ({
  roomId,
  name: roomId.slice(1).split(':')[0]!,
  membership: 'join',
  lastActivity: 0,
  unread: 0,
  highlights: 0,
  isDirect: false,
  ...extra,
});
