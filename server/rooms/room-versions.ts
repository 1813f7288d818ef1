// Which room versions this server serves; the versions' rules themselves live in src/protocol.
import { DEFAULT_ROOM_VERSION, getRoomVersion, SERVED_ROOM_VERSIONS } from '../../src/protocol';

export { DEFAULT_ROOM_VERSION, SERVED_ROOM_VERSIONS };

export function isSupportedRoomVersion(version: string): boolean {
  return (SERVED_ROOM_VERSIONS as readonly string[]).includes(version);
}

/** Members are per-room Ed25519 keys (MSC4430) rather than user IDs. */
export function usesMemberKeys(version: string): boolean {
  return getRoomVersion(version).usesMemberKeys;
}

/** Room version 12 semantics: room ID is the create event's reference hash, creators have unlimited power. */
export function hasRoomIdFromCreate(version: string): boolean {
  return getRoomVersion(version).roomIdFormat === 'create_event_hash';
}
