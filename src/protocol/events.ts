import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64, encodeBase64, encodeBase64Url } from './base64';
import { canonicalJsonBytes } from './canonical-json';
import { ProtocolError } from './errors';
import { redactEvent } from './redaction';
import { resolveRoomVersion, type RoomVersion } from './room-versions';
import { getSignature, isRecord, signJson, verifyJsonSignature, verifyJsonSignatureSync, type Signatures } from './signing';

type EventObject = Record<string, unknown>;

/** Spec "content hash": sha256 of the canonical event without unsigned, signatures and hashes; unpadded base64. */
export function computeContentHash(event: object): string {
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = asEvent(event);
  return encodeBase64(sha256(canonicalJsonBytes(rest)));
}

export function addContentHash<T extends object>(event: T): T & { hashes: { sha256: string } } {
  const existing = asEvent(event).hashes;
  return { ...event, hashes: { ...(isRecord(existing) ? existing : {}), sha256: computeContentHash(event) } };
}

/** True when `hashes.sha256` matches the content; false when absent, malformed or different (e.g. a redacted event). */
export function checkContentHash(event: object): boolean {
  const hashes = asEvent(event).hashes;
  if (!isRecord(hashes) || typeof hashes.sha256 !== 'string') return false;
  try {
    return encodeBase64(decodeBase64(hashes.sha256)) === computeContentHash(event);
  } catch (error) {
    if (error instanceof ProtocolError && error.code === 'base64') return false;
    throw error;
  }
}

/** The bytes an event signature covers: the redacted event without signatures and unsigned. */
export function eventSigningBytes(event: object, roomVersion: string | RoomVersion): Uint8Array {
  const { signatures: _s, unsigned: _u, ...rest } = redactEvent(event, roomVersion);
  return canonicalJsonBytes(rest);
}

/** Spec "reference hash": sha256 of the redacted event without signatures and unsigned; URL-safe for v4+. */
export function computeReferenceHash(event: object, roomVersion: string | RoomVersion): string {
  const version = resolveRoomVersion(roomVersion);
  const hash = sha256(eventSigningBytes(event, version));
  return version.eventIdFormat === 'hash_base64' ? encodeBase64(hash) : encodeBase64Url(hash);
}

export function computeEventId(event: object, roomVersion: string | RoomVersion): string {
  const version = resolveRoomVersion(roomVersion);
  if (version.eventIdFormat === 'server') {
    const eventId = asEvent(event).event_id;
    if (typeof eventId !== 'string') throw new ProtocolError('invalid_event', `room version ${version.id} events carry their own event_id`);
    return eventId;
  }
  return `$${computeReferenceHash(event, version)}`;
}

/** Room version 12 line: the room ID is `!` + URL-safe reference hash of the create event (which has no room_id). */
export function computeRoomIdFromCreate(createEvent: object, roomVersion: string | RoomVersion): string {
  const version = resolveRoomVersion(roomVersion);
  const event = asEvent(createEvent);
  if (version.roomIdFormat !== 'create_event_hash') {
    throw new ProtocolError('invalid_argument', `room version ${version.id} does not derive room IDs from the create event`);
  }
  if (event.type !== 'm.room.create') throw new ProtocolError('invalid_event', 'a room ID is derived from an m.room.create event');
  if (Object.hasOwn(event, 'room_id'))
    throw new ProtocolError('invalid_event', `in room version ${version.id} the create event has no room_id`);
  return `!${encodeBase64Url(sha256(eventSigningBytes(event, version)))}`;
}

/** Hashes the content if `hashes.sha256` is missing, signs the redacted form, and puts the signature on the full event. */
export function signEvent<T extends object>(
  event: T,
  roomVersion: string | RoomVersion,
  signer: string,
  keyId: string,
  seed: Uint8Array,
): T & { hashes: { sha256: string }; signatures: Signatures } {
  const hashes = asEvent(event).hashes;
  const hashed = (isRecord(hashes) && typeof hashes.sha256 === 'string' ? event : addContentHash(event)) as T & {
    hashes: { sha256: string };
  };
  const redactedSigned = signJson(redactEvent(hashed, roomVersion), signer, keyId, seed);
  const signature = redactedSigned.signatures[signer]![keyId]!;
  const existing = isRecord(asEvent(hashed).signatures) ? (asEvent(hashed).signatures as Signatures) : {};
  return { ...hashed, signatures: { ...existing, [signer]: { ...(existing[signer] ?? {}), [keyId]: signature } } };
}

export function verifyEventSignature(
  event: object,
  roomVersion: string | RoomVersion,
  signer: string,
  keyId: string,
  publicKey: Uint8Array,
): Promise<boolean> {
  const redacted = redactForVerification(event, roomVersion, signer, keyId);
  return redacted ? verifyJsonSignature(redacted, signer, keyId, publicKey) : Promise.resolve(false);
}

export function verifyEventSignatureSync(
  event: object,
  roomVersion: string | RoomVersion,
  signer: string,
  keyId: string,
  publicKey: Uint8Array,
): boolean {
  const redacted = redactForVerification(event, roomVersion, signer, keyId);
  return redacted ? verifyJsonSignatureSync(redacted, signer, keyId, publicKey) : false;
}

function redactForVerification(event: object, roomVersion: string | RoomVersion, signer: string, keyId: string): EventObject | null {
  if (!isRecord(event) || getSignature(event, signer, keyId) === undefined) return null;
  return redactEvent(event, roomVersion);
}

function asEvent(event: object): EventObject {
  if (!isRecord(event)) throw new ProtocolError('invalid_event', 'an event must be a JSON object');
  return event;
}
