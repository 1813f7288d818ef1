import { ProtocolError } from './errors';

/** How event IDs are formed: given by the server (v1–2), `$` + standard base64 reference hash (v3), URL-safe (v4+). */
export type EventIdFormat = 'server' | 'hash_base64' | 'hash_urlsafe';
/** Room IDs: `!opaque:server`, or `!` + URL-safe reference hash of the create event (v12 line). */
export type RoomIdFormat = 'server' | 'create_event_hash';
/** The redaction algorithm generations that change what a redacted event keeps. */
export type RedactionRules = 'v1' | 'v6' | 'v8' | 'v9' | 'v11' | 'member_keys';

export type RoomVersion = {
  readonly id: string;
  readonly eventIdFormat: EventIdFormat;
  readonly roomIdFormat: RoomIdFormat;
  readonly redactionRules: RedactionRules;
  /** MSC4430: senders are member keys that sign their own events; member events are co-signed by `content.domain`. */
  readonly usesMemberKeys: boolean;
  /** The key ID member keys sign with (MSC4430), when `usesMemberKeys`. */
  readonly memberKeyId?: string;
  readonly stable: boolean;
};

export const MEMBER_KEYS_ROOM_VERSION = 'org.matrix.12.4430';
export const MEMBER_KEY_ID = 'ed25519:1';

const classic = (
  id: string,
  eventIdFormat: EventIdFormat,
  redactionRules: RedactionRules,
  roomIdFormat: RoomIdFormat = 'server',
): RoomVersion => Object.freeze({ id, eventIdFormat, roomIdFormat, redactionRules, usesMemberKeys: false, stable: true });

export const KNOWN_ROOM_VERSIONS: Readonly<Record<string, RoomVersion>> = Object.freeze({
  '1': classic('1', 'server', 'v1'),
  '2': classic('2', 'server', 'v1'),
  '3': classic('3', 'hash_base64', 'v1'),
  '4': classic('4', 'hash_urlsafe', 'v1'),
  '5': classic('5', 'hash_urlsafe', 'v1'),
  '6': classic('6', 'hash_urlsafe', 'v6'),
  '7': classic('7', 'hash_urlsafe', 'v6'),
  '8': classic('8', 'hash_urlsafe', 'v8'),
  '9': classic('9', 'hash_urlsafe', 'v9'),
  '10': classic('10', 'hash_urlsafe', 'v9'),
  '11': classic('11', 'hash_urlsafe', 'v11'),
  '12': classic('12', 'hash_urlsafe', 'v11', 'create_event_hash'),
  [MEMBER_KEYS_ROOM_VERSION]: Object.freeze({
    id: MEMBER_KEYS_ROOM_VERSION,
    eventIdFormat: 'hash_urlsafe',
    roomIdFormat: 'create_event_hash',
    redactionRules: 'member_keys',
    usesMemberKeys: true,
    memberKeyId: MEMBER_KEY_ID,
    stable: false,
  } satisfies RoomVersion),
});

/** The room versions the reference homeserver creates rooms in (PROTOCOL.md §3). */
export const SERVED_ROOM_VERSIONS = ['11', MEMBER_KEYS_ROOM_VERSION] as const;
export const DEFAULT_ROOM_VERSION = MEMBER_KEYS_ROOM_VERSION;

export function getRoomVersion(id: string): RoomVersion {
  const version = typeof id === 'string' && Object.hasOwn(KNOWN_ROOM_VERSIONS, id) ? KNOWN_ROOM_VERSIONS[id] : undefined;
  if (!version) throw new ProtocolError('unknown_room_version', `unknown room version ${JSON.stringify(id)}`);
  return version;
}

export function resolveRoomVersion(version: string | RoomVersion): RoomVersion {
  return typeof version === 'string' ? getRoomVersion(version) : version;
}
